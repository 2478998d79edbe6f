"""Request bodies as Jellyfin's apps send them: JSON objects whose field names come in any casing."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from reelhouse.errors import InvalidInput


async def read_whole(request: web.Request, limit: int) -> bytes:
    """The body up to `limit` bytes, however many TCP pieces it arrives in: one `content.read(n)` answers
    only what has arrived so far, so a single call cuts a slow or split body short. It stops one byte past the
    limit, whether the length was declared or the body is chunked."""
    pieces: list[bytes] = []
    size = 0
    while piece := await request.content.read(limit + 1 - size):
        pieces.append(piece)
        size += len(piece)
        if size > limit:
            raise InvalidInput("The request body is too large.", "body")
    return b"".join(pieces)


async def json_object(request: web.Request, limit: int) -> dict[str, Any]:
    """The body's JSON object, an empty body being an empty one. The Content-Type is not checked: apps send
    JSON as `text/plain` or with none at all."""
    raw = await read_whole(request, limit)
    if not raw.strip():
        return {}
    try:
        found = json.loads(raw)
    except ValueError:  # UnicodeDecodeError is one
        raise InvalidInput("The request body is not JSON.", "body") from None
    if not isinstance(found, dict):
        raise InvalidInput("The request body must be a JSON object.", "body")
    return found


async def json_fields(request: web.Request, limit: int) -> dict[str, Any]:
    """The body's JSON object keyed by lower-cased field name: apps send `ItemId`, `itemId` and `itemid`."""
    return {str(key).lower(): value for key, value in (await json_object(request, limit)).items()}
