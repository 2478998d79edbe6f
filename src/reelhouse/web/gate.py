"""The network gate: first middleware on every listener, before routing and authentication."""

from __future__ import annotations

import asyncio
import socket
import weakref
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from reelhouse.domain.network import NetworkPolicy, Verdict, classify, decide, parse_address
from reelhouse.web.context import FORWARDED_TLS, PEER, ZONE

NETWORK_SETTINGS = frozenset(
    {
        "remote_access",
        "lan_networks",
        "trusted_proxies",
        "remote_ip_filter_mode",
        "remote_ip_filter",
        "secure_connections",
        "public_urls",
        "allowed_hosts",
    }
)
# Bare refusals: no page, no form, nothing that tells a stranger what answers here.
_REFUSALS: dict[Verdict, tuple[int, str]] = {
    Verdict.REMOTE_ACCESS_OFF: (403, "Forbidden\n"),
    Verdict.FILTERED: (403, "Forbidden\n"),
    Verdict.UNKNOWN_HOST: (421, "Misdirected Request\n"),
    Verdict.PLAIN_HTTP_REFUSED: (403, "HTTPS required\n"),
}


class _NoTask:
    """Stands in when a request runs outside a task (never under aiohttp, but weakref needs an object)."""

    def done(self) -> bool:
        return True


_NO_TASK = _NoTask()
_Entry = tuple[str | None, str | None, "weakref.ref[asyncio.Task[Any] | _NoTask]"]


def cut_connection(transport: asyncio.Transport, task: asyncio.Task[Any] | _NoTask | None) -> None:
    """Abort a refused client's connection. A handler still running is cancelled first: aborting under a
    running loop.sendfile trips asyncio (InvalidStateError in connection_lost) and strands the handler."""
    if isinstance(task, asyncio.Task) and not task.done():
        task.add_done_callback(lambda _done: transport.abort())
        task.cancel()
        # In case the handler swallows the cancellation: the connection goes regardless.
        asyncio.get_running_loop().call_later(2.0, transport.abort)
    else:
        # abort, not close: close would first flush what is buffered for someone now refused.
        transport.abort()


def machine_names() -> tuple[str, ...]:
    # gethostname only: getfqdn may block on DNS, and the gate must not depend on a resolver.
    name = socket.gethostname().lower()
    return (name, name.split(".", 1)[0], f"{name.split('.', 1)[0]}.local", "localhost")


class NetworkGate:
    """Holds the parsed policy (rebuilt on each settings change) and the connections it let in, so a
    change that shuts someone out also cuts the streams they already have open."""

    def __init__(self, values: Mapping[str, Any], names: tuple[str, ...] | None = None) -> None:
        self._names = machine_names() if names is None else names
        self.policy = NetworkPolicy.from_settings(values, self._names)
        self.https_port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # The task is held weakly too: a strong reference would reach the transport and keep it alive.
        self._open: weakref.WeakKeyDictionary[asyncio.BaseTransport, _Entry] = weakref.WeakKeyDictionary()

    async def on_startup(self, _app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def settings_changed(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        if not any(before.get(k) != after.get(k) for k in NETWORK_SETTINGS):
            return
        # Assigned at once (this may run on a worker thread) so the very next request sees the change.
        self.policy = NetworkPolicy.from_settings(after, self._names)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.cut_refused)

    def cut_refused(self) -> int:
        """Abort every connection whose client the current policy refuses; returns how many."""
        policy = self.policy
        cut = 0
        for transport, (raw_peer, forwarded, task_ref) in list(self._open.items()):
            peer = classify(raw_peer, forwarded, policy)
            verdict = decide(peer, policy, host=None, tls=True, page_request=False)
            if (
                verdict is not Verdict.ALLOW
                and isinstance(transport, asyncio.Transport)
                and not transport.is_closing()
            ):
                cut_connection(transport, task_ref())
                cut += 1
        return cut

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        policy = self.policy
        raw_peer = request.remote
        forwarded = request.headers.get("X-Forwarded-For")
        peer = classify(raw_peer, forwarded, policy)
        proxied = policy.trusts(parse_address(raw_peer))
        forwarded_tls = proxied and request.headers.get("X-Forwarded-Proto", "").strip().lower() == "https"
        tls = request.secure or forwarded_tls
        host = request.headers.get("Host")
        if proxied and "X-Forwarded-Host" in request.headers:
            # The proxy's own Host may be an internal name; the browser's is the one to check.
            host = request.headers["X-Forwarded-Host"].split(",")[0].strip()
        page = request.method in ("GET", "HEAD") and not request.path.startswith("/api/")
        verdict = decide(peer, policy, host=host, tls=tls, page_request=page)
        if verdict is Verdict.REDIRECT_HTTPS:
            if self.https_port is None:
                verdict = Verdict.PLAIN_HTTP_REFUSED
            else:
                return self._redirect(request, host or "localhost")
        if verdict is not Verdict.ALLOW:
            status, text = _REFUSALS[verdict]
            return web.Response(status=status, text=text)
        request[ZONE] = peer.zone.value
        if peer.text is not None:
            request[PEER] = peer.text
        request[FORWARDED_TLS] = forwarded_tls
        transport = request.transport
        if transport is not None:
            # Keyed by connection, held weakly: a keep-alive connection stays known until it is gone,
            # and a stream (file, websocket) is cut along with its connection.
            self._open[transport] = (raw_peer, forwarded, weakref.ref(asyncio.current_task() or _NO_TASK))
        return await handler(request)

    def _redirect(self, request: web.Request, host: str) -> web.StreamResponse:
        if host.startswith("["):
            name = host[: host.index("]") + 1]
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        port = "" if self.https_port == 443 else f":{self.https_port}"
        location = f"https://{name}{port}{request.rel_url}"
        return web.Response(status=308, text="HTTPS required\n", headers={"Location": location})


GATE = web.AppKey("network_gate", NetworkGate)
