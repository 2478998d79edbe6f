"""The demo library: playable files, and a scan of each root finds the items it promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelhouse.domain.library import LibraryKind
from reelhouse.media.demo import generate_demo_library
from reelhouse.media.images import render
from reelhouse.media.photos import read_photo
from reelhouse.media.probe import probe
from tests.media import camera
from tests.scanner.rows import items, one


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[LibraryKind, Path]:
    return generate_demo_library(tmp_path_factory.mktemp("demo"))


def _files(root: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in suffixes)


def test_every_demo_video_and_track_is_playable_media(demo: dict[LibraryKind, Path]) -> None:
    videos = _files(demo[LibraryKind.MOVIES], ".mp4") + _files(demo[LibraryKind.SHOWS], ".mp4")
    tracks = _files(demo[LibraryKind.MUSIC], ".mp3")
    assert (len(videos), len(tracks)) == (3, 3)
    for path in videos:
        info = probe(str(path))
        assert {s.type for s in info.streams} >= {"video", "audio"} and (info.duration or 0) >= 2.5
    for path in tracks:
        assert (probe(str(path)).duration or 0) >= 2.5
    assert not list(demo[LibraryKind.MUSIC].rglob(".master*"))


def test_demo_photos_carry_a_date_taken(demo: dict[LibraryKind, Path]) -> None:
    photos = _files(demo[LibraryKind.PHOTOS], ".jpg")
    assert len(photos) == 2 and all(read_photo(str(p)).taken_at for p in photos)


def test_scanning_the_demo_movies_finds_the_movie_and_its_poster(db, scanner, library_factory, demo):  # type: ignore[no-untyped-def]
    scanner.scan(library_factory(LibraryKind.MOVIES, roots=[demo[LibraryKind.MOVIES]]))
    movie = one(db, "movie")
    assert (movie["title"], movie["year"], Path(movie["poster"]).name) == (
        "Big Buck Test",
        2024,
        "poster.jpg",
    )


def test_scanning_the_demo_shows_finds_one_show_with_two_episodes(db, scanner, library_factory, demo):  # type: ignore[no-untyped-def]
    report = scanner.scan(library_factory(LibraryKind.SHOWS, roots=[demo[LibraryKind.SHOWS]]))
    assert report.errors == ()
    assert one(db, "show")["title"] == "Demo Show" and one(db, "season")["idx"] == 1
    assert [(e["idx"], e["title"]) for e in items(db, "episode")] == [(1, "Pilot"), (2, "Second Steps")]


def test_scanning_the_demo_music_finds_the_album_with_its_cover(db, scanner, library_factory, demo):  # type: ignore[no-untyped-def]
    scanner.scan(library_factory(LibraryKind.MUSIC, roots=[demo[LibraryKind.MUSIC]]))
    album = one(db, "album")
    assert (one(db, "artist")["title"], album["title"], album["year"]) == ("Demo Artist", "First Light", 2024)
    assert album["poster"] and Path(album["poster"]).read_bytes().startswith(b"\xff\xd8")
    assert [(t["idx"], t["title"]) for t in items(db, "track")] == [
        (1, "Morning"),
        (2, "Noon"),
        (3, "Evening"),
    ]


def test_scanning_the_demo_photos_finds_both(db, scanner, library_factory, demo):  # type: ignore[no-untyped-def]
    scanner.scan(library_factory(LibraryKind.PHOTOS, roots=[demo[LibraryKind.PHOTOS]]))
    assert [p["title"] for p in sorted(items(db, "photo"), key=lambda p: p["title"])] == [
        "Holiday 01",
        "Holiday 02",
    ]


def test_demo_photos_carry_camera_exif_and_render_for_every_viewer(
    demo: dict[LibraryKind, Path], tmp_path: Path
) -> None:
    photos = _files(demo[LibraryKind.PHOTOS], ".jpg")
    for photo in photos:
        exif = camera.jpeg_exif(photo.read_bytes())
        assert exif is not None
        tags = camera.tiff_tags(exif)
        assert {"exif", "interop", "gps"} <= set(tags) and 0x927C in tags["exif"]
        for keep_gps in (False, True):
            target = tmp_path / f"{photo.stem}-{keep_gps}.jpg"
            render(photo, target, 320, keep_gps)
            copied = camera.jpeg_exif(target.read_bytes())
            assert copied is not None and ("gps" in camera.tiff_tags(copied)) is keep_gps
    assert {read_photo(str(p)).orientation for p in photos} == {1, 6}
