"""A .lrc that is not lyrics (binary, past the size bound, no line to show) is a scan error for that file;
the scan goes on, the track is still there, and the error stays listed until the file is fixed."""

from __future__ import annotations

import os
import time
from pathlib import Path

from reelhouse.domain.library import LibraryKind
from tests.scanner.rows import items, rows


def test_each_garbage_lrc_is_a_scan_error_and_every_track_stays(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    album = Path(library.roots[0]) / "Band" / "Record"
    for number, name in enumerate(("Binary", "Empty", "Huge", "Fine"), 1):
        media_kit.audio_at(album / f"0{number} {name}.mp3", title=name, album="Record", track=number)
    (album / "01 Binary.lrc").write_bytes(b"\x00\xffPNG\x00" * 64)
    # Text, but not a line a player could show: only headers and blank lines.
    (album / "02 Empty.lrc").write_text("[ar:Band]\n[ti:Empty]\n\n   \n")
    (album / "03 Huge.lrc").write_text("[00:01.00]la\n" * 30_000)
    (album / "04 Fine.lrc").write_text("[00:01.00]Sung\n")

    report = scanner.scan(library)

    reasons = {os.path.basename(e.path): e.reason for e in report.errors}
    assert reasons == {
        "01 Binary.lrc": "Lyrics file is not text",
        "02 Empty.lrc": "Lyrics file has no lines",
        "03 Huge.lrc": "Lyrics file larger than 200 KiB",
    }
    assert sorted(t["title"] for t in items(db, "track")) == ["Binary", "Empty", "Fine", "Huge"]
    assert [r["source"] for r in rows(db, "SELECT source FROM item_lyrics")] == ["sidecar"]

    # A rescan that reads nothing again keeps the errors listed; fixing a file clears its own.
    scanner.scan(library)
    kept = rows(db, "SELECT path FROM scan_errors")
    assert sorted(os.path.basename(r["path"]) for r in kept) == [
        "01 Binary.lrc",
        "02 Empty.lrc",
        "03 Huge.lrc",
    ]
    (album / "02 Empty.lrc").write_text("[00:02.00]Now it sings\n")
    ahead = time.time() + 2
    os.utime(album / "02 Empty.lrc", (ahead, ahead))
    os.utime(album, (ahead, ahead))
    report = scanner.scan(library)
    assert sorted(os.path.basename(e.path) for e in report.errors) == ["01 Binary.lrc", "03 Huge.lrc"]
    assert len(rows(db, "SELECT item_id FROM item_lyrics")) == 2
