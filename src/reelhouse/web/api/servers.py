"""The Servers page's list: this server, then every linked server as its last status check found it. Nothing
here waits for a peer (the poller asks them in the background), so one unreachable server never slows the
page. Only admins see linked servers: their names, addresses and scopes are the household's business."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel

from reelhouse.domain.access import Action, can
from reelhouse.services.peer_links import ServerView
from reelhouse.web.context import actor, call, json_response, services
from reelhouse.web.routing import Access, Route


class ServerOut(BaseModel):
    id: str  # "this", or the link's id
    name: str
    server_id: str
    this: bool
    status: Literal[
        "online", "unreachable", "degraded", "identity_changed", "revoked_by_peer", "needs_update", "unknown"
    ]
    version: str | None = None
    remote_access: bool | None = None
    secure_connections: str | None = None
    active_streams: int | None = None
    libraries: int | None = None
    items: int | None = None
    last_seen: float | None = None
    failing_since: float | None = None
    round_trip_ms: int | None = None
    clock_skew_ms: int | None = None
    address: str | None = None
    # What that server may do here, and what this server may do there.
    scopes_to_peer: list[str] = []
    scopes_from_peer: list[str] = []
    # Where browsers reach a linked server, as it says: the friend's server switcher links there.
    web_url: str | None = None
    # For admins: friends' revocations queued for that server and not yet taken (it was away); until then
    # those friends may still sign in there.
    revocations_waiting: int | None = None


class ServersOut(BaseModel):
    servers: list[ServerOut]


def _linked(view: ServerView, waiting: dict[str, int]) -> ServerOut:
    return ServerOut(
        id=view.link_id or "this",
        name=view.name,
        server_id=view.server_id,
        this=False,
        status=view.status.value,
        version=view.version,
        remote_access=view.remote_access,
        secure_connections=view.secure_connections,
        active_streams=view.active_streams,
        libraries=view.libraries,
        items=view.items,
        last_seen=view.last_seen,
        failing_since=view.failing_since,
        round_trip_ms=view.round_trip_ms,
        clock_skew_ms=view.skew_ms,
        address=view.address,
        scopes_to_peer=list(view.scopes_to_peer),
        scopes_from_peer=list(view.scopes_from_peer),
        web_url=view.web_url,
        revocations_waiting=waiting.get(view.link_id or "", 0),
    )


def _shared(view: ServerView) -> ServerOut:
    return ServerOut(
        id=view.link_id or "this",
        name=view.name,
        server_id=view.server_id,
        this=False,
        status=view.status.value,
        last_seen=view.last_seen,
        web_url=view.web_url,
    )


async def list_servers(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    who = actor(request)
    settings = svc.settings
    admin = can(who, Action.MANAGE_SETTINGS)
    this = ServerOut(
        id="this",
        name=str(settings.get("server_name")),
        server_id=svc.peer_links.identity.server_id if svc.peer_links is not None else "",
        this=True,
        status="online",
        version=svc.version,
        remote_access=bool(settings.get("remote_access")) if admin else None,
        secure_connections=str(settings.get("secure_connections")) if admin else None,
    )
    linked: list[ServerOut] = []
    if admin and svc.peer_links is not None:
        views = await call(request, svc.peer_links.views)
        waiting = (
            await call(request, svc.remote_admin.revocations_waiting, who)
            if svc.remote_admin is not None
            else {}
        )
        linked = [_linked(v, waiting) for v in views]
    elif svc.peer_links is not None and svc.federation is not None:
        # A friend sees the linked servers that let them in (to sign in there), by name and status only.
        shared = set(await call(request, svc.federation.shared_with, who))
        views = await call(request, svc.peer_links.views)
        linked = [_shared(v) for v in views if v.link_id in shared]
    return json_response(ServersOut(servers=[this, *linked]))


ROUTES = [
    Route(
        "GET",
        "/api/servers",
        list_servers,
        "This server and, for admins, every linked server with its last known status; for others, the linked "
        "servers that let them sign in",
        Access.USER,
        "system",
        response=ServersOut,
    ),
]
