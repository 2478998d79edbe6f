"""Pure rules: Range decisions and the direct/remux/transcode plan, as tables."""

from __future__ import annotations

import pytest

from reelhouse.domain.library import MediaInfo, StreamInfo
from reelhouse.domain.playback import ClientProfile, Limits, Method, Request, plan
from reelhouse.domain.ranges import Outcome, decide, parse_range, validators
from reelhouse.errors import InvalidInput, PermissionDenied

FOUND = validators(1000, 1_700_000_000_500_000_000)


@pytest.mark.parametrize(
    ("header", "outcome", "start", "end"),
    [
        ("bytes=0-0", Outcome.PARTIAL, 0, 0),
        ("bytes=0-", Outcome.PARTIAL, 0, 999),
        ("bytes=-1", Outcome.PARTIAL, 999, 999),
        ("bytes=-5000", Outcome.PARTIAL, 0, 999),
        ("bytes=990-5000", Outcome.PARTIAL, 990, 999),
        ("bytes=1000-", Outcome.UNSATISFIABLE, 0, 0),
        ("bytes=-0", Outcome.UNSATISFIABLE, 0, 0),
        ("bytes=5-1", Outcome.FULL, 0, 0),
        ("bytes=0-1,3-4", Outcome.FULL, 0, 0),
        ("pages=1-2", Outcome.FULL, 0, 0),
        ("bytes=99999999999999999999-", Outcome.FULL, 0, 0),
    ],
)
def test_range_table(header: str, outcome: Outcome, start: int, end: int) -> None:
    got = parse_range(header, 1000)
    assert got.outcome is outcome
    if outcome is Outcome.PARTIAL:
        assert (got.start, got.end) == (start, end)


def test_empty_file_range_is_unsatisfiable() -> None:
    assert parse_range("bytes=0-", 0).outcome is Outcome.UNSATISFIABLE


def test_if_none_match_wins_over_if_modified_since() -> None:
    got = decide("GET", FOUND, if_none_match='"other"', if_modified_since="Sun, 01 Jan 2090 00:00:00 GMT")
    assert got.outcome is Outcome.FULL


def test_if_match_mismatch_is_precondition_failed() -> None:
    assert decide("GET", FOUND, if_match='"other"').outcome is Outcome.PRECONDITION_FAILED


def test_last_modified_rounds_up_like_aiohttp() -> None:
    assert FOUND.last_modified == 1_700_000_001


H264 = StreamInfo(index=0, type="video", codec="h264", width=1920, height=1080)
HEVC = StreamInfo(index=0, type="video", codec="hevc", width=1920, height=1080)
AAC = StreamInfo(index=1, type="audio", codec="aac", default=True)
AC3 = StreamInfo(index=2, type="audio", codec="ac3")
PGS = StreamInfo(index=3, type="subtitle", codec="hdmv_pgs_subtitle")
SRT = StreamInfo(index=4, type="subtitle", codec="subrip")
WEB = ClientProfile(
    containers=frozenset({"mp4"}),
    video_codecs=frozenset({"h264"}),
    audio_codecs=frozenset({"aac", "mp3", "opus"}),
)


def media(container: str, *streams: StreamInfo, kbps: int = 5000) -> MediaInfo:
    return MediaInfo(container=container, duration=60.0, bit_rate=kbps * 1000, streams=streams)


@pytest.mark.parametrize(
    ("info", "limits", "request_", "method", "video_copy", "audio_copy", "height"),
    [
        (media("mp4", H264, AAC), Limits(), Request(), Method.DIRECT, True, True, None),
        (media("mov", H264, AAC), Limits(), Request(), Method.DIRECT, True, True, None),
        (media("mkv", H264, AAC), Limits(), Request(), Method.REMUX, True, True, None),
        (media("mp4", H264, AC3), Limits(), Request(), Method.REMUX, True, False, None),
        (media("mp4", H264, AAC, AC3), Limits(), Request(audio_index=2), Method.REMUX, True, False, None),
        (media("mkv", HEVC, AC3), Limits(), Request(), Method.TRANSCODE, False, False, 1080),
        (
            media("mp4", H264, AAC, kbps=9000),
            Limits(max_bitrate_kbps=3000),
            Request(),
            Method.TRANSCODE,
            False,
            True,
            480,
        ),
        (
            media("mp4", H264, AAC, kbps=2000),
            Limits(max_bitrate_kbps=3000),
            Request(),
            Method.DIRECT,
            True,
            True,
            None,
        ),
        (
            media("mkv", H264, AAC, PGS),
            Limits(),
            Request(burn_subtitle_index=3),
            Method.TRANSCODE,
            False,
            True,
            1080,
        ),
    ],
)
def test_plan_table(
    info: MediaInfo,
    limits: Limits,
    request_: Request,
    method: Method,
    video_copy: bool,
    audio_copy: bool,
    height: int | None,
) -> None:
    got = plan(info, WEB, limits, request_)
    assert got.method is method
    if method is not Method.DIRECT:
        assert (got.video_copy, got.audio_copy, got.height) == (video_copy, audio_copy, height)


def test_client_resolution_cap_lowers_the_transcode() -> None:
    small = ClientProfile(video_codecs=frozenset({"h264"}), max_width=1280, max_height=720)
    got = plan(media("mp4", H264, AAC), small, Limits())
    assert (got.method, got.height) == (Method.TRANSCODE, 720)


def test_transcode_without_permission_is_refused() -> None:
    with pytest.raises(PermissionDenied):
        plan(media("mkv", HEVC, AC3), WEB, Limits(may_transcode=False))


def test_remux_needs_no_transcode_permission() -> None:
    assert plan(media("mkv", H264, AAC), WEB, Limits(may_transcode=False)).method is Method.REMUX


def test_text_subtitles_are_never_burned_in() -> None:
    with pytest.raises(InvalidInput):
        plan(media("mkv", H264, AAC, SRT), WEB, Limits(), Request(burn_subtitle_index=4))


def test_unknown_audio_track_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        plan(media("mp4", H264, AAC), WEB, Limits(), Request(audio_index=7))


def test_music_in_an_unplayable_codec_becomes_a_progressive_audio_transcode() -> None:
    flac = MediaInfo("flac", 10.0, 900_000, (StreamInfo(index=0, type="audio", codec="flac"),))
    got = plan(flac, WEB, Limits())
    assert (got.method, got.audio_codec, got.audio_copy) == (Method.TRANSCODE, "aac", False)


def test_music_bitrate_follows_the_cap() -> None:
    flac = MediaInfo("flac", 10.0, 900_000, (StreamInfo(index=0, type="audio", codec="flac"),))
    assert plan(flac, WEB, Limits(max_bitrate_kbps=100)).audio_kbps == 96
