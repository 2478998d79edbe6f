"""Lyrics of tracks: embedded ID3 SYLT/USLT and Vorbis LYRICS, a sidecar .lrc beside the track (which wins),
kept in item_lyrics and kept in step with the files on every rescan."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from mutagen.flac import FLAC
from mutagen.id3 import ID3, SYLT, USLT
from mutagen.mp4 import MP4

from reelhouse.domain.library import LibraryKind
from tests.scanner.rows import items, rows


def _lyrics(db: Any) -> dict[str, dict[str, Any]]:
    """Lyrics rows by track title."""
    titles = {t["id"]: t["title"] for t in items(db, "track")}
    found = rows(db, "SELECT * FROM item_lyrics")
    return {titles[r["item_id"]]: {**r, "lines": json.loads(r["lines"])} for r in found}


def _later(path: Path) -> None:
    """Move a file's and its folder's times a second ahead: the scan compares them with what it stored."""
    ahead = time.time() + 1
    os.utime(path, (ahead, ahead))
    os.utime(path.parent, (ahead, ahead))


def _rescan_after_change(scanner: Any, library: Any, folder: Path) -> None:
    """Rescan after a deletion in ``folder``: its mtime moves ahead, as a coarse file system clock may not."""
    ahead = time.time() + 2
    os.utime(folder, (ahead, ahead))
    scanner.scan(library)


def test_embedded_synced_unsynced_and_sidecar_lyrics(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    synced = media_kit.audio_at(root / "Band" / "Record" / "01 Synced.mp3", title="Synced", album="Record")
    id3 = ID3(synced)
    id3.add(SYLT(encoding=3, lang="eng", format=2, type=1, text=[("Hello", 1500), ("World\x1b[31m", 62_250)]))
    id3.save(synced)
    plain = media_kit.audio_at(root / "Band" / "Record" / "02 Plain.mp3", title="Plain", album="Record")
    id3 = ID3(plain)
    id3.add(USLT(encoding=3, lang="fra", desc="", text="Un\nDeux\n"))
    id3.save(plain)
    flac_path = media_kit.audio_at(root / "Band" / "Record" / "03 Flac.flac", title="Flac", album="Record")
    flac = FLAC(flac_path)
    # LRC text in a plain lyrics tag counts as synced.
    flac["LYRICS"] = "[ar:Band]\n[00:01.50]One\n[00:03.05][00:10.5]Chorus\n"
    flac.save()
    both = media_kit.audio_at(root / "Band" / "Record" / "04 Both.mp3", title="Both", album="Record")
    id3 = ID3(both)
    id3.add(USLT(encoding=3, lang="eng", desc="", text="Embedded words"))
    id3.save(both)
    (root / "Band" / "Record" / "04 Both.lrc").write_text("[ti:Both]\n[01:02.03]From the sidecar\n")
    garbage = media_kit.audio_at(root / "Band" / "Record" / "05 Junk.mp3", title="Junk", album="Record")
    id3 = ID3(garbage)
    id3.add(USLT(encoding=3, lang="XXX", desc="", text="Kept from the tag"))
    id3.save(garbage)
    (root / "Band" / "Record" / "05 Junk.lrc").write_bytes(b"\x00\x01binary\x00junk" * 100)
    m4a_path = media_kit.audio_at(root / "Band" / "Record" / "06 Apple.m4a", title="Apple", album="Record")
    m4a = MP4(m4a_path)
    m4a["\xa9lyr"] = ["Line one\r\nLine two"]
    m4a.save()
    media_kit.audio_at(root / "Band" / "Record" / "07 Big.mp3", title="Big", album="Record")
    # Past the size bound: ignored rather than read into the catalogue.
    (root / "Band" / "Record" / "07 Big.lrc").write_text("[00:01.00]la\n" * 30_000)

    report = scanner.scan(library)

    # The binary and the oversized .lrc are each a scan error; their tracks are there all the same.
    assert sorted(os.path.basename(e.path) for e in report.errors) == ["05 Junk.lrc", "07 Big.lrc"]
    assert len(items(db, "track")) == 7
    found = _lyrics(db)
    assert found["Synced"]["synced"] and found["Synced"]["source"] == "embedded"
    assert found["Synced"]["language"] == "eng"
    # Control characters (a terminal escape) do not reach the catalogue.
    assert found["Synced"]["lines"] == [[1500, "Hello"], [62250, "World [31m"]]
    assert (found["Plain"]["synced"], found["Plain"]["language"]) == (False, "fra")
    assert found["Plain"]["lines"] == [[None, "Un"], [None, "Deux"]]
    assert found["Flac"]["synced"]
    assert found["Flac"]["lines"] == [[1500, "One"], [3050, "Chorus"], [10500, "Chorus"]]
    assert found["Both"]["source"] == "sidecar"
    assert found["Both"]["lines"] == [[62030, "From the sidecar"]]
    # A sidecar that is not text is ignored, and the embedded lyrics stand (language "XXX" is unknown).
    assert (found["Junk"]["source"], found["Junk"]["language"]) == ("embedded", None)
    assert found["Junk"]["lines"] == [[None, "Kept from the tag"]]
    assert found["Apple"]["lines"] == [[None, "Line one"], [None, "Line two"]]
    assert "Big" not in found


def test_sidecar_changes_and_removal_follow_on_rescan(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    album = Path(library.roots[0]) / "Band" / "Record"
    track = media_kit.audio_at(album / "01 Song.mp3", title="Song", album="Record")
    id3 = ID3(track)
    id3.add(USLT(encoding=3, lang="eng", desc="", text="Embedded line"))
    id3.save(track)
    sidecar = album / "01 Song.lrc"
    sidecar.write_text("First unsynced line\nSecond\n")
    scanner.scan(library)
    assert _lyrics(db)["Song"]["lines"] == [[None, "First unsynced line"], [None, "Second"]]

    # Only the .lrc changes: the audio file is not identified again, yet its lyrics follow.
    sidecar.write_text("[00:05.00]Now synced\n")
    _later(sidecar)
    scanner.scan(library)
    assert _lyrics(db)["Song"]["synced"]
    assert _lyrics(db)["Song"]["lines"] == [[5000, "Now synced"]]

    # The sidecar goes: the embedded lyrics take its place.
    sidecar.unlink()
    _rescan_after_change(scanner, library, album)
    assert _lyrics(db)["Song"]["source"] == "embedded"
    assert _lyrics(db)["Song"]["lines"] == [[None, "Embedded line"]]

    # The embedded ones go too (the audio file is rewritten): the track has no lyrics left.
    id3 = ID3(track)
    id3.delall("USLT")
    id3.save(track)
    _later(track)
    scanner.scan(library)
    assert _lyrics(db) == {}
