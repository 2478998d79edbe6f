"""Music from tags (folders as fallback), photos from EXIF and home videos from file names."""

from __future__ import annotations

import os
from pathlib import Path

from reelhouse.domain.library import LibraryKind
from tests.mediagen import jpeg_bytes, photo_at
from tests.scanner.rows import items, one, rows


def test_tracks_group_into_artist_and_album_from_tags(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    for number, suffix in ((1, "mp3"), (2, "flac"), (3, "m4a")):
        media_kit.audio_at(
            root / f"t{number}.{suffix}",
            title=f"Song {number}",
            artist="Band",
            album_artist="Band",
            album="Record",
            track=number,
            disc=1,
            year=1999,
            genre="Rock",
        )
    scanner.scan(library)
    artist, album = one(db, "artist"), one(db, "album")
    tracks = items(db, "track")
    assert (artist["title"], album["title"], album["year"], album["parent_id"]) == (
        "Band",
        "Record",
        1999,
        artist["id"],
    )
    assert [(t["title"], t["idx"], t["parent_idx"]) for t in tracks] == [
        ("Song 1", 1, 1),
        ("Song 2", 2, 1),
        ("Song 3", 3, 1),
    ]
    assert {(t["parent_id"], t["top_id"]) for t in tracks} == {(album["id"], artist["id"])}
    assert all(0.5 < t["duration"] < 2 for t in tracks)
    assert rows(db, "SELECT DISTINCT genre FROM item_genres") == [{"genre": "Rock"}]


def test_compilations_belong_to_various_artists(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    media_kit.audio_at(root / "a.mp3", title="One", artist="A", album="Hits", compilation=True)
    media_kit.audio_at(root / "b.mp3", title="Two", artist="B", album="Hits", compilation=True)
    scanner.scan(library)
    assert one(db, "artist")["title"] == "Various Artists"
    assert {t["extra"]["artist"] for t in items(db, "track")} == {"A", "B"}


def test_untagged_tracks_fall_back_to_folder_names(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    media_kit.audio_at(root / "Folder Artist" / "Folder Album" / "04 - Untagged Song.mp3")
    scanner.scan(library)
    assert one(db, "artist")["title"] == "Folder Artist"
    assert one(db, "album")["title"] == "Folder Album"
    track = one(db, "track")
    assert (track["title"], track["idx"]) == ("Untagged Song", 4)


def test_embedded_cover_is_extracted_into_the_cache(db, scanner, library_factory, media_kit, tmp_path):
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    media_kit.audio_at(root / "Band" / "Record" / "01.mp3", cover=jpeg_bytes(), album="Record", artist="Band")
    scanner.scan(library)
    poster = one(db, "album")["poster"]
    assert poster.startswith(str(tmp_path / "cache" / "artwork")) and poster.endswith(".jpg")
    assert Path(poster).read_bytes().startswith(b"\xff\xd8")


def test_folder_cover_wins_over_the_embedded_one(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    album_folder = Path(library.roots[0]) / "Band" / "Record"
    media_kit.audio_at(album_folder / "01.mp3", cover=jpeg_bytes(), album="Record", artist="Band")
    (album_folder / "cover.jpg").write_bytes(jpeg_bytes())
    scanner.scan(library)
    assert one(db, "album")["poster"] == str(album_folder / "cover.jpg")


def test_photos_keep_exif_date_camera_orientation_and_gps(db, scanner, library_factory):
    library = library_factory(LibraryKind.PHOTOS)
    root = Path(library.roots[0])
    photo_at(
        root / "Trip" / "IMG_0001.jpg",
        taken="2021:07:14 12:30:00",
        camera=("Canon", "Canon EOS R5"),
        orientation=6,
        gps=(48.8584, 2.2945),
    )
    scanner.scan(library)
    photo = one(db, "photo")
    assert photo["title"] == "IMG_0001" and photo["year"] == 2021 and photo["taken_at"] > 0
    assert photo["extra"]["camera"] == "Canon EOS R5" and photo["extra"]["orientation"] == 6
    assert photo["extra"]["gps"] == [48.8584, 2.2945]
    assert photo["poster"] == str(root / "Trip" / "IMG_0001.jpg")


def test_home_videos_are_one_item_per_file_titled_from_the_name(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.HOME_VIDEOS)
    root = Path(library.roots[0])
    media_kit.video_at(root / "2019" / "birthday_party.mp4")
    media_kit.video_at(root / "beach day.mkv")
    scanner.scan(library)
    videos = items(db, "video")
    assert sorted(v["title"] for v in videos) == ["beach day", "birthday party"]
    assert all(v["duration"] for v in videos)


def test_item_ids_are_random_not_derived_from_paths(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.HOME_VIDEOS)
    root = Path(library.roots[0])
    media_kit.video_at(root / "clip.mp4")
    scanner.scan(library)
    first = one(db, "video")["id"]
    with db.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("DELETE FROM items"))
    scanner.scan(library, full=True)
    assert one(db, "video")["id"] != first and os.sep not in first
