"""Friends who sign in with their home server (services/federation.py). On home: an admin lists a linked
server's libraries and shares some with a local user there, or stops; a signed-in user asks for a token for a
linked server's nonce. On the linked server: the two public sign-in steps."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from reelhouse.domain.access import Action
from reelhouse.services.federation import FederationService
from reelhouse.web.api.accounts import token_out
from reelhouse.web.context import actor, call, json_response, parse_body, peer_address, services
from reelhouse.web.routing import Access, Route
from reelhouse.web.schemas import TokenOut
from reelhouse.web.session import set_session_cookie


class RemoteLibraryOut(BaseModel):
    id: str
    name: str
    kind: str


class RemoteLibrariesOut(BaseModel):
    libraries: list[RemoteLibraryOut]


class ShareIn(BaseModel):
    libraries: list[str] = Field(max_length=500)
    # The local sharing editor's other permissions (rating cap, labels, downloads, end date...), checked there.
    limits: dict[str, Any] | None = None


class ShareOut(BaseModel):
    user_id: str
    libraries: list[str]
    limits: dict[str, Any] = {}


class UnshareOut(BaseModel):
    revoked: bool  # the linked server took it now
    queued: bool = False  # it did not answer: told from the outbox as soon as it does


class NonceOut(BaseModel):
    nonce: str
    aud: str


class TokenIn(BaseModel):
    nonce: str = Field(max_length=128)


class FederatedTokenOut(BaseModel):
    token: str
    expires_at: int


class FederatedSignInIn(BaseModel):
    token: str = Field(max_length=4096)


def _federation(request: web.Request) -> FederationService:
    found = services(request).federation
    if found is None:
        raise web.HTTPNotFound()
    return found


async def remote_libraries(request: web.Request) -> web.StreamResponse:
    fed = _federation(request)
    answer = await call(request, fed.remote_libraries, actor(request), request.match_info["link_id"])
    return json_response(RemoteLibrariesOut.model_validate(answer))


async def remote_principal(request: web.Request) -> web.StreamResponse:
    fed = _federation(request)
    m = request.match_info
    answer = await call(request, fed.remote_principal, actor(request), m["link_id"], m["user_id"])
    return json_response(ShareOut.model_validate(answer))


async def share(request: web.Request) -> web.StreamResponse:
    fed = _federation(request)
    body = await parse_body(request, ShareIn)
    m = request.match_info
    who = actor(request)
    answer = await call(request, fed.share, who, m["link_id"], m["user_id"], body.libraries, body.limits)
    return json_response(ShareOut.model_validate(answer))


async def unshare(request: web.Request) -> web.StreamResponse:
    fed = _federation(request)
    m = request.match_info
    answer = await call(request, fed.unshare, actor(request), m["link_id"], m["user_id"])
    return json_response(UnshareOut.model_validate(answer))


async def token(request: web.Request) -> web.StreamResponse:
    fed = _federation(request)
    body = await parse_body(request, TokenIn)
    answer = await call(request, fed.token_for, actor(request), request.match_info["link_id"], body.nonce)
    return json_response(FederatedTokenOut.model_validate(answer))


async def nonce(request: web.Request) -> web.StreamResponse:
    answer = await call(request, _federation(request).issue_nonce)
    return json_response(NonceOut.model_validate(answer))


async def federated_sign_in(request: web.Request) -> web.StreamResponse:
    fed = _federation(request)
    body = await parse_body(request, FederatedSignInIn)
    signed = await call(request, fed.sign_in, body.token, peer_address(request))
    response = json_response(token_out(signed))
    set_session_cookie(request, response, signed.token, signed.expires_at)
    return response


ROUTES = [
    Route(
        "GET",
        "/api/servers/{link_id}/libraries",
        remote_libraries,
        "A linked server's libraries that may be shared with a user of this server",
        Action.MANAGE_USERS,
        "system",
        response=RemoteLibrariesOut,
    ),
    Route(
        "GET",
        "/api/servers/{link_id}/principals/{user_id}",
        remote_principal,
        "What a user of this server may do on a linked server, as that server says",
        Action.MANAGE_USERS,
        "system",
        response=ShareOut,
    ),
    Route(
        "PUT",
        "/api/servers/{link_id}/principals/{user_id}",
        share,
        "Share libraries of a linked server with a user of this server, who then signs in there as a friend",
        Action.MANAGE_USERS,
        "system",
        body=ShareIn,
        response=ShareOut,
    ),
    Route(
        "DELETE",
        "/api/servers/{link_id}/principals/{user_id}",
        unshare,
        "Stop sharing a linked server with a user of this server: it refuses them and ends their sessions",
        Action.MANAGE_USERS,
        "system",
        response=UnshareOut,
    ),
    Route(
        "POST",
        "/api/servers/{link_id}/token",
        token,
        "A five-minute token, for a linked server's sign-in nonce, that signs the caller in there",
        Access.USER,
        "system",
        body=TokenIn,
        response=FederatedTokenOut,
    ),
    Route(
        "GET",
        "/api/auth/federated/nonce",
        nonce,
        "A single-use, five-minute nonce for signing in with a linked home server",
        Access.PUBLIC,
        "accounts",
        response=NonceOut,
    ),
    Route(
        "POST",
        "/api/auth/federated",
        federated_sign_in,
        "Sign in with a token from a linked home server; sets the session cookie",
        Access.PUBLIC,
        "accounts",
        body=FederatedSignInIn,
        response=TokenOut,
    ),
]
