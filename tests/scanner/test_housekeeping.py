"""Keeping the catalogue true over time: same-named movies, long-missing files, stale covers and NFOs, audio info."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from reelhouse.domain.library import LibraryKind
from reelhouse.scanner.runner import COVER_GRACE_SECONDS, MISSING_GRACE_SECONDS
from tests.mediagen import jpeg_bytes
from tests.postgres import exec_sql
from tests.scanner.rows import items, one, rows


def _movies(library_factory):  # type: ignore[no-untyped-def]
    library = library_factory(LibraryKind.MOVIES)
    return library, Path(library.roots[0])


def _age(db, seconds: float) -> None:  # type: ignore[no-untyped-def]
    with db.begin() as conn:
        exec_sql(
            conn,
            "UPDATE media_files SET missing_since = missing_since - ? WHERE missing_since IS NOT NULL",
            seconds,
        )


def test_same_title_and_year_in_different_folders_are_two_movies(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "Heat (1995)" / "Heat (1995).mkv")
    media_kit.video_at(root / "Old Copies" / "Heat (1995)" / "Heat (1995).mkv")
    scanner.scan(library)
    movies = items(db, "movie")
    assert [(m["title"], m["year"]) for m in movies] == [("Heat", 1995), ("Heat", 1995)]
    assert {r["part"] for r in rows(db, "SELECT part FROM media_files")} == {1}


def test_loose_same_titled_files_without_part_markers_are_two_movies(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "Heat (1995).mkv")
    media_kit.video_at(root / "Heat (1995) [Director's Cut].mkv")
    scanner.scan(library)
    assert len(items(db, "movie")) == 2


def test_loose_files_marked_as_parts_are_one_movie(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "Heat (1995) pt1.mkv")
    media_kit.video_at(root / "Heat (1995) pt2.mkv")
    scanner.scan(library)
    movie = one(db, "movie")
    parts = rows(db, "SELECT part FROM media_files WHERE item_id = :i ORDER BY part", i=movie["id"])
    assert [p["part"] for p in parts] == [1, 2]


def test_a_file_missing_within_the_grace_period_is_kept(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "Stays (2002).mp4")
    scanner.scan(library)
    (root / "Stays (2002).mp4").unlink()
    scanner.scan(library)
    _age(db, MISSING_GRACE_SECONDS - 3600)
    scanner.scan(library)
    assert one(db, "movie")["missing"] == 1


def test_a_file_missing_longer_than_the_grace_period_is_purged_with_its_items(
    db, scanner, library_factory, media_kit
):
    library = library_factory(LibraryKind.SHOWS)
    root = Path(library.roots[0])
    gone = media_kit.video_at(root / "Show" / "Season 01" / "Show - S01E01.mkv")
    media_kit.video_at(root / "Other" / "Season 01" / "Other - S01E01.mkv")
    scanner.scan(library)
    gone.unlink()
    scanner.scan(library)
    _age(db, MISSING_GRACE_SECONDS + 60)
    scanner.scan(library)
    assert [s["title"] for s in items(db, "show")] == ["Other"]
    assert len(items(db, "season")) == 1 and len(items(db, "episode")) == 1
    assert [Path(r["path"]).name for r in rows(db, "SELECT path FROM media_files")] == ["Other - S01E01.mkv"]


def test_an_extracted_cover_no_longer_shown_is_deleted(db, scanner, library_factory, media_kit, tmp_path):
    library = library_factory(LibraryKind.MUSIC)
    album = Path(library.roots[0]) / "Band" / "Record"
    media_kit.audio_at(album / "01.mp3", cover=jpeg_bytes(), album="Record", artist="Band")
    scanner.scan(library)
    extracted = Path(one(db, "album")["poster"])
    old = time.time() - COVER_GRACE_SECONDS - 60
    os.utime(extracted, (old, old))
    (album / "cover.jpg").write_bytes(jpeg_bytes((0, 0, 255)))
    scanner.scan(library)
    assert one(db, "album")["poster"] == str(album / "cover.jpg")
    assert not extracted.exists()


def test_an_extracted_cover_still_shown_is_kept(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    album = Path(library.roots[0]) / "Band" / "Record"
    media_kit.audio_at(album / "01.mp3", cover=jpeg_bytes(), album="Record", artist="Band")
    scanner.scan(library)
    extracted = Path(one(db, "album")["poster"])
    old = time.time() - COVER_GRACE_SECONDS - 60
    os.utime(extracted, (old, old))
    scanner.scan(library)
    assert extracted.exists() and one(db, "album")["poster"] == str(extracted)


def test_a_deleted_nfo_gives_the_movie_back_its_name_and_drops_its_metadata(
    db, scanner, library_factory, media_kit
):
    library, root = _movies(library_factory)
    folder = root / "Film (2010)"
    media_kit.video_at(folder / "Film (2010).mp4")
    nfo = folder / "movie.nfo"
    nfo.write_text(
        "<movie><title>Other Name</title><year>2011</year><plot>P</plot><rating>8</rating>"
        "<mpaa>R</mpaa><genre>Drama</genre><tag>t</tag></movie>"
    )
    scanner.scan(library)
    assert one(db, "movie")["title"] == "Other Name"
    # Folder timestamps move in kernel ticks (a few ms): a change inside the same tick as the scan leaves the
    # folder's mtime as it was, and unchanged folders are not re-listed. Wait a tick, as any real edit does.
    time.sleep(0.02)
    nfo.unlink()
    scanner.scan(library)
    movie = one(db, "movie")
    assert (movie["title"], movie["year"], movie["plot"], movie["rating"], movie["content_rating"]) == (
        "Film",
        2010,
        None,
        None,
        None,
    )
    assert movie["rating_rank"] is None
    assert rows(db, "SELECT * FROM item_genres") == [] and rows(db, "SELECT * FROM item_tags") == []


def test_an_nfo_edited_with_its_old_mtime_restored_is_read_again(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    folder = root / "Film (2010)"
    media_kit.video_at(folder / "Film (2010).mp4")
    nfo = folder / "movie.nfo"
    nfo.write_text("<movie><title>First</title></movie>")
    scanner.scan(library)
    stamp = nfo.stat()
    nfo.write_text("<movie><title>Second, longer</title></movie>")
    os.utime(nfo, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    os.utime(folder, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    scanner.scan(library)
    assert one(db, "movie")["title"] == "Second, longer"


def test_mp3_and_flac_media_info_comes_from_the_tags_reader(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    media_kit.audio_at(root / "a.mp3", cover=jpeg_bytes(), title="A")
    media_kit.audio_at(root / "b.flac", title="B")
    media_kit.audio_at(root / "c.m4a", title="C")
    scanner.scan(library)
    media = {
        Path(r["path"]).suffix: json.loads(r["media"])
        for r in rows(db, "SELECT path, media FROM media_files")
    }
    mp3, flac, m4a = media[".mp3"], media[".flac"], media[".m4a"]
    assert (mp3["container"], mp3["streams"][0]["codec"], mp3["streams"][0]["channels"]) == ("mp3", "mp3", 1)
    assert mp3["streams"][0]["sample_rate"] == 44100 and 30_000 <= mp3["streams"][0]["bit_rate"] <= 34_000
    assert [s["type"] for s in mp3["streams"]] == ["audio", "video"] and 0.9 < mp3["duration"] < 1.2
    assert (flac["container"], flac["streams"][0]["codec"], flac["streams"][0]["sample_rate"]) == (
        "flac",
        "flac",
        44100,
    )
    assert flac["bit_rate"] > 0
    assert (m4a["container"], m4a["streams"][0]["codec"], m4a["streams"][0]["channels"]) == ("m4a", "aac", 1)


def test_a_deleted_title_only_nfo_gives_a_show_back_its_folder_name(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.SHOWS)
    show = Path(library.roots[0]) / "Folder Name (2019)"
    media_kit.video_at(show / "Season 01" / "Folder Name - S01E01.mkv")
    (show / "tvshow.nfo").write_text("<tvshow><title>Nfo Name</title></tvshow>")
    scanner.scan(library)
    assert one(db, "show")["title"] == "Nfo Name"
    time.sleep(0.02)  # past the folder timestamp's tick, as above
    (show / "tvshow.nfo").unlink()
    scanner.scan(library)
    assert (one(db, "show")["title"], one(db, "show")["year"]) == ("Folder Name", 2019)
