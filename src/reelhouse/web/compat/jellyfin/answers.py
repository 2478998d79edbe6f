"""Jellyfin-shaped answers: PascalCase JSON, and errors as the problem details its server sends."""

from __future__ import annotations

import json
from typing import Any

import pydantic_core
from aiohttp import web

from reelhouse.errors import ReelhouseError, TooManyRequests, Unavailable

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


def render_error(request: web.Request, status: int, exc: ReelhouseError) -> web.Response:
    # Jellyfin answers bad input with 400; its apps know no 422.
    status = 400 if status == 422 else status
    body = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": exc.message,
    }
    response = web.Response(text=json.dumps(body), status=status, content_type="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'MediaBrowser realm="reelhouse"'
    # Apps that honour it wait out a throttle instead of retrying at once into a longer one.
    if isinstance(exc, TooManyRequests | Unavailable):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def jellyfin_json(body: Any, status: int = 200) -> web.Response:
    # pydantic's serializer, as our own API's answers use: a page of 100 items is 80 kB, which the json
    # module takes three times as long to write.
    return web.Response(
        body=pydantic_core.to_json(body), status=status, content_type="application/json", charset="utf-8"
    )
