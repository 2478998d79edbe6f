"""Broken files and hostile folders are recorded as scan errors and never stop the scan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from reelhouse.domain.library import LibraryKind
from reelhouse.persistence.database import Database
from reelhouse.scanner.runner import Scanner
from tests.scanner.rows import items, one, rows, settled


def _movies(library_factory, media_kit):  # type: ignore[no-untyped-def]
    library = library_factory(LibraryKind.MOVIES)
    root = Path(library.roots[0])
    media_kit.video_at(root / "Good (2000).mp4")
    return library, root


def _errors(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {Path(r["path"]).name: r["reason"] for r in rows(db, "SELECT path, reason FROM scan_errors")}


def _truncate(source: Path, target: Path, keep: int) -> None:
    target.write_bytes(source.read_bytes()[:keep])
    settled(target)


def test_truncated_mp4_is_a_scan_error(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory, media_kit)
    _truncate(media_kit.master("video.mp4"), root / "Cut (2001).mp4", 3000)
    report = scanner.scan(library)
    assert "Cut (2001).mp4" in _errors(db) and len(report.errors) == 1
    assert one(db, "movie")["title"] == "Good"


def test_truncated_mkv_is_a_scan_error(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory, media_kit)
    _truncate(media_kit.master("video.mkv"), root / "Cut (2001).mkv", 1500)
    scanner.scan(library)
    assert "Cut (2001).mkv" in _errors(db)


def test_zero_byte_file_is_a_scan_error(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory, media_kit)
    (root / "Empty (2001).mkv").touch()
    scanner.scan(library)
    assert "0 bytes" in _errors(db)["Empty (2001).mkv"]


def test_file_with_the_wrong_extension_is_a_scan_error(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory, media_kit)
    (root / "Notes (2001).mkv").write_text("this is not a video\n" * 100)
    settled(root / "Notes (2001).mkv")
    scanner.scan(library)
    assert "Notes (2001).mkv" in _errors(db)


def test_unreadable_fifo_is_a_scan_error_and_does_not_block(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory, media_kit)
    os.mkfifo(root / "Pipe (2001).mkv")
    scanner.scan(library)
    assert _errors(db)["Pipe (2001).mkv"] == "not a regular file"


def test_non_utf8_name_is_a_scan_error(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory, media_kit)
    bad = os.path.join(os.fsencode(root), b"Bad \xff name (2001).mkv")
    with open(bad, "wb") as handle:
        handle.write(media_kit.master("video.mkv").read_bytes())
    report = scanner.scan(library)
    assert "UTF-8" in report.errors[0].reason
    assert len(items(db, "movie")) == 1


def test_symlink_outside_the_roots_is_not_followed(db, scanner, library_factory, media_kit, tmp_path):
    library, root = _movies(library_factory, media_kit)
    outside = tmp_path / "outside"
    media_kit.video_at(outside / "Secret (2001).mp4")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "Secret (2001).mp4").symlink_to(outside / "Secret (2001).mp4")
    scanner.scan(library)
    assert [m["title"] for m in items(db, "movie")] == ["Good"]
    assert set(_errors(db)) == {"linked", "Secret (2001).mp4"}


def test_symlink_inside_the_roots_is_followed(db, scanner, library_factory, media_kit, tmp_path):
    library = library_factory(LibraryKind.MOVIES, roots=[tmp_path / "a", tmp_path / "b"])
    media_kit.video_at(tmp_path / "b" / "store" / "Other (2001).mp4")
    (tmp_path / "a" / "Other (2001).mp4").symlink_to(tmp_path / "b" / "store" / "Other (2001).mp4")
    scanner.scan(library)
    assert len(rows(db, "SELECT id FROM media_files")) == 2


def test_symlink_loop_does_not_hang(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory, media_kit)
    (root / "Film (2000)").mkdir()
    (root / "Film (2000)" / "again").symlink_to(root, target_is_directory=True)
    (root / "self").symlink_to(root / "self")
    scanner.scan(library)
    assert len(items(db, "movie")) == 1
    assert "loop" in _errors(db)["again"]


def test_a_fixed_file_drops_off_the_error_list(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory, media_kit)
    broken = root / "Later (2001).mp4"
    broken.write_bytes(b"")
    scanner.scan(library)
    media_kit.video_at(broken)
    report = scanner.scan(library)
    assert report.errors == () and _errors(db) == {}
    assert len(items(db, "movie")) == 2


KILLED_SCAN = """
import sys
from pathlib import Path
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.scanner import reconcile
from reelhouse.scanner.runner import Scanner
reconcile.CHUNK_ROWS = 20
db = Database(sys.argv[1])
with db.read() as conn:
    library = LibraryRepository().list(conn)[0]
Scanner(db, Path(sys.argv[2]), workers=2).scan(library, progress=lambda p: print(p.phase, p.done, flush=True))
"""


def test_a_scan_killed_midway_leaves_a_sound_database_and_the_next_scan_completes(
    db, library_factory, media_kit, tmp_path
):
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    total = 1500
    for number in range(total):
        media_kit.audio_at(
            root / f"Artist {number % 7}" / f"Album {number % 13}" / f"{number:03d}.mp3",
            title=f"Song {number}",
            artist=f"Artist {number % 7}",
            album=f"Album {number % 13}",
        )
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_SCAN, db.url, str(tmp_path / "cache")],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        # Killed while identify is under way: the scan has become fast enough to finish otherwise.
        if line.startswith("identify") and int(line.split()[1]) > 100:
            break
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(10)
    child.stdout.close()
    partial = rows(db, "SELECT count(*) AS n FROM media_files")[0]["n"]
    assert partial < total
    fresh = Database(db.url)
    assert fresh.integrity_check() == "ok"
    report = Scanner(fresh, tmp_path / "cache", workers=1).scan(library)
    assert report.added == total - partial and report.errors == ()
    assert len(items(fresh, "track")) == total
    assert len(items(fresh, "artist")) == 7
    assert fresh.integrity_check() == "ok"
    fresh.close()
