"""Subsonic's envelope: `subsonic-response` as JSON (`f=json`) or as the XML its older apps read, and its
errors, which are HTTP 200 with `status="failed"` and one of its error codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.sax.saxutils import quoteattr

import pydantic_core
from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from reelhouse import __version__
from reelhouse.errors import (
    AuthenticationRequired,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ReelhouseError,
    TooManyRequests,
)
from reelhouse.services.music_apps import BadApiKey, TokenAuthUnavailable
from reelhouse.web.compat.subsonic.mapping import iso

API_VERSION = "1.16.1"
XMLNS = "http://subsonic.org/restapi"
PARAMS = web.RequestKey("subsonic_params", MultiDictProxy)
UNREAD = web.RequestKey("subsonic_unread", web.Request)
# OpenSubsonic's additions to a song that Subsonic's schema does not allow: the apps that read XML are Subsonic's
# older ones, which may validate it, so these ride in JSON answers only.
JSON_ONLY = frozenset({"mediaType", "played"})

# Subsonic's error codes.
GENERIC, MISSING, WRONG_CREDENTIALS, TOKEN_AUTH, CONFLICTING, BAD_KEY, NOT_AUTHORISED, NOT_FOUND = (
    0,
    10,
    40,
    41,
    43,
    44,
    50,
    70,
)


class MissingParameter(InvalidInput):
    """A required parameter absent: Subsonic's error 10."""


class ConflictingAuth(AuthenticationRequired):
    """apiKey together with `u`: OpenSubsonic's error 43."""


async def params(request: web.Request) -> MultiDictProxy[str]:
    """The query and a form body (OpenSubsonic's formPost) as one, read once: apps POST everything, and
    parameters repeat (`id=1&id=2`)."""
    found: MultiDictProxy[str] | None = request.get(PARAMS)
    if found is not None:
        return found
    merged: MultiDict[str] = MultiDict(request.query)
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        # A file answer re-reads the request's Range headers through a copy, and aiohttp copies a request
        # only before its body is read: keep one made now.
        request[UNREAD] = request.clone()
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, str):
                merged.add(key, value)
    proxy = MultiDictProxy(merged)
    request[PARAMS] = proxy
    return proxy


def sendable(request: web.Request) -> web.Request:
    """The request to send a file answer through: the copy made before a form body was read, if one was."""
    return request.get(UNREAD) or request


def code_of(status: int, exc: ReelhouseError) -> int:
    if isinstance(exc, MissingParameter):
        return MISSING
    if isinstance(exc, ConflictingAuth):
        return CONFLICTING
    if isinstance(exc, BadApiKey):
        return BAD_KEY
    if isinstance(exc, TokenAuthUnavailable):
        return TOKEN_AUTH
    if isinstance(exc, AuthenticationRequired) or status == 401:
        return WRONG_CREDENTIALS
    if isinstance(exc, NotFound) or status == 404:
        return NOT_FOUND
    if isinstance(exc, PermissionDenied | TooManyRequests) or status in (403, 429):
        return NOT_AUTHORISED
    if isinstance(exc, InvalidInput) or status in (400, 422):
        # Subsonic has no code for a bad value; its servers answer a missing-or-bad parameter with 10.
        return MISSING
    return GENERIC


def _format(request: web.Request) -> str:
    found: MultiDictProxy[str] | None = request.get(PARAMS)
    value = (found or request.query).get("f", "xml")
    return "json" if value in ("json", "jsonp") else "xml"


def envelope(status: str = "ok", **payload: Any) -> dict[str, Any]:
    return {
        "status": status,
        "version": API_VERSION,
        "type": "reelhouse",
        "serverVersion": __version__,
        "openSubsonic": True,
        **payload,
    }


def render_error(request: web.Request, status: int, exc: ReelhouseError) -> web.Response:
    body = envelope("failed", error={"code": code_of(status, exc), "message": exc.message})
    answer = _answer(request, body)
    if isinstance(exc, TooManyRequests) and exc.retry_after:
        answer.headers["Retry-After"] = str(exc.retry_after)
    return answer


def answer(request: web.Request, **payload: Any) -> web.Response:
    return _answer(request, envelope(**payload))


def _answer(request: web.Request, body: dict[str, Any]) -> web.Response:
    if _format(request) == "json":
        # pydantic's serializer, as our own API's and the Jellyfin API's answers use: a page of 100 albums is
        # about 60 kB, which the json module takes three times as long to write.
        data = pydantic_core.to_json({"subsonic-response": body})
        return web.Response(body=data, content_type="application/json", charset="utf-8")
    return web.Response(text=to_xml(body), content_type="text/xml")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        # An album's `created` (mapping.album) as the JSON writer puts it: xs:dateTime, UTC as "Z".
        return iso(value) or ""
    return str(value)


def _element(name: str, value: dict[str, Any], out: list[str]) -> None:
    """Scalars become attributes, dicts child elements, lists repeated child elements of the key's name;
    `value` (a Subsonic convention for text content, as in lyrics lines and genres) becomes the text."""
    attributes = "".join(
        f" {key}={quoteattr(_scalar(v))}"
        for key, v in value.items()
        if v is not None and not isinstance(v, dict | list) and key != "value" and key not in JSON_ONLY
    )
    children: list[str] = []
    for key, v in value.items():
        if isinstance(v, dict):
            _element(key, v, children)
        elif isinstance(v, list):
            for entry in v:
                if isinstance(entry, dict):
                    _element(key, entry, children)
                else:
                    children.append(f"<{key}>{_text(_scalar(entry))}</{key}>")
    text = _text(_scalar(value["value"])) if "value" in value and value["value"] is not None else ""
    if not children and not text:
        out.append(f"<{name}{attributes}/>")
    else:
        out.append(f"<{name}{attributes}>{text}{''.join(children)}</{name}>")


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_xml(body: dict[str, Any]) -> str:
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>']
    _element("subsonic-response", {"xmlns": XMLNS, **body}, out)
    return "".join(out)
