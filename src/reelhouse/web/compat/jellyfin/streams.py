"""Jellyfin's media URLs: direct play, audio, downloads, HLS and subtitles. Each is decided and opened by the
one media access decision on every request (Range requests, playlists and segments included); these handlers
only send what it hands back."""

from __future__ import annotations

import re
from contextlib import suppress
from urllib.parse import quote

from aiohttp import web

from reelhouse.domain import playback
from reelhouse.domain.access import Action
from reelhouse.errors import InvalidInput, NotFound
from reelhouse.services.hls_session import Session, master_text, media_text
from reelhouse.services.media_access import Allowed, Delivery, Purpose
from reelhouse.web.api.media_answer import AUDIO_TYPES, send_file, send_segment, send_stream
from reelhouse.web.compat.jellyfin.auth import client_info, query
from reelhouse.web.compat.jellyfin.ids import from_jellyfin
from reelhouse.web.compat.jellyfin.playback import TICKS, number, subtitle_indexes
from reelhouse.web.context import ZONE, actor, call, services
from reelhouse.web.routing import Access, Route

_GRANT = re.compile(r"^[A-Za-z0-9_.=-]{1,512}$")


def _item(request: web.Request) -> str:
    return from_jellyfin(request.match_info["item_id"])


def _grant(request: web.Request) -> str | None:
    grant = query(request, "grant")
    return grant if _GRANT.match(grant) else None


async def original(request: web.Request) -> web.StreamResponse:
    """/Videos/{id}/stream and /Audio/{id}/stream: the file itself, with Range, for a token in the URL or a
    header. ``static`` and ``container`` are accepted; nothing but the original is ever served here."""
    media = services(request).media
    delivery: Delivery = await call(
        request, media.direct_to, actor(request), _item(request), request.get(ZONE)
    )
    return await send_file(request, delivery)


async def download(request: web.Request) -> web.StreamResponse:
    media = services(request).media
    delivery: Delivery = await call(
        request, media.download, actor(request), _item(request), request.get(ZONE)
    )
    name = quote(delivery.allowed.file.path.rsplit("/", 1)[-1]) if delivery.allowed.file else "download"
    return await send_file(request, delivery, f"attachment; filename*=UTF-8''{name}")


def _universal_codec(request: web.Request, accepted: frozenset[str]) -> str:
    for name in (query(request, "AudioCodec"), query(request, "TranscodingContainer")):
        for part in name.lower().split(","):
            if part in playback.AUDIO_ENCODERS:
                return part
    return next((c for c in ("aac", "mp3", "opus") if c in accepted), "mp3")


async def universal(request: web.Request) -> web.StreamResponse:
    """The original when its container (and codec) is in the app's list and within every bitrate cap; else
    a progressive encode, which needs the permission to transcode."""
    who = actor(request)
    item_id = _item(request)
    media = services(request).media
    zone = request.get(ZONE)
    allowed: Allowed = await call(request, media.allow, who, item_id, Purpose.STREAM, zone)
    if allowed.media is None:
        raise NotFound("This item has nothing to play.")
    accepted = frozenset(
        part.strip().lower()
        for part in query(request, "Container").replace("|", ",").split(",")
        if part.strip()
    )
    codecs = frozenset(c.strip().lower() for c in query(request, "AudioCodec").split(",") if c.strip())
    kbps = number(query(request, "MaxStreamingBitrate"), "MaxStreamingBitrate")
    source_audio = next((s.codec for s in allowed.media.streams if s.type == "audio"), "")
    profile = playback.ClientProfile(
        containers=frozenset(playback.container_family(c) for c in accepted),
        video_codecs=frozenset(),
        audio_codecs=(codecs or accepted | {source_audio}) if accepted else codecs,
        max_bitrate_kbps=kbps // 1000 if kbps else None,
    )
    plan = media.decide(allowed, profile, playback.Request())
    if plan.method is playback.Method.DIRECT:
        delivery: Delivery = await call(request, media.direct_to, who, item_id, zone)
        return await send_file(request, delivery)
    codec = _universal_codec(request, profile.audio_codecs)
    key = f"universal:{client_info(request).device_id or query(request, 'DeviceId')}:{item_id}"
    found, encoder = await call(
        request, services(request).audio.audio_to, who, item_id, codec, plan.audio_kbps, zone, key
    )
    return await send_stream(request, found, encoder, AUDIO_TYPES[codec])


async def audio_transcode(request: web.Request) -> web.StreamResponse:
    """The TranscodingUrl PlaybackInfo hands out for music: codec and bitrate are signed into its grant."""
    codec = request.match_info["codec"].lower()
    if codec not in AUDIO_TYPES:
        raise NotFound("No such stream.")
    kbps = number(query(request, "bitrate"), "bitrate", 32, 512) or 128
    allowed, encoder = await call(
        request,
        services(request).audio.audio,
        _grant(request),
        _item(request),
        codec,
        kbps,
        request.get(ZONE),
    )
    return await send_stream(request, allowed, encoder, AUDIO_TYPES[codec])


async def _session(request: web.Request) -> tuple[Session, str]:
    session_id = request.match_info.get("session_id") or query(request, "PlaySessionId")
    grant = _grant(request)
    session, allowed = await call(request, services(request).media.hls, grant, session_id, request.get(ZONE))
    if allowed.item.summary.id != _item(request):
        raise NotFound("No such playback session; start playback again.")
    return session, grant or ""


def _playlist(text: str) -> web.Response:
    return web.Response(
        text=text, content_type="application/vnd.apple.mpegurl", headers={"Cache-Control": "no-store"}
    )


async def hls_master(request: web.Request) -> web.StreamResponse:
    session, grant = await _session(request)
    plan = session.plan
    bandwidth = ((plan.video_kbps or 8000) + playback.AUDIO_KBPS_IN_HLS) * 1000
    media_uri = f"main.m3u8?PlaySessionId={quote(session.id)}&grant={grant}"
    return _playlist(master_text(session, media_uri, bandwidth, plan.height or 1080, lambda _sub: ""))


async def hls_main(request: web.Request) -> web.StreamResponse:
    session, grant = await _session(request)
    return _playlist(media_text(session, lambda n: f"hls1/{quote(session.id)}/{n}.ts?grant={grant}"))


async def hls_segment(request: web.Request) -> web.StreamResponse:
    session, _grant_text = await _session(request)
    return await send_segment(request, session, request.match_info["number"])


async def end_encodings(request: web.Request) -> web.StreamResponse:
    """Ends the caller's own HLS sessions named by PlaySessionId, or every one started from DeviceId."""
    who = actor(request)
    play_session = query(request, "PlaySessionId")
    device = query(request, "DeviceId") or client_info(request).device_id
    if not play_session and not device:
        raise InvalidInput("Name a PlaySessionId or a DeviceId.", "PlaySessionId")
    encoders = services(request).media.encoders
    for session in encoders.active():
        if session.user_id != who.user_id:
            continue
        if session.id == play_session or (device and session.device == f"jellyfin:{device}"):
            with suppress(NotFound):
                await call(request, encoders.end, session.id, who.user_id)
    return web.Response(status=204)


def _srt(vtt: str) -> str:
    """WebVTT cues as SubRip: numbered, with commas before the milliseconds and no header."""
    blocks = [b for b in vtt.replace("\r\n", "\n").split("\n\n") if "-->" in b]
    out = []
    for n, block in enumerate(blocks, 1):
        lines = block.split("\n")
        at = next(i for i, line in enumerate(lines) if "-->" in line)
        start, _, end = lines[at].partition("-->")

        def stamp(value: str) -> str:
            value = value.strip().split(" ")[0]
            return ("00:" + value if value.count(":") == 1 else value).replace(".", ",")

        out.append(f"{n}\n{stamp(start)} --> {stamp(end)}\n" + "\n".join(lines[at + 1 :]))
    return "\n\n".join(out) + "\n"


async def subtitle(request: web.Request) -> web.StreamResponse:
    fmt = request.match_info["format"].lower()
    if fmt not in ("vtt", "srt", "subrip", "webvtt"):
        raise NotFound("Subtitles are served as vtt or srt.")
    media = services(request).media
    who, item_id, zone = actor(request), _item(request), request.get(ZONE)
    # The item first: a hidden one answers 404 whatever else the path says.
    allowed: Allowed = await call(request, media.allow, who, item_id, Purpose.SUBTITLE, zone)
    if from_jellyfin(request.match_info["source_id"]) != item_id:
        raise NotFound("No such media source.")
    index = number(request.match_info["index"], "index", 0, 100_000)
    start = number(request.match_info.get("start_ticks"), "startPositionTicks") or 0
    subtitle_id = subtitle_indexes(allowed).get(index if index is not None else -1)
    if subtitle_id is None:
        raise NotFound("No such subtitle.")
    text: str = await call(request, media.subtitle_vtt, who, item_id, subtitle_id, zone)
    if start:
        # A transcode started part-way plays from 0; the app asks for cues shifted to match.
        text = _shift(text, start / TICKS)
    if fmt in ("srt", "subrip"):
        return web.Response(text=_srt(text), content_type="application/x-subrip")
    return web.Response(
        text=text, content_type="text/vtt", headers={"Cache-Control": "private, max-age=3600"}
    )


_STAMP = re.compile(r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})")


def _shift(vtt: str, seconds: float) -> str:
    def moved(match: re.Match[str]) -> str:
        h, m, s, ms = (int(g or 0) for g in match.groups())
        total = max(0.0, h * 3600 + m * 60 + s + ms / 1000 - seconds)
        whole = int(total)
        return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{round((total - whole) * 1000):03d}"

    return "\n".join(_STAMP.sub(moved, line) if "-->" in line else line for line in vtt.split("\n"))


_T = "jellyfin"
# Grant routes are public on purpose, as /api/hls is: a player follows the TranscodingUrl without headers, and
# the grant signed into it (one user, one item, one HLS session, the app token that asked) is the credential.
ROUTES = [
    *(
        Route(
            "GET",
            path,
            original,
            "Jellyfin: the original file for direct play, with Range (token in a header or ApiKey)",
            Action.STREAM,
            _T,
            produces="*/*",
        )
        for path in (
            "/Videos/{item_id}/stream",
            "/Videos/{item_id}/stream.{container}",
            "/Audio/{item_id}/stream",
            "/Audio/{item_id}/stream.{container}",
        )
    ),
    Route(
        "GET",
        "/Audio/{item_id}/universal",
        universal,
        "Jellyfin: a track as the original when the app takes it within every bitrate cap, else encoded",
        Action.STREAM,
        _T,
        produces="audio/*",
    ),
    Route(
        "GET",
        "/Audio/{item_id}/transcode.{codec}",
        audio_transcode,
        "Jellyfin: the progressive audio encode a PlaybackInfo answer hands out (signed grant)",
        Access.PUBLIC,
        _T,
        produces="audio/*",
    ),
    Route(
        "GET",
        "/Items/{item_id}/Download",
        download,
        "Jellyfin: download the original file (needs the download permission)",
        Action.DOWNLOAD,
        _T,
        produces="*/*",
    ),
    Route(
        "GET",
        "/Videos/{item_id}/master.m3u8",
        hls_master,
        "Jellyfin: the HLS master playlist of a PlaybackInfo transcode (signed grant)",
        Access.PUBLIC,
        _T,
        produces="application/vnd.apple.mpegurl",
    ),
    Route(
        "GET",
        "/Videos/{item_id}/main.m3u8",
        hls_main,
        "Jellyfin: the HLS media playlist of a PlaybackInfo transcode (signed grant)",
        Access.PUBLIC,
        _T,
        produces="application/vnd.apple.mpegurl",
    ),
    Route(
        "GET",
        "/Videos/{item_id}/hls1/{session_id}/{number}.ts",
        hls_segment,
        "Jellyfin: one HLS segment, encoded on demand (signed grant)",
        Access.PUBLIC,
        _T,
        produces="video/mp2t",
    ),
    Route(
        "DELETE",
        "/Videos/ActiveEncodings",
        end_encodings,
        "Jellyfin: stop the caller's HLS sessions for a PlaySessionId or DeviceId",
        Access.USER,
        _T,
        status=204,
    ),
    *(
        Route(
            "GET",
            path,
            subtitle,
            "Jellyfin: a text subtitle as WebVTT or SubRip, cues shifted by startPositionTicks",
            Action.STREAM,
            _T,
            produces="text/vtt",
        )
        for path in (
            "/Videos/{item_id}/{source_id}/Subtitles/{index}/Stream.{format}",
            "/Videos/{item_id}/{source_id}/Subtitles/{index}/{start_ticks}/Stream.{format}",
        )
    ),
]
