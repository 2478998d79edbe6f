"""Routes for derived media: resized artwork and photos, and subtitles as WebVTT."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from reelhouse.domain.ranges import validators
from reelhouse.web.api.media_answer import file_answer
from reelhouse.web.context import actor, call, parse_query, services
from reelhouse.web.routing import Access, Route


class WidthQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The allowlist is checked by the service, which answers which widths exist.
    width: int | None = Field(None, ge=1, le=8192)


class PhotoQuery(WidthQuery):
    width: int | None = Field(1080, ge=1, le=8192)


def _image(request: web.Request, path: Path, cache: str) -> web.StreamResponse:
    try:
        st = path.stat()
    except OSError:
        return web.Response(status=404)
    content_type = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
    if path.suffix.lower() == ".webp":
        content_type = "image/webp"
    response = file_answer(request, str(path), validators(st.st_size, st.st_mtime_ns), content_type)
    response.headers["Cache-Control"] = cache
    return response


async def artwork(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, WidthQuery)
    path = await call(
        request,
        services(request).renditions.artwork,
        actor(request),
        request.match_info["item_id"],
        request.match_info["kind"],
        q.width,
    )
    return _image(request, path, "private, max-age=86400")


async def photo(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, PhotoQuery)
    path = await call(
        request,
        services(request).renditions.photo,
        actor(request),
        request.match_info["item_id"],
        q.width or 1080,
    )
    return _image(request, path, "private, max-age=86400")


async def subtitle(request: web.Request) -> web.StreamResponse:
    text = await call(
        request,
        services(request).renditions.subtitle_vtt,
        actor(request),
        request.match_info["item_id"],
        request.match_info["subtitle_id"],
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
