"""Playback routes: decisions and grants, direct play with exact ranges, HLS, audio. Every media answer is
decided and opened by the media access decision (services/media_access.py); these handlers only send it."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from reelhouse.domain import playback
from reelhouse.domain.access import Action
from reelhouse.services.hls_session import (
    Session,
    master_text,
    media_text,
    subtitle_playlist_text,
    vtt_for_hls,
)
from reelhouse.services.media_access import Allowed, Delivery, Purpose, stream_purpose
from reelhouse.web.api.media_answer import AUDIO_TYPES, send_file, send_segment, send_stream
from reelhouse.web.api.playback_schemas import (
    AudioQuery,
    GrantQuery,
    PlaybackIn,
    PlaybackOut,
    RemuxLink,
    StreamQuery,
    SubtitleLink,
)
from reelhouse.web.context import ZONE, actor, call, json_response, parse_body, parse_query, services
from reelhouse.web.routing import Access, Route


async def start_playback(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, PlaybackIn)
    who = actor(request)
    item_id = request.match_info["item_id"]
    media = services(request).media
    found: Allowed = await call(
        request, media.allow, who, item_id, Purpose.STREAM, request.get(ZONE), body.file_id
    )
    profile = playback.ClientProfile(
        containers=frozenset(body.profile.containers),
        video_codecs=frozenset(body.profile.video_codecs),
        audio_codecs=frozenset(body.profile.audio_codecs),
        max_width=body.profile.max_width,
        max_height=body.profile.max_height,
        max_bitrate_kbps=body.profile.max_bitrate_kbps,
        hls=body.profile.hls,
    )
    choice = playback.Request(audio_index=body.audio_index, burn_subtitle_index=body.burn_subtitle_index)
    plan = media.decide(found, profile, choice)
    session_wanted = plan.method is not playback.Method.DIRECT and not found.is_audio_only
    await call(request, media.check_streams, who, item_id, session_wanted, body.device_id)
    state = await call(request, services(request).playstate.state, who, item_id)
    base = f"/api/items/{quote(item_id)}"
    session_id = None
    if plan.method is playback.Method.DIRECT:
        chosen = body.file_id
        url = f"{base}/stream?grant={media.issue(found, stream_purpose(chosen))}"
        url += f"&file={quote(chosen)}" if chosen else ""
        content_type = found.content_type
    elif found.is_audio_only:
        grant = media.issue(found, f"{Purpose.AUDIO}:{plan.audio_codec}:{plan.audio_kbps}")
        url = f"{base}/audio?grant={grant}&codec={plan.audio_codec}&bitrate={plan.audio_kbps}"
        content_type = AUDIO_TYPES[plan.audio_codec]
    else:
        text_subs = tuple(
            (s.id, s.language, s.title, s.forced)
            for s in found.item.subtitles
            if s.format in ("srt", "ass", "ssa", "vtt")
        )
        session = await call(request, media.start_hls, found, plan, text_subs, body.device_id)
        session_id = session.id
        grant = media.issue(found, f"{Purpose.HLS}:{session.id}")
        url = f"/api/hls/{session.id}/master.m3u8?grant={grant}"
        content_type = "application/vnd.apple.mpegurl"
    remux = None
    fmp4 = services(request).audio.offer(found)
    if fmp4 is not None:
        grant = media.issue(found, f"{Purpose.REMUX}:fmp4")
        remux = RemuxLink(
            url=f"{base}/audio?grant={grant}&remux=fmp4",
            content_type=fmp4.content_type,
            samples=fmp4.samples,
            sample_rate=fmp4.sample_rate,
        )
    subtitles = [
        SubtitleLink(
            id=s.id,
            language=s.language,
            title=s.title,
            forced=s.forced,
            url=f"{base}/subtitles/{quote(s.id)}.vtt",
        )
        for s in found.item.subtitles
    ]
    return json_response(
        PlaybackOut(
            method=plan.method.value,
            reasons=list(plan.reasons),
            url=url,
            content_type=content_type,
            session_id=session_id,
            duration=found.duration or None,
            resume_position=state.position if state is not None else 0.0,
            subtitles=subtitles,
            remux=remux,
        )
    )


async def stream(request: web.Request) -> web.StreamResponse:
    item_id = request.match_info["item_id"]
    query = parse_query(request, StreamQuery)
    media = services(request).media
    delivery: Delivery = await call(
        request, media.direct, query.grant, item_id, request.get(ZONE), query.file
    )
    return await send_file(request, delivery)


async def download(request: web.Request) -> web.StreamResponse:
    item_id = request.match_info["item_id"]
    media = services(request).media
    delivery: Delivery = await call(request, media.download, actor(request), item_id, request.get(ZONE))
    name = quote(delivery.allowed.file.path.rsplit("/", 1)[-1]) if delivery.allowed.file else "download"
    return await send_file(request, delivery, f"attachment; filename*=UTF-8''{name}")


async def audio(request: web.Request) -> web.StreamResponse:
    item_id = request.match_info["item_id"]
    query = parse_query(request, AudioQuery)
    deliveries = services(request).audio
    if query.remux is not None:
        allowed, encoder = await call(request, deliveries.remux, query.grant, item_id, request.get(ZONE))
        return await send_stream(request, allowed, encoder, "audio/mp4")
    allowed, encoder = await call(
        request, deliveries.audio, query.grant, item_id, query.codec, query.bitrate, request.get(ZONE)
    )
    return await send_stream(request, allowed, encoder, AUDIO_TYPES[query.codec])


async def _session(request: web.Request) -> tuple[Session, str]:
    session_id = request.match_info["session_id"]
    grant = parse_query(request, GrantQuery).grant
    session, _allowed = await call(request, services(request).media.hls, grant, session_id, request.get(ZONE))
    # A grant the decision accepted is present; its playlists hand it on to the segments.
    return session, grant or ""


def _playlist(text: str) -> web.Response:
    return web.Response(
        text=text, content_type="application/vnd.apple.mpegurl", headers={"Cache-Control": "no-store"}
    )


async def hls_master(request: web.Request) -> web.StreamResponse:
    session, grant = await _session(request)
    plan = session.plan
    height = plan.height or 1080
    bandwidth = ((plan.video_kbps or 8000) + playback.AUDIO_KBPS_IN_HLS) * 1000
    return _playlist(
        master_text(
            session,
            f"video.m3u8?grant={grant}",
            bandwidth,
            height,
            lambda sub: f"subtitles/{quote(sub)}.m3u8?grant={grant}",
        )
    )


async def hls_subtitle_playlist(request: web.Request) -> web.StreamResponse:
    session, grant = await _session(request)
    sub = request.match_info["subtitle_id"]
    return _playlist(subtitle_playlist_text(session, sub, f"{quote(sub)}.vtt?grant={grant}"))


async def hls_subtitle(request: web.Request) -> web.StreamResponse:
    grant = parse_query(request, GrantQuery).grant
    text = await call(
        request,
        services(request).media.hls_subtitle_vtt,
        grant,
        request.match_info["session_id"],
        request.match_info["subtitle_id"],
        request.get(ZONE),
    )
    return web.Response(
        text=vtt_for_hls(text), content_type="text/vtt", headers={"Cache-Control": "no-store"}
    )


async def hls_media(request: web.Request) -> web.StreamResponse:
    session, grant = await _session(request)
    return _playlist(media_text(session, lambda n: f"{n}.ts?grant={grant}"))


async def hls_segment(request: web.Request) -> web.StreamResponse:
    session, _grant = await _session(request)
    return await send_segment(request, session, request.match_info["number"])


async def hls_end(request: web.Request) -> web.StreamResponse:
    await call(
        request,
        services(request).media.encoders.end,
        request.match_info["session_id"],
        actor(request).user_id,
    )
    return web.Response(status=204)


_T = "playback"
ROUTES = [
    Route(
        "POST",
        "/api/items/{item_id}/playback",
        start_playback,
        "Decide direct play, remux or transcode for a client profile and hand out signed media URLs",
        Action.STREAM,
        _T,
        body=PlaybackIn,
        response=PlaybackOut,
    ),
    # Public on purpose: players fetch media without headers, so the signed grant in the URL is the
    # credential; the handler verifies it and re-checks that the user is still enabled and allowed.
    Route(
        "GET",
        "/api/items/{item_id}/stream",
        stream,
        "The original file for direct play (signed grant)",
        Access.PUBLIC,
        _T,
        query=StreamQuery,
        # The original file keeps its own type: video, audio or a photo.
        produces="*/*",
    ),
    Route(
        "GET",
        "/api/items/{item_id}/audio",
        audio,
        "A music track transcoded to a progressive stream (grant)",
        Access.PUBLIC,
        _T,
        query=AudioQuery,
        produces="audio/*",
    ),
    Route(
        "GET",
        "/api/items/{item_id}/download",
        download,
        "Download the original file",
        Action.DOWNLOAD,
        _T,
        produces="*/*",
    ),
    Route(
        "GET",
        "/api/hls/{session_id}/master.m3u8",
        hls_master,
        "HLS master playlist (signed grant)",
        Access.PUBLIC,
        _T,
        query=GrantQuery,
        produces="application/vnd.apple.mpegurl",
    ),
    Route(
        "GET",
        "/api/hls/{session_id}/video.m3u8",
        hls_media,
        "HLS media playlist (signed grant)",
        Access.PUBLIC,
        _T,
        query=GrantQuery,
        produces="application/vnd.apple.mpegurl",
    ),
    Route(
        "GET",
        "/api/hls/{session_id}/{number}.ts",
        hls_segment,
        "One HLS segment, encoded on demand (grant)",
        Access.PUBLIC,
        _T,
        query=GrantQuery,
        produces="video/mp2t",
    ),
    Route(
        "GET",
        "/api/hls/{session_id}/subtitles/{subtitle_id}.m3u8",
        hls_subtitle_playlist,
        "HLS WebVTT subtitle rendition playlist (signed grant)",
        Access.PUBLIC,
        _T,
        query=GrantQuery,
        produces="application/vnd.apple.mpegurl",
    ),
    Route(
        "GET",
        "/api/hls/{session_id}/subtitles/{subtitle_id}.vtt",
        hls_subtitle,
        "A text subtitle as WebVTT for an HLS session (signed grant)",
        Access.PUBLIC,
        _T,
        query=GrantQuery,
        produces="text/vtt",
    ),
    Route(
        "DELETE",
        "/api/hls/{session_id}",
        hls_end,
        "Stop an HLS session and its encoder",
        Access.USER,
        _T,
        status=204,
    ),
]
