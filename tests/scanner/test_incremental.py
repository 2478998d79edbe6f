"""Rescans: unchanged files are skipped, removed files go missing, moved files keep their identity."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from reelhouse.domain.library import LibraryKind
from tests.scanner.rows import items, one, rows


def _movies(library_factory):  # type: ignore[no-untyped-def]
    library = library_factory(LibraryKind.MOVIES)
    return library, Path(library.roots[0])


def test_an_unchanged_rescan_reads_no_file_again(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "A (2000).mp4")
    media_kit.video_at(root / "B (2001).mp4")
    first = scanner.scan(library)
    second = scanner.scan(library)
    assert (first.added, second.added, second.updated, second.unchanged) == (2, 0, 0, 2)


def test_a_full_rescan_rereads_every_file_and_keeps_item_ids(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "A (2000).mp4")
    scanner.scan(library)
    before = one(db, "movie")["id"]
    report = scanner.scan(library, full=True)
    assert (report.updated, report.unchanged) == (1, 0)
    assert one(db, "movie")["id"] == before


def test_a_changed_file_is_reread(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    path = media_kit.video_at(root / "A (2000).mp4")
    scanner.scan(library)
    with open(path, "ab") as handle:
        handle.write(b"more")
    assert scanner.scan(library).updated == 1


def test_a_removed_file_is_marked_missing_not_deleted(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    path = media_kit.video_at(root / "A (2000).mp4")
    scanner.scan(library)
    path.unlink()
    report = scanner.scan(library)
    assert report.missing == 1
    assert one(db, "movie")["missing"] == 1
    assert rows(db, "SELECT missing_since FROM media_files")[0]["missing_since"] is not None


def test_a_returning_file_is_no_longer_missing(db, scanner, library_factory, media_kit, tmp_path):
    library, root = _movies(library_factory)
    path = media_kit.video_at(root / "A (2000).mp4")
    scanner.scan(library)
    shutil.move(path, tmp_path / "aside.mp4")
    scanner.scan(library)
    shutil.move(tmp_path / "aside.mp4", path)
    scanner.scan(library)
    assert one(db, "movie")["missing"] == 0
    assert rows(db, "SELECT missing_since FROM media_files")[0]["missing_since"] is None


def test_a_movie_is_missing_only_when_all_its_parts_are(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    part1 = media_kit.video_at(root / "Long (1990) - cd1.mkv")
    media_kit.video_at(root / "Long (1990) - cd2.mkv")
    scanner.scan(library)
    part1.unlink()
    scanner.scan(library)
    assert one(db, "movie")["missing"] == 0


def test_a_moved_file_keeps_its_file_and_item_ids(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    path = media_kit.video_at(root / "Film (2010).mp4")
    scanner.scan(library)
    before = rows(db, "SELECT id, item_id FROM media_files")[0]
    target = root / "Film (2010)" / "Film (2010).mp4"
    target.parent.mkdir()
    os.rename(path, target)
    report = scanner.scan(library)
    after = rows(db, "SELECT id, item_id, path, missing_since FROM media_files")
    assert report.moved == 1 and report.missing == 0
    assert after == [
        {"id": before["id"], "item_id": before["item_id"], "path": str(target), "missing_since": None}
    ]


def test_a_renamed_episode_keeps_its_item_id(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.SHOWS)
    root = Path(library.roots[0])
    path = media_kit.video_at(root / "Show" / "Season 01" / "Show - S01E01.mkv")
    scanner.scan(library)
    before = one(db, "episode")["id"]
    os.rename(path, path.with_name("Show - S01E01 - Pilot.mkv"))
    scanner.scan(library)
    episode = one(db, "episode")
    assert (episode["id"], episode["title"]) == (before, "Pilot")


def test_a_missing_library_folder_marks_nothing_missing(db, scanner, library_factory, media_kit, tmp_path):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "A (2000).mp4")
    scanner.scan(library)
    root.rename(tmp_path / "unmounted")
    report = scanner.scan(library)
    assert report.missing == 0 and one(db, "movie")["missing"] == 0
    assert "unavailable" in report.errors[0].reason


def test_a_vanished_only_episode_makes_season_and_show_missing(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.SHOWS)
    root = Path(library.roots[0])
    path = media_kit.video_at(root / "Show" / "Show - S01E01.mkv")
    scanner.scan(library)
    os.rename(path, root / "Show" / "Show - S01E01.mkv.bak")
    scanner.scan(library)
    assert [i["kind"] for i in items(db)] == ["episode", "season", "show"]
    assert {i["missing"] for i in items(db)} == {1}


def test_progress_reports_every_phase(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "A (2000).mp4")
    seen = []
    scanner.scan(library, progress=seen.append)
    assert seen[0].phase.value == "walk"
    assert {p.phase.value for p in seen} == {"walk", "identify", "reconcile", "artwork", "done"}
    assert {p.library_id for p in seen} == {library.id}
