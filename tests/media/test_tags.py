"""Audio tags and media info with mutagen, on generated MP3, FLAC and M4A files."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelhouse.errors import MediaError
from reelhouse.media.tags import read_audio, read_cover, read_tags
from tests.mediagen import MediaKit, jpeg_bytes

FULL = {
    "title": "Song",
    "artist": "Singer",
    "album_artist": "Band",
    "album": "Record",
    "track": "3/12",
    "disc": "2/2",
    "year": "1999-04-01",
    "genre": "Rock",
}


@pytest.mark.parametrize("suffix", ["mp3", "flac", "m4a"])
def test_every_tag_family_gives_the_same_facts(media_kit: MediaKit, tmp_path: Path, suffix: str) -> None:
    tags = dict(FULL)
    if suffix == "m4a":
        tags.update(track="3", disc="2")
    path = media_kit.audio_at(tmp_path / f"t.{suffix}", **tags)
    read = read_tags(str(path))
    assert (read.title, read.artist, read.album_artist, read.album) == ("Song", "Singer", "Band", "Record")
    assert (read.track, read.disc, read.year, read.genres, read.compilation) == (3, 2, 1999, ("Rock",), False)
    assert read.duration is not None and 0.9 < read.duration < 1.2


@pytest.mark.parametrize("suffix", ["mp3", "flac", "m4a"])
def test_compilation_flag(media_kit: MediaKit, tmp_path: Path, suffix: str) -> None:
    path = media_kit.audio_at(tmp_path / f"t.{suffix}", album="Hits", compilation=True)
    assert read_tags(str(path)).compilation is True


def test_several_genres_in_one_frame_are_split_and_deduplicated(media_kit: MediaKit, tmp_path: Path) -> None:
    path = media_kit.audio_at(tmp_path / "t.flac", genre="Rock; Pop;Rock")
    assert read_tags(str(path)).genres == ("Rock", "Pop")


def test_untagged_file_has_only_a_duration(media_kit: MediaKit, tmp_path: Path) -> None:
    path = media_kit.copy("audio.mp3", tmp_path / "t.mp3", unique=False)
    read = read_tags(str(path))
    assert read.title is None and read.artist is None and read.duration is not None


@pytest.mark.parametrize("suffix", ["mp3", "m4a"])
def test_embedded_cover_bytes_are_returned(media_kit: MediaKit, tmp_path: Path, suffix: str) -> None:
    cover = jpeg_bytes((1, 2, 3))
    path = media_kit.audio_at(tmp_path / f"t.{suffix}", cover=cover, title="x")
    assert read_tags(str(path)).has_cover is True
    assert read_cover(str(path)) == cover


def test_no_cover_gives_none(media_kit: MediaKit, tmp_path: Path) -> None:
    path = media_kit.audio_at(tmp_path / "t.mp3", title="x")
    assert read_tags(str(path)).has_cover is False and read_cover(str(path)) is None


def test_mp3_media_info_matches_what_libavformat_reports(media_kit: MediaKit, tmp_path: Path) -> None:
    from reelhouse.media.probe import probe

    path = media_kit.audio_at(tmp_path / "t.mp3", cover=jpeg_bytes(), title="x")
    _, media = read_audio(str(path), path.stat().st_size)
    probed = probe(str(path))
    assert media is not None
    assert media.container == probed.container == "mp3"
    ours, theirs = media.streams[0], probed.streams[0]
    assert (ours.codec, ours.channels, ours.sample_rate) == (
        theirs.codec,
        theirs.channels,
        theirs.sample_rate,
    )
    assert abs((ours.bit_rate or 0) - (theirs.bit_rate or 0)) < 1000
    assert [s.type for s in media.streams] == [s.type for s in probed.streams]


def test_m4a_media_info_is_left_to_pyav(media_kit: MediaKit, tmp_path: Path) -> None:
    path = media_kit.audio_at(tmp_path / "t.m4a", title="x")
    assert read_audio(str(path), path.stat().st_size)[1] is None


def test_garbage_with_an_audio_extension_is_a_media_error(tmp_path: Path) -> None:
    path = tmp_path / "t.mp3"
    path.write_bytes(b"not audio at all" * 100)
    with pytest.raises(MediaError):
        read_tags(str(path))


def test_tag_text_is_bounded_and_nul_free(media_kit: MediaKit, tmp_path: Path) -> None:
    path = media_kit.audio_at(tmp_path / "t.flac", title="A\x00B" + "x" * 2000)
    title = read_tags(str(path)).title or ""
    assert len(title) == 512 and "\x00" not in title
