"""The web page's session cookie: __Host- prefixed and Secure under TLS, HttpOnly and SameSite always."""

from __future__ import annotations

import time

from aiohttp import web

from reelhouse.web.context import FORWARDED_TLS

SECURE_COOKIE = "__Host-reelhouse"
PLAIN_COOKIE = "reelhouse"


def is_tls(request: web.Request) -> bool:
    return request.secure or request.get(FORWARDED_TLS, False) is True


def cookie_name(request: web.Request) -> str:
    return SECURE_COOKIE if is_tls(request) else PLAIN_COOKIE


def session_token(request: web.Request) -> str | None:
    return request.cookies.get(cookie_name(request))


def set_session_cookie(
    request: web.Request, response: web.StreamResponse, token: str, expires_at: float
) -> None:
    response.set_cookie(
        cookie_name(request),
        token,
        max_age=max(0, int(expires_at - time.time())),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=is_tls(request),
    )


def clear_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    response.del_cookie(cookie_name(request), path="/")
