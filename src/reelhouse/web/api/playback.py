"""Playback routes: decisions and grants, direct play with exact ranges, HLS, audio, play state."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from aiohttp import web

from reelhouse.domain import playback
from reelhouse.domain.access import Action
from reelhouse.errors import NotFound
from reelhouse.services.streaming import Playable
from reelhouse.services.transcoding import master_text, media_text, subtitle_playlist_text, vtt_for_hls
from reelhouse.web.api.media_answer import file_answer, tracked
from reelhouse.web.api.playback_schemas import (
    AudioQuery,
    GrantQuery,
    PlaybackIn,
    PlaybackOut,
    SubtitleLink,
)
from reelhouse.web.context import ZONE, actor, call, json_response, parse_body, parse_query, services
from reelhouse.web.routing import Access, Route


def _zone_cap(request: web.Request) -> int | None:
    # Missing zone (no network gate yet) counts as LAN: only a peer known to be remote gets the cap.
    if request.get(ZONE, "lan") != "remote":
        return None
    cap = int(services(request).settings.get("remote_max_bitrate_kbps"))
    return cap or None


async def start_playback(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, PlaybackIn)
    who = actor(request)
    item_id = request.match_info["item_id"]
    svc = services(request)
    found: Playable = await call(request, svc.streaming.playable, who, item_id, Action.STREAM)
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
    plan = svc.streaming.decide(who, found, profile, choice, _zone_cap(request))
    await call(request, svc.streaming.check_slot, who, item_id, svc.transcoding)
    state = await call(request, svc.playstate.state, who, item_id)
    base = f"/api/items/{quote(item_id)}"
    session_id = None
    if plan.method is playback.Method.DIRECT:
        url = f"{base}/stream?grant={svc.streaming.grants.issue(item_id, who.user_id, 'stream')}"
        content_type = found.content_type
    elif found.media is not None and not any(s.type == "video" for s in found.media.streams):
        grant = svc.streaming.grants.issue(item_id, who.user_id, "audio")
        url = f"{base}/audio?grant={grant}&codec={plan.audio_codec}&bitrate={plan.audio_kbps}"
        content_type = {"opus": "audio/ogg", "aac": "audio/aac", "mp3": "audio/mpeg"}[plan.audio_codec]
    else:
        text_subs = tuple(
            (s.id, s.language, s.title, s.forced)
            for s in found.item.subtitles
            if s.format in ("srt", "ass", "ssa", "vtt")
        )
        session = await call(
            request,
            svc.transcoding.start,
            who,
            item_id,
            plan,
            found.path,
            found.roots,
            found.duration,
            text_subs,
        )
        session_id = session.id
        grant = svc.streaming.grants.issue(item_id, who.user_id, f"hls:{session.id}")
        url = f"/api/hls/{session.id}/master.m3u8?grant={grant}"
        content_type = "application/vnd.apple.mpegurl"
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
        )
    )


async def stream(request: web.Request) -> web.StreamResponse:
    item_id = request.match_info["item_id"]
    grant = parse_query(request, GrantQuery).grant
    svc = services(request)
    found = await call(request, svc.streaming.granted_file, grant, item_id, "stream")
    await call(request, svc.streaming.check_slot_for_grant, found.viewer, item_id, svc.transcoding)
    response = file_answer(request, found.path, found.validators, found.content_type)
    with tracked(request, found.viewer, item_id):
        try:
            await response.prepare(request)
            await response.write_eof()
        except ConnectionError:
            pass  # the player went away, or the stream was cut: aiohttp logs the access and moves on
    return response


async def download(request: web.Request) -> web.StreamResponse:
    item_id = request.match_info["item_id"]
    found = await call(
        request, services(request).streaming.playable, actor(request), item_id, Action.DOWNLOAD
    )
    name = quote(found.path.rsplit("/", 1)[-1])
    return file_answer(
        request, found.path, found.validators, found.content_type, f"attachment; filename*=UTF-8''{name}"
    )


async def audio(request: web.Request) -> web.StreamResponse:
    item_id = request.match_info["item_id"]
    query = parse_query(request, AudioQuery)
    svc = services(request)
    who = await call(request, svc.streaming.actor_from_grant, query.grant, item_id, "audio")
    found = await call(request, svc.streaming.playable, who, item_id, Action.STREAM)
    await call(request, svc.streaming.check_slot, who, item_id, svc.transcoding)
    index = next((s.index for s in (found.media.streams if found.media else ()) if s.type == "audio"), None)
    if index is None:
        raise NotFound("This item has no audio.")
    process = await call(
        request, svc.transcoding.audio, who, found.path, found.roots, index, query.codec, query.bitrate
    )
    response = web.StreamResponse(
        headers={
            "Content-Type": {"opus": "audio/ogg", "aac": "audio/aac", "mp3": "audio/mpeg"}[query.codec],
            "Cache-Control": "no-store",
        }
    )
    loop = asyncio.get_running_loop()
    try:
        with tracked(request, who.user_id, item_id):
            await response.prepare(request)
            assert process.stdout is not None
            while chunk := await loop.run_in_executor(None, process.stdout.read1, 65536):  # type: ignore[attr-defined]
                await response.write(chunk)
            await response.write_eof()
    finally:
        await loop.run_in_executor(None, svc.transcoding.stop, process)
    return response


async def _session(request: web.Request) -> Any:
    session_id = request.match_info["session_id"]
    grant = parse_query(request, GrantQuery).grant
    svc = services(request)
    # The grant names the item; the session must belong to that item and to the grant's user.
    item_id = svc.streaming.grants.item_of(grant)
    who = await call(request, svc.streaming.actor_from_grant, grant, item_id, f"hls:{session_id}")
    # Re-check the viewer may still stream this item (library access or rating limits may have changed).
    await call(request, svc.streaming.playable, who, item_id, Action.STREAM)
    return svc.transcoding.get(session_id, who.user_id, item_id), grant


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
    session, grant = await _session(request)
    sub = request.match_info["subtitle_id"]
    subtitle_playlist_text(session, sub, "")
    who = await call(
        request, services(request).streaming.actor_from_grant, grant, session.item_id, f"hls:{session.id}"
    )
    text = await call(request, services(request).renditions.subtitle_vtt, who, session.item_id, sub)
    return web.Response(
        text=vtt_for_hls(text), content_type="text/vtt", headers={"Cache-Control": "no-store"}
    )


async def hls_media(request: web.Request) -> web.StreamResponse:
    session, grant = await _session(request)
    return _playlist(media_text(session, lambda n: f"{n}.ts?grant={grant}"))


async def hls_segment(request: web.Request) -> web.StreamResponse:
    session, _grant = await _session(request)
    raw = request.match_info["number"]
    if not raw.isdigit() or len(raw) > 7:
        raise NotFound("No such segment.")
    path = await call(request, services(request).transcoding.segment, session, int(raw))
    return web.FileResponse(path, headers={"Content-Type": "video/mp2t", "Cache-Control": "no-store"})


async def hls_end(request: web.Request) -> web.StreamResponse:
    await call(
        request, services(request).transcoding.end, request.match_info["session_id"], actor(request).user_id
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
        query=GrantQuery,
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
