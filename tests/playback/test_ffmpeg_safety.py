"""No client string reaches ffmpeg: every stream parameter is tried with options smuggled in."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reelhouse.errors import InvalidInput, NotFound
from reelhouse.media import ffmpeg
from reelhouse.services.media_files import MediaFiles
from tests.playback.conftest import Stage

SMUGGLED: list[Any] = [
    "-i /etc/passwd",
    "aac -f null -",
    "libx264;rm -rf /",
    "128k -vf drawtext",
    "0 -map 0",
    "1\n-y",
    "concat:/etc/passwd|/etc/hosts",
    "../../../../etc/passwd",
    "h264,scale=1:1",
    True,
    1.5,
    -1,
    10**9,
    None,
    "[0:v]split",
    "expr:1",
]


@pytest.fixture
def library(tmp_path: Path) -> Iterator[tuple[Path, ffmpeg.Input, Path]]:
    root = tmp_path / "lib"
    root.mkdir()
    source = root / "movie.mkv"
    source.write_bytes(b"x")
    out = tmp_path / "out"
    out.mkdir()
    with MediaFiles(protected=list).open_inside(str(source), (str(root),)) as opened:
        yield root, opened.ffmpeg_input(), out


def _job(library: tuple[Path, ffmpeg.Input, Path], **changes: Any) -> ffmpeg.HlsJob:
    _root, source, out = library
    base = ffmpeg.HlsJob(
        source=source,
        output=out,
        start_segment=0,
        segment_seconds=4,
        audio_index=1,
        audio_codec="aac",
        audio_kbps=160,
        video_index=0,
        video_codec="h264",
        height=720,
        video_kbps=3000,
    )
    return dataclasses.replace(base, **changes)


HLS_FIELDS = [
    "start_segment",
    "segment_seconds",
    "audio_index",
    "audio_codec",
    "audio_kbps",
    "video_index",
    "video_codec",
    "height",
    "video_kbps",
    "burn_subtitle_index",
]


@pytest.mark.parametrize("field", HLS_FIELDS)
@pytest.mark.parametrize("value", SMUGGLED, ids=repr)
def test_hls_parameter_rejects_smuggled_values(
    library: tuple[Path, ffmpeg.Input, Path], field: str, value: Any
) -> None:
    nullable = {"audio_index", "audio_codec", "video_codec", "burn_subtitle_index"}
    if value is None and field in nullable:
        pytest.skip("None is a meaningful choice here (copy, or no track)")
    with pytest.raises(InvalidInput):
        ffmpeg.hls_argv(_job(library, **{field: value}))


@pytest.mark.parametrize("value", ["/etc/passwd", "-i", "concat:a|b", "../lib/../../etc/passwd"])
def test_sources_outside_the_libraries_are_never_opened(
    library: tuple[Path, ffmpeg.Input, Path], value: str
) -> None:
    with pytest.raises(NotFound):
        MediaFiles(protected=list).open_inside(value, (str(library[0]),))


def test_symlink_out_of_the_library_is_refused(
    library: tuple[Path, ffmpeg.Input, Path], tmp_path: Path
) -> None:
    outside = tmp_path / "secret.mkv"
    outside.write_bytes(b"x")
    link = library[0] / "link.mkv"
    link.symlink_to(outside)
    with pytest.raises(NotFound):
        MediaFiles(protected=list).open_inside(str(link), (str(library[0]),))


@pytest.mark.parametrize("fd", [-1, "3", True, 1.5])
def test_an_input_is_only_ever_a_descriptor(library: tuple[Path, ffmpeg.Input, Path], fd: Any) -> None:
    with pytest.raises(InvalidInput):
        ffmpeg.hls_argv(_job(library, source=ffmpeg.Input(fd)))


def test_argv_restricts_protocols_and_reads_the_checked_descriptor(
    library: tuple[Path, ffmpeg.Input, Path],
) -> None:
    argv = ffmpeg.hls_argv(_job(library))
    assert argv[argv.index("-protocol_whitelist") + 1] == "file"
    assert argv[argv.index("-i") + 1] == f"file:/proc/self/fd/{library[1].fd}"
    assert argv.index("-protocol_whitelist") < argv.index("-i")


@pytest.mark.parametrize("codec", ["opus -f", "flac", "aac,anull", 128])
def test_audio_codec_is_allowlisted(library: tuple[Path, ffmpeg.Input, Path], codec: Any) -> None:
    with pytest.raises(InvalidInput):
        ffmpeg.audio_argv(library[1], 0, codec, 128)


@pytest.mark.parametrize("kbps", [127, "128", "128k -y", 10**6, True])
def test_audio_bitrate_is_allowlisted(library: tuple[Path, ffmpeg.Input, Path], kbps: Any) -> None:
    with pytest.raises(InvalidInput):
        ffmpeg.audio_argv(library[1], 0, "opus", kbps)


@pytest.mark.parametrize("seconds", ["1 -y", -1, float("nan"), True])
def test_frame_time_is_validated(library: tuple[Path, ffmpeg.Input, Path], seconds: Any) -> None:
    with pytest.raises(InvalidInput):
        ffmpeg.frame_argv(library[1], seconds, library[2] / "f.jpg")


def test_only_ffmpeg_is_ever_started() -> None:
    from reelhouse.errors import MediaError

    with pytest.raises(MediaError):
        ffmpeg.start(["/bin/sh", "-c", "true"], ffmpeg.Input(0))


HOSTILE_PROFILES: list[dict[str, Any]] = [
    {"profile": {"containers": ["mp4 -f null"]}},
    {"profile": {"video_codecs": ["h264 -vf x"]}},
    {"profile": {"audio_codecs": ["aac;id"]}},
    {"profile": {"max_height": "720 -y"}},
    {"profile": {"max_bitrate_kbps": "3000k -i /etc/passwd"}},
    {"audio_index": "1 -map 0"},
    {"burn_subtitle_index": "3,drawtext"},
    {"profile": {"containers": ["mp4"]}, "path": "/etc/passwd"},
    {"profile": {"codec": "-i /etc/passwd"}},
]


@pytest.mark.parametrize("body", HOSTILE_PROFILES, ids=lambda b: repr(b)[:40])
def test_hostile_playback_request_is_refused_before_any_encoder(stage: Stage, body: dict[str, Any]) -> None:
    owner = stage.owner()
    answer = owner.post(f"/api/items/{stage.items['hevc.mkv']}/playback", body)
    assert answer.status == 422, answer.body
    assert stage.server.server.services.media.encoders.active() == []


@pytest.mark.parametrize("query", ["codec=opus%20-f%20null", "bitrate=128k", "bitrate=129", "codec=flac"])
def test_hostile_audio_query_is_refused(stage: Stage, query: str) -> None:
    answer = stage.server.anonymous().get(f"/api/items/{stage.items['direct.mp4']}/audio?grant=x&{query}")
    assert answer.status in (401, 422)


def test_started_encoder_argv_holds_only_server_values(stage: Stage) -> None:
    owner = stage.owner()
    answer = owner.post(
        f"/api/items/{stage.items['hevc.mkv']}/playback",
        {"profile": {"max_height": 1000, "max_bitrate_kbps": 1234}, "audio_index": 1},
    )
    assert answer.status == 200, answer.body
    master = stage.server.anonymous().get(answer.json()["url"]).body.decode()
    base = answer.json()["url"].rsplit("/", 1)[0]
    media = stage.server.anonymous().get(f"{base}/{master.strip().splitlines()[-1]}").body.decode()
    first = next(line for line in media.splitlines() if line.startswith("0.ts"))
    assert stage.server.anonymous().get(f"{base}/{first}").status == 200
    (session,) = stage.server.server.services.media.encoders.active()
    argv = session.argv_history[0]
    # The client's numbers arrive only as the server's own ladder rung and bitrate budget.
    assert "1000" not in " ".join(argv) and "1234" not in " ".join(argv)
    assert argv[argv.index("-vf") + 1] in {"scale=-2:240", "scale=-2:360", "scale=-2:480", "scale=-2:720"}
