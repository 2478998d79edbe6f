"""Seek preview thumbnails: a manifest of the sprite sheets and the sheets themselves, both decided by the
media access decision like artwork (an item the viewer may not see is a 404 like any unknown id)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from reelhouse.errors import NotFound
from reelhouse.services.seek_previews import SeekPreviews
from reelhouse.web.api.media_answer import send_image
from reelhouse.web.context import ZONE, actor, call, json_response, services
from reelhouse.web.routing import Access, Route

# Sheets are cached by the file they were made from; a replaced file is a new manifest, not a new sheet URL's
# old bytes, so the browser may keep them a day like artwork.
SHEET_CACHE = "private, max-age=86400"


class SeekPreviewsOut(BaseModel):
    interval: int
    tile_width: int
    tile_height: int
    columns: int
    rows: int
    count: int
    sheets: list[str]


def _previews(request: web.Request) -> SeekPreviews:
    found = services(request).seek_previews
    if found is None:
        raise NotFound("This item has no seek previews.")
    return found


async def manifest(request: web.Request) -> web.StreamResponse:
    item_id = request.match_info["item_id"]
    made = await call(request, _previews(request).manifest, actor(request), item_id, request.get(ZONE))
    answer = SeekPreviewsOut(
        interval=made.interval,
        tile_width=made.tile_width,
        tile_height=made.tile_height,
        columns=made.columns,
        rows=made.rows,
        count=made.count,
        sheets=[f"/api/items/{item_id}/seek-previews/{n}.jpg" for n in range(made.sheets)],
    )
    response = json_response(answer)
    # 404 until made, then the sheets of the file as it is now: never reuse an old answer.
    response.headers["Cache-Control"] = "no-store"
    return response


async def sheet(request: web.Request) -> web.StreamResponse:
    raw = request.match_info["number"]
    if not raw.isdigit() or len(raw) > 4:
        raise NotFound("No such preview sheet.")
    opened = await call(
        request,
        _previews(request).sheet,
        actor(request),
        request.match_info["item_id"],
        int(raw),
        request.get(ZONE),
    )
    return await send_image(request, opened, "image/jpeg", SHEET_CACHE)


_T = "playback"
ROUTES = [
    Route(
        "GET",
        "/api/items/{item_id}/seek-previews",
        manifest,
        "The layout of a video's seek preview sheets (interval, tile size, columns, rows, count, sheet URLs);"
        " 404 until the background queue has made them",
        Access.USER,
        _T,
        response=SeekPreviewsOut,
    ),
    Route(
        "GET",
        "/api/items/{item_id}/seek-previews/{number}.jpg",
        sheet,
        "One seek preview sheet: a JPEG of tiles laid out as its manifest says",
        Access.USER,
        _T,
        produces="image/jpeg",
    ),
]
