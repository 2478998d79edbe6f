"""Jellyfin playback through the one media access decision, driven by Jellyfin's own client libraries against a
real server with real tiny media: PlaybackInfo, direct play with Range, audio, HLS played by ffprobe, downloads
and subtitles; and a restricted member who gets nothing for what they may not have."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from jellyfin_api_client.models.playback_info_response import PlaybackInfoResponse

from reelhouse.domain.access import system_actor
from reelhouse.web.compat.jellyfin.ids import to_jellyfin
from tests.compat.jellyfin.conftest import post_in_pieces
from tests.compat.jellyfin.media_world import World, build

REMOTE = "127.0.0.9"
FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"
# What a small H.264/AAC player says it plays directly (the apiclient sends the app's own profile).
MP4_PROFILE = {
    "MaxStreamingBitrate": 120_000_000,
    "DirectPlayProfiles": [
        {"Container": "mp4,m4v", "Type": "Video", "VideoCodec": "h264", "AudioCodec": "aac"}
    ],
    "TranscodingProfiles": [
        {"Container": "ts", "Type": "Video", "VideoCodec": "h264", "AudioCodec": "aac", "Protocol": "hls"}
    ],
}
NOTHING_PROFILE = {"DirectPlayProfiles": [], "TranscodingProfiles": MP4_PROFILE["TranscodingProfiles"]}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build(tmp_path_factory.mktemp("jellyfin-playback"))
    yield made
    made.server.stop()


def _end_sessions(world: World) -> None:
    encoders = world.server.server.services.media.encoders
    for session in encoders.active():
        encoders.end(session.id, session.user_id)


def _info(world: World, who: str, item: str, profile: dict[str, Any]) -> dict[str, Any]:
    answer = world.app(who).jellyfin.get_play_info(to_jellyfin(item), profile=profile)
    assert isinstance(answer, dict), answer
    return answer


def test_playback_info_offers_direct_play_for_a_matching_profile_and_the_typed_client_parses_it(
    world: World,
) -> None:
    answer = _info(world, "owner", world.film, MP4_PROFILE)
    parsed = PlaybackInfoResponse.from_dict(answer)
    assert parsed.media_sources and parsed.play_session_id
    source = answer["MediaSources"][0]
    assert (source["SupportsDirectPlay"], source["SupportsTranscoding"], source["Protocol"]) == (
        True,
        False,
        "File",
    )
    assert source["Id"] == to_jellyfin(world.film) and source["Container"] == "mp4"
    assert source["RunTimeTicks"] > 7 * 10_000_000 and source["Size"] > 0
    kinds = [s["Type"] for s in source["MediaStreams"]]
    assert kinds.count("Video") == 1 and kinds.count("Audio") == 1 and kinds.count("Subtitle") == 1
    subtitle = next(s for s in source["MediaStreams"] if s["Type"] == "Subtitle")
    assert subtitle["IsExternal"] and subtitle["DeliveryMethod"] == "External"
    assert "ErrorCode" not in answer


def test_a_playback_info_body_arriving_in_pieces_is_read_whole(world: World) -> None:
    body = json.dumps({"DeviceProfile": MP4_PROFILE}).encode()
    path = f"/jellyfin/Items/{to_jellyfin(world.film)}/PlaybackInfo"
    answer = post_in_pieces(world.server.port, path, body, f'MediaBrowser Token="{world.tokens["owner"]}"')
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    (source,) = json.loads(answer.split(b"\r\n\r\n", 1)[1])["MediaSources"]
    # The profile in the second piece was read: it plays the film directly.
    assert source["SupportsDirectPlay"] is True


def test_a_direct_play_url_the_client_builds_is_served_byte_for_byte_with_a_range(world: World) -> None:
    app = world.app("member")
    url = app.jellyfin.video_url(to_jellyfin(world.film))
    assert "static=true" in url and "ApiKey=" in url
    original = (world.root / "films" / "Film" / "Film.mp4").read_bytes()
    answer = requests.get(url, headers={"Range": "bytes=100-1099"}, timeout=30)
    assert answer.status_code == 206 and answer.content == original[100:1100]
    whole = requests.get(url.replace("/stream?", "/stream.mp4?"), timeout=30)
    assert whole.status_code == 200 and whole.content == original
    # The same URL without its key, and another member's item with one, answer no bytes.
    bare = app.jellyfin.video_url(to_jellyfin(world.film), include_apikey=False)
    assert requests.get(bare, timeout=30).status_code == 401
    hidden = app.jellyfin.video_url(to_jellyfin(world.hidden))
    refused = requests.get(hidden, headers={"Range": "bytes=0-99"}, timeout=30)
    assert refused.status_code == 404 and len(refused.content) < 400


def test_audio_url_plays_the_original_when_accepted_and_an_encode_otherwise(world: World) -> None:
    app = world.app("owner")
    flac = (world.root / "music" / "Artist" / "Album" / "01 - Song.flac").read_bytes()
    direct = requests.get(app.jellyfin.audio_url(to_jellyfin(world.song), container="flac"), timeout=30)
    assert direct.status_code == 200 and direct.content == flac
    encoded = requests.get(app.jellyfin.audio_url(to_jellyfin(world.song), container="mp3"), timeout=30)
    assert encoded.status_code == 200 and encoded.headers["Content-Type"] == "audio/mpeg"
    assert encoded.content[:3] == b"ID3" or encoded.content[0] == 0xFF
    # A member without the transcode permission gets the original when it is accepted, and nothing else.
    member = world.app("member")
    assert (
        requests.get(member.jellyfin.audio_url(to_jellyfin(world.song), container="flac"), timeout=30).content
        == flac
    )
    refused = requests.get(member.jellyfin.audio_url(to_jellyfin(world.song), container="mp3"), timeout=30)
    assert refused.status_code == 403 and len(refused.content) < 400


def _probe(url: str, seek: float | None = None) -> dict[str, Any]:
    argv = [FFPROBE, "-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
    if seek is not None:
        argv += ["-read_intervals", f"{seek}%+2", "-show_packets", "-select_streams", "v:0"]
    done = subprocess.run([*argv, url], capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()[-400:]
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_ffprobe_plays_the_transcoding_url_a_client_is_handed_and_seeks_to_three_quarters(
    world: World,
) -> None:
    answer = _info(world, "owner", world.other, MP4_PROFILE)
    source = answer["MediaSources"][0]
    assert source["SupportsDirectPlay"] is False and source["SupportsTranscoding"] is True
    assert source["TranscodingSubProtocol"] == "hls" and source["TranscodingContainer"] == "ts"
    url = world.url + source["TranscodingUrl"]
    assert world.tokens["owner"] not in url  # a grant, never the account's token
    whole = _probe(url)
    duration = float(whole["format"]["duration"])
    assert duration > 10 and {s["codec_name"] for s in whole["streams"]} >= {"h264"}
    seeked = _probe(url, seek=duration * 0.75)
    times = [float(p["pts_time"]) for p in seeked["packets"]]
    assert times and max(times) >= duration * 0.75 - 1
    # Ending the app's encodings ends the session: its URL answers nothing after.
    app = world.app("owner")
    app.jellyfin.close_transcode("device-owner", answer["PlaySessionId"])
    assert requests.get(url, timeout=30).status_code == 404
    _end_sessions(world)


def test_the_decision_sets_the_flags_whatever_the_app_claims(world: World) -> None:
    # The member may not transcode: the mkv the app cannot play gets no TranscodingUrl.
    refused = _info(world, "member", world.other, MP4_PROFILE)
    assert refused["ErrorCode"] == "NoCompatibleStream" and refused["MediaSources"] == []
    # A bitrate cap below the file's rate makes direct play impossible even for a profile that matches.
    capped = _info(world, "owner", world.film, {**MP4_PROFILE, "MaxStreamingBitrate": 150_000})
    assert capped["MediaSources"][0]["SupportsDirectPlay"] is False
    _end_sessions(world)
    # Nothing the app plays and a user who may transcode: an HLS session.
    nothing = _info(world, "owner", world.film, NOTHING_PROFILE)
    assert nothing["MediaSources"][0]["TranscodingUrl"].startswith(
        f"/Videos/{to_jellyfin(world.film)}/master.m3u8"
    )
    _end_sessions(world)
    # An item the member may not see answers as missing.
    hidden = world.raw("member").post(f"/jellyfin/Items/{to_jellyfin(world.hidden)}/PlaybackInfo", {})
    assert hidden.status == 404


def test_downloads_need_the_download_permission(world: World) -> None:
    owner, member = world.app("owner"), world.app("member")
    allowed = requests.get(owner.jellyfin.download_url(to_jellyfin(world.film)), timeout=30)
    assert allowed.status_code == 200 and "attachment" in allowed.headers["Content-Disposition"]
    refused = requests.get(member.jellyfin.download_url(to_jellyfin(world.film)), timeout=30)
    assert refused.status_code == 403 and len(refused.content) < 400


def test_subtitles_as_webvtt_and_srt_through_the_decision(world: World) -> None:
    answer = _info(world, "member", world.film, MP4_PROFILE)
    source = answer["MediaSources"][0]
    sub = next(s for s in source["MediaStreams"] if s["Type"] == "Subtitle")
    app = world.app("member")
    jid = to_jellyfin(world.film)
    vtt = requests.get(app.jellyfin.subtitle_url(jid, source["Id"], sub["Index"], "vtt"), timeout=30)
    assert vtt.status_code == 200 and vtt.text.startswith("WEBVTT") and "Hello" in vtt.text
    srt = requests.get(app.jellyfin.subtitle_url(jid, source["Id"], sub["Index"], "srt"), timeout=30)
    assert srt.text.startswith("1\n00:00:01,000 --> 00:00:02,000\nHello")
    shifted = requests.get(
        app.jellyfin.subtitle_url(jid, source["Id"], sub["Index"], "vtt", fmt_index=40_000_000), timeout=30
    )
    assert "00:00:01.000 --> 00:00:02.000" in shifted.text  # 5 s cue, 4 s in
    # The hidden film's id with the same index, and no token at all: nothing.
    other = app.jellyfin.subtitle_url(
        to_jellyfin(world.hidden), to_jellyfin(world.hidden), sub["Index"], "vtt"
    )
    assert requests.get(other, timeout=30).status_code == 404
    bare = app.jellyfin.subtitle_url(jid, source["Id"], sub["Index"], "vtt", include_apikey=False)
    assert requests.get(bare, timeout=30).status_code == 401


def test_a_grant_for_one_item_or_session_opens_no_other(world: World) -> None:
    answer = _info(world, "member", world.film, NOTHING_PROFILE)
    assert answer.get("ErrorCode") is None  # the film remuxes: no transcode permission needed
    url = answer["MediaSources"][0]["TranscodingUrl"]
    grant = url.split("grant=")[1]
    anonymous = world.raw()
    for path in (
        url.replace(to_jellyfin(world.film), to_jellyfin(world.hidden)),
        f"/Videos/{to_jellyfin(world.hidden)}/hls1/{answer['PlaySessionId']}/0.ts?grant={grant}",
        f"/Videos/{to_jellyfin(world.film)}/hls1/another/0.ts?grant={grant}",
        url.split("&grant=")[0],
    ):
        got = anonymous.get("/jellyfin" + path)
        assert got.status in (401, 404) and len(got.body) < 400, (path, got.status)
    assert anonymous.get("/jellyfin" + url).status == 200
    _end_sessions(world)


def test_a_remote_peer_kept_home_gets_nothing(world: World) -> None:
    jid = to_jellyfin(world.film)
    paths = (f"/jellyfin/Videos/{jid}/stream?static=true", f"/jellyfin/Items/{jid}/Images/Primary")
    away = world.raw("homebody", source=REMOTE)
    for path in paths:
        got = away.get(path, headers={"Range": "bytes=0-99"})
        assert got.status == 403 and len(got.body) < 400, (path, got.status)
    assert away.post(f"/jellyfin/Items/{jid}/PlaybackInfo", {}).status == 403
    assert world.raw("homebody").get(paths[0], headers={"Range": "bytes=0-99"}).status == 206
    # With remote access off for the whole server, not even the owner's app is answered from outside.
    settings = world.server.server.services.settings
    settings.apply(system_actor("test"), {"remote_access": False})
    try:
        for path in paths:
            try:
                got = world.raw("owner", source=REMOTE).get(path, headers={"Range": "bytes=0-99"})
            except OSError:
                continue  # the gate may cut the connection outright
            assert got.status == 403 and len(got.body) < 400, (path, got.status)
    finally:
        settings.apply(system_actor("test"), {"remote_access": True})
    assert world.raw("owner", source=REMOTE).get(paths[0], headers={"Range": "bytes=0-99"}).status == 206
