"""Subsonic's byte methods: stream, download and getCoverArt. Each asks the one media access decision as the
caller (scope, purpose permission, zone, bitrate caps, stream and encoder counts) and sends what it hands back."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from reelhouse.domain import playback
from reelhouse.domain.library import ItemKind
from reelhouse.errors import NotFound
from reelhouse.services.media_access import Allowed, Delivery, Purpose
from reelhouse.services.renditions import ARTWORK_WIDTHS
from reelhouse.web.api.media_answer import AUDIO_TYPES, send_file, send_image, send_stream
from reelhouse.web.compat.subsonic.answers import sendable
from reelhouse.web.compat.subsonic.common import flag, given_params, id_of, number, one
from reelhouse.web.context import ZONE, actor, call, services

COVER_CACHE = "private, max-age=86400"


async def stream(request: web.Request) -> web.StreamResponse:
    """The original when no format or bitrate asks otherwise (or `format=raw`); else a progressive encode to
    `format` (mp3, aac or opus; mp3 by default) at `maxBitRate`, which needs the permission to transcode.
    `estimateContentLength=true` sends an encode with a Content-Length estimated from duration and bitrate."""
    given = await given_params(request)
    who, item_id, zone = actor(request), id_of(given), request.get(ZONE)
    media = services(request).media
    kbps = number(given, "maxBitRate", 0, 0, 100_000)
    wanted = given.get("format", "").strip().lower()
    allowed: Allowed = await call(request, media.allow, who, item_id, Purpose.STREAM, zone)
    if allowed.media is None:
        raise NotFound("This item has nothing to play.")
    source_codec = next((s.codec for s in allowed.media.streams if s.type == "audio"), "")
    source = playback.container_family(allowed.media.container)
    if wanted in ("", "raw", source, source_codec):
        accepted = frozenset({source})
        codecs = frozenset({source_codec})
    else:
        accepted = frozenset({playback.container_family(wanted)})
        codecs = frozenset({wanted})
    profile = playback.ClientProfile(
        containers=accepted,
        video_codecs=frozenset(),
        audio_codecs=codecs,
        max_bitrate_kbps=None if wanted == "raw" or not kbps else kbps,
    )
    plan = media.decide(allowed, profile, playback.Request())
    if plan.method is playback.Method.DIRECT:
        delivery: Delivery = await call(request, media.direct_to, who, item_id, zone)
        return await send_file(sendable(request), delivery)
    codec = wanted if wanted in playback.AUDIO_ENCODERS else "mp3"
    rate = plan.audio_kbps or kbps or 192
    key = f"subsonic:{who.session_id}:{item_id}"
    found, encoder = await call(
        request, services(request).audio.audio_to, who, item_id, codec, rate, zone, key
    )
    # estimateContentLength: duration × bitrate, for apps that show progress or cache only with a length.
    length = int(found.duration * rate * 125) if flag(given, "estimateContentLength", False) else None
    return await send_stream(request, found, encoder, AUDIO_TYPES[codec], length or None)


async def download(request: web.Request) -> web.StreamResponse:
    given = await given_params(request)
    media = services(request).media
    delivery: Delivery = await call(request, media.download, actor(request), id_of(given), request.get(ZONE))
    name = quote(delivery.allowed.file.path.rsplit("/", 1)[-1]) if delivery.allowed.file else "download"
    return await send_file(sendable(request), delivery, f"attachment; filename*=UTF-8''{name}")


async def get_cover_art(request: web.Request) -> web.StreamResponse:
    """A song without a picture of its own shows its album's; `size` picks the nearest width at least as big."""
    given = await given_params(request)
    who, zone = actor(request), request.get(ZONE)
    found = await one(request, id_of(given))
    target = str(found.summary.id)
    if found.summary.kind is ItemKind.TRACK and not found.summary.has_artwork and found.summary.parent_id:
        target = str(found.summary.parent_id)
    size = number(given, "size", 0, 0, 16384)
    width = next((w for w in ARTWORK_WIDTHS if w >= size), ARTWORK_WIDTHS[-1]) if size else None
    opened, content_type = await call(
        request, services(request).media.artwork, who, target, "poster", width, zone
    )
    return await send_image(sendable(request), opened, content_type, COVER_CACHE)
