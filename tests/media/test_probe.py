"""Media info with PyAV on generated video and audio, and the errors for files that are not media."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelhouse.domain.library import MediaInfo, StreamInfo
from reelhouse.errors import MediaError
from reelhouse.media.probe import probe, subtitle_format, to_json
from tests.mediagen import MediaKit


def test_mp4_container_streams_and_duration(media_kit: MediaKit) -> None:
    info = probe(str(media_kit.master("video.mp4")))
    video, audio = info.streams
    assert info.container == "mp4" and info.duration is not None and 0.9 < info.duration < 1.2
    assert info.bit_rate is not None and info.bit_rate > 0
    assert (video.type, video.codec, video.width, video.height, video.frame_rate) == (
        "video",
        "h264",
        96,
        64,
        10.0,
    )
    assert (audio.type, audio.codec, audio.channels, audio.sample_rate) == ("audio", "aac", 1, 44100)


def test_mkv_subtitle_stream_has_language_and_forced_flag(media_kit: MediaKit) -> None:
    info = probe(str(media_kit.master("subbed.mkv")))
    assert info.container == "mkv"
    subtitle = info.streams[2]
    assert (subtitle.type, subtitle.codec, subtitle.language, subtitle.forced) == (
        "subtitle",
        "subrip",
        "fre",
        True,
    )
    assert subtitle_format(subtitle.codec) == "srt"


@pytest.mark.parametrize("name", ["audio.mp3", "audio.flac", "audio.m4a"])
def test_audio_files_have_one_audio_stream(media_kit: MediaKit, name: str) -> None:
    info = probe(str(media_kit.master(name)))
    assert [s.type for s in info.streams] == ["audio"] and info.streams[0].sample_rate == 44100


def test_truncated_video_is_a_media_error(media_kit: MediaKit, tmp_path: Path) -> None:
    data = media_kit.master("video.mkv").read_bytes()
    path = tmp_path / "cut.mkv"
    path.write_bytes(data[:600])
    with pytest.raises(MediaError):
        probe(str(path))


@pytest.mark.parametrize("content", [b"plain text, not media" * 50, b"\x00" * 4096])
def test_non_media_is_a_media_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.mp4"
    path.write_bytes(content)
    with pytest.raises(MediaError):
        probe(str(path))


def test_missing_file_is_a_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        probe(str(tmp_path / "absent.mkv"))


def test_json_round_trips_into_the_domain_shape(media_kit: MediaKit) -> None:
    info = probe(str(media_kit.master("subbed.mkv")))
    data = json.loads(to_json(info))
    again = MediaInfo(
        data["container"], data["duration"], data["bit_rate"], tuple(StreamInfo(**s) for s in data["streams"])
    )
    assert again == info


def test_chapters_are_read_from_the_container(tmp_path: Path) -> None:
    from tests.mediagen import ffmpeg

    chapters = tmp_path / "chapters.txt"
    chapters.write_text(
        ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=400\ntitle=Opening\n"
        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=400\nEND=1000\ntitle=\x1b[31mMain\n"
    )
    target = tmp_path / "chaptered.mkv"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-i", str(chapters),
        "-map_metadata", "1", "-map_chapters", "1", "-c:v", "libx264", str(target),
    )  # fmt: skip
    info = probe(str(target))
    assert [(c.start, c.end, c.title) for c in info.chapters] == [
        (0.0, 0.4, "Opening"),
        (0.4, 1.0, "[31mMain"),
    ]
    stored = json.loads(to_json(info))
    assert stored["chapters"] == [[0.0, 0.4, "Opening"], [0.4, 1.0, "[31mMain"]]
