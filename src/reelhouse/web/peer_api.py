"""The peer listener's application: what another Reelhouse server may ask of this one, on a port of its own,
in TLS 1.3 with this server's peer certificate. Behind the same network gate as every listener.

Its own short route table, apart from the browser's: nothing here is reachable on the web ports, and nothing
of the web app is reachable here. Each route declares what it needs in the table (a link scope, any active link,
or pairing, whose only credential is the code inside the PAKE, limited to ten attempts a minute per address),
and one wrapper enforces it before the handler runs: a route without a declaration cannot be registered."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from reelhouse import errors
from reelhouse.domain.peers import PEER_NEEDS, LinkAccess, PeerNeed, PeerScope, allowed_over_link
from reelhouse.services.federation import FederationService
from reelhouse.services.home_sign_in import HomeSignIn
from reelhouse.services.peer_keys import KeyRotation
from reelhouse.services.peer_links import Caller, PeerLinks, PeerRefused
from reelhouse.services.peering import PeeringService
from reelhouse.services.remote_admin import RemoteAdmin
from reelhouse.web.errors import problem, status_of
from reelhouse.web.gate import NetworkGate
from reelhouse.web.peer_tunnel import HELLO_PATH, TUNNEL_PATH, TunnelHub

MAX_FRAME = 64 * 1024
PEERING = web.AppKey("peering", PeeringService)
PEER_EXECUTOR = web.AppKey("peer_executor", ThreadPoolExecutor)
PEER_LINKS = web.AppKey("peer_links", PeerLinks)
KEY_ROTATION = web.AppKey("key_rotation", KeyRotation)
FEDERATION = web.AppKey("federation", FederationService)
REMOTE_ADMIN = web.AppKey("remote_admin", RemoteAdmin)
TUNNEL_HUB = web.AppKey("tunnel_hub", TunnelHub)
HOME_SIGN_IN = web.AppKey("home_sign_in", HomeSignIn)
_RAW = web.RequestKey("peer_body", bytes)
CALLER = web.RequestKey("peer_caller", Caller)
_EVIDENCE_HEADERS = ("Content-Type", "Content-Digest", "Reelhouse-Actor", "Signature-Input", "Signature")


@dataclass(frozen=True)
class PeerRoute:
    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    summary: str
    # Required, like Route.access on the web ports: the dispatcher refuses the request before the handler
    # unless the calling link may (see can()).
    needs: PeerNeed

    def __post_init__(self) -> None:
        if not isinstance(self.needs, PEER_NEEDS):
            raise TypeError(f"{self.method} {self.path} declares no scope, so it cannot be registered.")

    def can(self, scopes: frozenset[PeerScope]) -> bool:
        """Whether a signed request from a link granted ``scopes`` reaches the handler."""
        return allowed_over_link(scopes, self.needs)


async def _body(request: web.Request) -> bytes:
    # Read once: the signature check needs the bytes, and so does the handler after it.
    kept: bytes | None = request.get(_RAW)
    if kept is not None:
        return kept
    if request.content_length is not None and request.content_length > MAX_FRAME:
        raise errors.InvalidInput("The message is too large.")
    raw = await request.content.read(MAX_FRAME + 1)
    if len(raw) > MAX_FRAME:
        raise errors.InvalidInput("The message is too large.")
    request[_RAW] = raw
    return raw


async def signed(request: web.Request, needed: PeerNeed) -> Caller:
    """The linked server that signed this request, allowed ``needed`` (PeerLinks.check): the dispatcher calls
    this for every route but pairing."""
    body = await _body(request)
    url = f"https://{request.host}{request.path_qs}"
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers]
    loop = asyncio.get_running_loop()
    check = request.app[PEER_LINKS].check
    caller: Caller = await loop.run_in_executor(
        request.app[PEER_EXECUTOR], check, request.method, url, headers, body, needed
    )
    return caller


async def _frame(request: web.Request) -> dict[str, Any]:
    raw = await _body(request)
    try:
        frame = json.loads(raw)
    except ValueError:
        raise errors.InvalidInput("The pairing message is not JSON.") from None
    if not isinstance(frame, dict):
        raise errors.InvalidInput("The pairing message is not a JSON object.")
    return frame


async def _run(request: web.Request, fn: Callable[..., dict[str, Any]], *args: Any) -> web.Response:
    loop = asyncio.get_running_loop()
    answer = await loop.run_in_executor(request.app[PEER_EXECUTOR], fn, *args)
    return web.json_response(answer)


async def pair_start(request: web.Request) -> web.StreamResponse:
    frame = await _frame(request)
    return await _run(request, request.app[PEERING].answer_start, frame, request.remote or "")


async def pair_confirm(request: web.Request) -> web.StreamResponse:
    return await _run(request, request.app[PEERING].answer_confirm, await _frame(request))


async def pair_finish(request: web.Request) -> web.StreamResponse:
    frame = await _frame(request)
    return await _run(request, request.app[PEERING].answer_finish, frame, request.remote or "")


async def status(request: web.Request) -> web.StreamResponse:
    return await _run(request, request.app[PEER_LINKS].status_document)


async def rotate_key(request: web.Request) -> web.StreamResponse:
    # Any active link may announce its own new key: signed with the key this server pins, proved by the new.
    body = await _frame(request)
    evidence = await _evidence(request)
    return await _run(request, request.app[KEY_ROTATION].accept, request[CALLER], body, evidence)


async def get_settings(request: web.Request) -> web.StreamResponse:
    return await _run(request, request.app[REMOTE_ADMIN].settings_document)


async def _evidence(request: web.Request) -> dict[str, str]:
    """Kept with the audit entry of a remote change: every component the signature covers, the body and the
    signature itself, so that the change can be proved later with the sender's public key."""
    return {
        "method": request.method,
        "target_uri": f"https://{request.host}{request.path_qs}",
        "body": (await _body(request)).decode("utf-8", "replace"),
        **{name: request.headers.get(name, "")[:4096] for name in _EVIDENCE_HEADERS},
    }


async def patch_settings(request: web.Request) -> web.StreamResponse:
    body = await _frame(request)
    evidence = await _evidence(request)
    return await _run(request, request.app[REMOTE_ADMIN].apply_from_link, request[CALLER], body, evidence)


async def libraries(request: web.Request) -> web.StreamResponse:
    return await _run(request, request.app[FEDERATION].libraries_document)


async def put_principal(request: web.Request) -> web.StreamResponse:
    body = await _frame(request)
    subject = request.match_info["subject"]
    evidence = await _evidence(request)
    return await _run(request, request.app[FEDERATION].grant, request[CALLER], subject, body, evidence)


async def get_principal(request: web.Request) -> web.StreamResponse:
    subject = request.match_info["subject"]
    return await _run(request, request.app[FEDERATION].principal_document, request[CALLER], subject)


async def delete_principal(request: web.Request) -> web.StreamResponse:
    body = await _frame(request)
    subject = request.match_info["subject"]
    evidence = await _evidence(request)
    return await _run(request, request.app[FEDERATION].revoke, request[CALLER], subject, body, evidence)


async def unlinked(request: web.Request) -> web.StreamResponse:
    revocations = request.app[FEDERATION].revocations
    evidence = await _evidence(request)
    return await _run(request, revocations.accept_unlink, request[CALLER], evidence)


async def auth_request(request: web.Request) -> web.StreamResponse:
    body = await _frame(request)
    return await _run(request, request.app[HOME_SIGN_IN].accept_request, request[CALLER], body)


async def auth_token(request: web.Request) -> web.StreamResponse:
    body = await _frame(request)
    return await _run(request, request.app[HOME_SIGN_IN].redeem, request[CALLER], body)


async def open_tunnel(request: web.Request) -> web.StreamResponse:
    # The upgrade was signed by an active link; the hello, checked the same way, binds it to this connection.
    links, executor = request.app[PEER_LINKS], request.app[PEER_EXECUTOR]

    async def hello(headers: list[tuple[str, str]], body: bytes) -> Caller:
        url = f"https://{request.host}{HELLO_PATH}"
        loop = asyncio.get_running_loop()
        check = links.check
        proved: Caller = await loop.run_in_executor(
            executor, check, "POST", url, headers, body, LinkAccess.ANY_LINK
        )
        return proved

    hub = request.app[TUNNEL_HUB]
    return await hub.serve(request, request[CALLER], hello, links.identity.fingerprint)


PEER_ROUTES = (
    PeerRoute(
        "POST",
        "/peer/v1/pair/start",
        pair_start,
        "Pairing, first message: claims the waiting code.",
        needs=LinkAccess.PAIRING,
    ),
    PeerRoute(
        "POST",
        "/peer/v1/pair/confirm",
        pair_confirm,
        "Pairing, key confirmation; a wrong one burns it.",
        needs=LinkAccess.PAIRING,
    ),
    PeerRoute(
        "POST",
        "/peer/v1/pair/finish",
        pair_finish,
        "Pairing, last message: the dialer's link record.",
        needs=LinkAccess.PAIRING,
    ),
    PeerRoute(
        "GET",
        "/peer/v1/status",
        status,
        "Health and counts, for a link with the status scope.",
        needs=PeerScope.STATUS,
    ),
    PeerRoute(
        "GET",
        "/peer/v1/libraries",
        libraries,
        "Library ids, names and kinds, for the users scope.",
        needs=PeerScope.USERS,
    ),
    PeerRoute(
        "GET",
        "/peer/v1/principals/{subject}",
        get_principal,
        "The libraries and limits of the federated user for one of the caller's users (users scope).",
        needs=PeerScope.USERS,
    ),
    PeerRoute(
        "PUT",
        "/peer/v1/principals/{subject}",
        put_principal,
        "Create or update the federated user for one of the caller's users (users scope).",
        needs=PeerScope.USERS,
    ),
    PeerRoute(
        "DELETE",
        "/peer/v1/principals/{subject}",
        delete_principal,
        "Revoke the federated user for one of the caller's users and end its sessions (users scope).",
        needs=PeerScope.USERS,
    ),
    PeerRoute(
        "DELETE",
        "/peer/v1/link",
        unlinked,
        "The caller removed its link with this server: the link here turns revoked by peer (any active link).",
        needs=LinkAccess.ANY_LINK,
    ),
    PeerRoute(
        "POST",
        "/peer/v1/keys/rotate",
        rotate_key,
        "The caller's new peer key, signed with its current one and proved by the new (any active link).",
        needs=LinkAccess.ANY_LINK,
    ),
    PeerRoute(
        "GET",
        "/peer/v1/settings",
        get_settings,
        "The settings registry and values, for the manage scope.",
        needs=PeerScope.MANAGE,
    ),
    PeerRoute(
        "PATCH",
        "/peer/v1/settings",
        patch_settings,
        "Apply a batch of settings (manage scope; idempotent by key); dangerous changes need a local sign-in.",
        needs=PeerScope.MANAGE,
    ),
    # Any link asks; the service allows only a server that accepts this one as its users' identity provider.
    PeerRoute(
        "POST",
        "/peer/v1/auth/request",
        auth_request,
        "Push a browser sign-in request (redirect URI, PKCE challenge, nonce, state); answers the approval URL.",
        needs=LinkAccess.ANY_LINK,
    ),
    PeerRoute(
        "POST",
        "/peer/v1/auth/token",
        auth_token,
        "Redeem a one-time sign-in code with its PKCE verifier for a federated token for the caller.",
        needs=LinkAccess.ANY_LINK,
    ),
    PeerRoute(
        "GET",
        TUNNEL_PATH,
        open_tunnel,
        "A WebSocket the caller keeps open so that this server's signed requests reach it (any active link).",
        needs=LinkAccess.ANY_LINK,
    ),
)


def _enforced(route: PeerRoute) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The route's handler behind the one check of what it declares: pairing goes straight through (the code
    is checked inside the PAKE); everything else needs a signed request from a link that may."""
    if route.needs is LinkAccess.PAIRING:
        return route.handler

    async def handle(request: web.Request) -> web.StreamResponse:
        request[CALLER] = await signed(request, route.needs)
        return await route.handler(request)

    return handle


@web.middleware
async def _errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> Any:
    try:
        return await handler(request)
    except PeerRefused as exc:
        # The receiver's time rides along, so that the other side can show how far apart the clocks are.
        return problem(401, exc.code, exc.message, server_time=time.time())
    except errors.ReelhouseError as exc:
        extra: dict[str, Any] = {}
        if isinstance(exc, errors.InvalidInput) and exc.fields:
            extra["fields"] = exc.fields
        response = problem(status_of(exc), type(exc).__name__, exc.message, **extra)
        if isinstance(exc, errors.TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except web.HTTPException as exc:
        return problem(exc.status, "http", exc.reason)


def build_peer_app(
    peering: PeeringService,
    links: PeerLinks,
    executor: ThreadPoolExecutor,
    gate: NetworkGate,
    remote_admin: RemoteAdmin | None = None,
    federation: FederationService | None = None,
    key_rotation: KeyRotation | None = None,
    home_sign_in: HomeSignIn | None = None,
    tunnel_hub: TunnelHub | None = None,
) -> web.Application:
    app = web.Application(middlewares=[gate.middleware, _errors], client_max_size=MAX_FRAME)
    app[PEERING] = peering
    app[PEER_LINKS] = links
    app[PEER_EXECUTOR] = executor
    app[TUNNEL_HUB] = hub = tunnel_hub if tunnel_hub is not None else TunnelHub()
    app.on_shutdown.append(hub.on_shutdown)
    if remote_admin is not None:
        app[REMOTE_ADMIN] = remote_admin
    if federation is not None:
        app[FEDERATION] = federation
    if key_rotation is not None:
        app[KEY_ROTATION] = key_rotation
    if home_sign_in is not None:
        app[HOME_SIGN_IN] = home_sign_in
    for route in PEER_ROUTES:
        app.router.add_route(route.method, route.path, _enforced(route))
    return app
