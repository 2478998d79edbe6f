"""A file still being copied into a library is read once it is quiet, never reported broken on the way."""

from __future__ import annotations

import time
from pathlib import Path

from reelhouse.domain.library import LibraryKind
from reelhouse.domain.scanning import SETTLE_SECONDS
from tests.harness import RunningServer
from tests.scanner.rows import items, rows, settled

COPIED = 3000


def test_a_half_copied_file_is_not_an_error_and_is_added_once_complete(
    db, scanner, library_factory, media_kit
):
    library = library_factory(LibraryKind.MOVIES)
    whole = media_kit.master("video.mp4").read_bytes()
    target = Path(library.roots[0]) / "Arriving (2001).mp4"
    # The first blocks of a copy in progress: too little for a probe to read.
    target.write_bytes(whole[:COPIED])
    halfway = scanner.scan(library)
    assert (halfway.errors, halfway.settling, halfway.added) == ((), 1, 0)
    assert rows(db, "SELECT path FROM scan_errors") == []
    with target.open("ab") as rest:
        rest.write(whole[COPIED:])
    settled(target)
    done = scanner.scan(library)
    assert (done.errors, done.settling, done.added) == ((), 0, 1)
    assert [i["title"] for i in items(db, "movie")] == ["Arriving"]


def test_a_file_broken_for_good_is_still_an_error_once_quiet(db, scanner, library_factory):
    library = library_factory(LibraryKind.MOVIES)
    target = Path(library.roots[0]) / "Junk (2001).mkv"
    target.write_bytes(b"not a video at all" * 100)
    assert scanner.scan(library).settling == 1
    settled(target)
    report = scanner.scan(library)
    assert report.settling == 0 and [Path(e.path).name for e in report.errors] == ["Junk (2001).mkv"]


def test_the_server_reads_a_settling_file_again_without_being_asked(tmp_path: Path, media_kit) -> None:
    root = tmp_path / "Movies"
    root.mkdir()
    whole = media_kit.master("video.mp4").read_bytes()
    target = root / "Arriving (2001).mp4"
    target.write_bytes(whole[:COPIED])
    running = RunningServer(tmp_path / "data")
    try:
        owner = running.owner()
        library_id = owner.post(
            "/api/libraries", {"name": "Movies", "kind": "movies", "paths": [str(root)]}
        ).json()["id"]
        scan = f"/api/libraries/{library_id}/scan"
        deadline = time.monotonic() + 30
        state = owner.get(scan).json()
        while time.monotonic() < deadline and (state["running"] or state["files_seen"] is None):
            time.sleep(0.1)
            state = owner.get(scan).json()
        # The first scan met the half-copied file: no error, nothing added, and no request needed later.
        assert (state["files_seen"], state["added"], state["errors"]) == (1, 0, [])
        with target.open("ab") as rest:
            rest.write(whole[COPIED:])
        deadline = time.monotonic() + SETTLE_SECONDS + 30
        found: list[object] = []
        while time.monotonic() < deadline and not found:
            time.sleep(0.3)
            found = owner.get(f"/api/libraries/{library_id}/items").json()["items"]
        assert found, "the file was never added"
        assert owner.get(scan).json()["errors"] == []
    finally:
        running.stop()
