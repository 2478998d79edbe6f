"""The network gate: first middleware on every listener, before routing and authentication."""

from __future__ import annotations

import asyncio
import ipaddress
import re
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
# The same headers whichever way a bare answer is sent; the product's name, never the framework's.
_BARE_HEADERS = {"Server": "Reelhouse", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_PORT = re.compile(r"[0-9]{0,5}")


def bare(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, headers=_BARE_HEADERS)


def refusal(verdict: Verdict) -> web.Response:
    status, text = _REFUSALS[verdict]
    return bare(status, text)


def parse_host(value: str) -> tuple[str, int | None] | None:
    """A Host (or X-Forwarded-Host) value as HTTP allows it: a name, an IPv4 address or a bracketed IPv6
    address, then an optional port; names come back in lower case, IPv6 in brackets. Anything else (a user
    part, a path, a space, junk after an address) is None: the allow-list must not judge a prefix of it,
    and a redirect must not be built from it."""
    text = value.strip().lower()
    if text.startswith("["):
        end = text.find("]")
        literal, rest = text[1:end], text[end + 1 :]
        if "%" in literal:
            # Python accepts a zone id (fe80::1%eth0), and a zone may be any text: none belongs in a Host.
            return None
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return None
        name = f"[{literal}]"
    else:
        name, _, port_text = text.partition(":")
        rest = text[len(name) :]
        labels = name.removesuffix(".").split(".")
        if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
            return None
    if not rest:
        return name, None
    port_text = rest[1:]
    if rest[0] != ":" or not _PORT.fullmatch(port_text) or (port_text and int(port_text) > 65535):
        return None
    return name, int(port_text) if port_text else None


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

    def shut_out(self, raw_peer: str | None) -> Verdict | None:
        """The verdict on a socket peer before anything it sends is read: remote access and the IP filter.
        A trusted proxy passes; the clients behind it are judged request by request."""
        policy = self.policy
        if policy.trusts(parse_address(raw_peer)):
            return None
        verdict = decide(classify(raw_peer, None, policy), policy, host=None, tls=True, page_request=False)
        return None if verdict is Verdict.ALLOW else verdict

    def bare_answer(self, raw_peer: str | None, status: int, text: str) -> web.Response:
        """The answer to a request that cannot be read: a peer the gate shuts out gets exactly its usual
        refusal (nothing tells it that its request was malformed), anyone else the status alone."""
        verdict = self.shut_out(raw_peer)
        return refusal(verdict) if verdict is not None else bare(status, text)

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
        # Who is asking comes first, so a stranger learns nothing from how its Host is written.
        shut = decide(peer, policy, host=None, tls=True, page_request=False)
        if shut is not Verdict.ALLOW:
            return refusal(shut)
        parsed = parse_host(host) if host else None
        if host and parsed is None:
            return bare(400, "Bad Request\n")
        canonical = None if parsed is None else parsed[0] if parsed[1] is None else f"{parsed[0]}:{parsed[1]}"
        page = request.method in ("GET", "HEAD") and not request.path.startswith("/api/")
        verdict = decide(peer, policy, host=canonical, tls=tls, page_request=page)
        if verdict is Verdict.REDIRECT_HTTPS:
            if self.https_port is None:
                verdict = Verdict.PLAIN_HTTP_REFUSED
            else:
                return self._redirect(request, parsed[0] if parsed else "localhost")
        if verdict is not Verdict.ALLOW:
            return refusal(verdict)
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

    def _redirect(self, request: web.Request, name: str) -> web.StreamResponse:
        """``name`` is a parsed host name or bracketed address, never the header as written."""
        port = "" if self.https_port == 443 else f":{self.https_port}"
        location = f"https://{name}{port}{request.rel_url}"
        response = bare(308, "HTTPS required\n")
        response.headers["Location"] = location
        return response


GATE = web.AppKey("network_gate", NetworkGate)
