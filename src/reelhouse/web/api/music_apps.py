"""Music apps' keys and app passwords, made on the Account page for the Subsonic API and shown once. They are
listed and revoked with the account's other sessions and tokens (/api/account/sessions)."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from reelhouse.services.music_apps import MusicAppService
from reelhouse.web.api.account_schemas import SessionOut, Strict
from reelhouse.web.context import actor, call, json_response, parse_body, peer_address, services
from reelhouse.web.routing import Access, Route


class MusicAppIn(Strict):
    name: str = Field(min_length=1, max_length=128)
    # "key": OpenSubsonic's apiKey, for apps that know it; "password": an app password for the others.
    kind: Literal["key", "password"] = "key"


class MusicAppOut(BaseModel):
    # The key or app password itself: shown once, only its hash (and a password's sealed copy) is kept.
    secret: str
    session: SessionOut


def _music_apps(request: web.Request) -> MusicAppService:
    found = services(request).music_apps
    assert found is not None, "app.py wires the music apps service"
    return found


async def create(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, MusicAppIn)
    secret, view = await call(
        request, _music_apps(request).create, actor(request), body.name, body.kind, peer_address(request)
    )
    return json_response(MusicAppOut(secret=secret, session=SessionOut(**view.__dict__)), status=201)


ROUTES = [
    Route(
        "POST",
        "/api/account/music-apps",
        create,
        "Make a music app key (apiKey) or app password for Subsonic apps; shown once",
        Access.USER,
        "account",
        body=MusicAppIn,
        response=MusicAppOut,
        status=201,
        password_session=True,
    ),
]
