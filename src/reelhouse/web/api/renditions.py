"""Routes for derived media: resized artwork and photos, and subtitles as WebVTT."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from reelhouse.web.api.media_answer import send_image
from reelhouse.web.context import ZONE, actor, call, parse_query, services
from reelhouse.web.routing import Access, Route

IMAGE_CACHE = "private, max-age=86400"


class WidthQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The allowlist is checked by the media access decision, which answers which widths exist.
    width: int | None = Field(None, ge=1, le=8192)


class PhotoQuery(WidthQuery):
    width: int | None = Field(1080, ge=1, le=8192)


async def artwork(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, WidthQuery)
    opened, content_type = await call(
        request,
        services(request).media.artwork,
        actor(request),
        request.match_info["item_id"],
        request.match_info["kind"],
        q.width,
        request.get(ZONE),
    )
    return await send_image(request, opened, content_type, IMAGE_CACHE)


async def person_photo(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, WidthQuery)
    opened, content_type = await call(
        request,
        services(request).media.person_photo,
        actor(request),
        request.match_info["item_id"],
        request.match_info["person_id"],
        q.width,
        request.get(ZONE),
    )
    return await send_image(request, opened, content_type, IMAGE_CACHE)


async def photo(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, PhotoQuery)
    opened, content_type = await call(
        request,
        services(request).media.photo,
        actor(request),
        request.match_info["item_id"],
        q.width or 1080,
        request.get(ZONE),
    )
    return await send_image(request, opened, content_type, IMAGE_CACHE)


async def subtitle(request: web.Request) -> web.StreamResponse:
    text = await call(
        request,
        services(request).media.subtitle_vtt,
        actor(request),
        request.match_info["item_id"],
        request.match_info["subtitle_id"],
        request.get(ZONE),
    )
    return web.Response(
        text=text, content_type="text/vtt", headers={"Cache-Control": "private, max-age=3600"}
    )


_T = "playback"
ROUTES = [
    Route(
        "GET",
        "/api/items/{item_id}/artwork/{kind}",
        artwork,
        "An item's poster or fanart, resized to an allowed width (160/320/480/720/1080); a video frame when"
        " there is no poster",
        Access.USER,
        _T,
        query=WidthQuery,
        produces="image/*",
    ),
    Route(
        "GET",
        "/api/items/{item_id}/people/{person_id}/photo",
        person_photo,
        "A local photo (.actors/) of a person credited on an item, resized to an allowed width",
        Access.USER,
        _T,
        query=WidthQuery,
        produces="image/*",
    ),
    Route(
        "GET",
        "/api/items/{item_id}/photo",
        photo,
        "A photo resized to an allowed width, upright, without GPS for non-admins",
        Access.USER,
        _T,
        query=PhotoQuery,
        produces="image/jpeg",
    ),
    Route(
        "GET",
        "/api/items/{item_id}/subtitles/{subtitle_id}.vtt",
        subtitle,
        "A sidecar or embedded text subtitle as WebVTT",
        Access.USER,
        _T,
        produces="text/vtt",
    ),
]
