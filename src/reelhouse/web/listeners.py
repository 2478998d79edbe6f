"""The listening sockets. aiohttp's own handling is kept except where it speaks for us to a stranger: a request
it cannot parse gets a bare answer, and the HTTPS port judges the peer before the TLS handshake."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Callable
from http import HTTPStatus

from aiohttp import web

from reelhouse.web.gate import NetworkGate

log = logging.getLogger(__name__)
# aiohttp's default, written out because the handler is built here: the request line and each header field.
MAX_LINE = 8190
BACKLOG = 128


class BareErrors(web.RequestHandler):
    """aiohttp answers a request it cannot parse (over-long line or header, too many headers, a bad request
    line or version, a broken chunked body) before any middleware runs, with the parser's message, which
    quotes the input, and its own name and version as Server. Here the gate decides that answer instead."""

    def __init__(self, manager: web.Server, gate: NetworkGate, loop: asyncio.AbstractEventLoop) -> None:
        # None turns the access log off, as the runner's access_log=None does (aiohttp types it Logger only).
        super().__init__(
            manager,
            loop=loop,
            access_log=None,  # type: ignore[arg-type]
            max_line_size=MAX_LINE,
            max_field_size=MAX_LINE,
        )
        self._gate = gate

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            log.error("error handling a request from %s", request.remote, exc_info=exc)
        else:
            # Anyone on the network can send garbage; it is not an error of ours and must not fill the log.
            log.debug("unreadable request from %s: %s", request.remote, exc)
        if request.writer.output_size > 0:
            raise ConnectionError("part of a response was sent already; the connection is broken")
        response = self._gate.bare_answer(request.remote, status, f"{HTTPStatus(status).phrase}\n")
        response.force_close()
        return response


def handler_factory(runner: web.BaseRunner, gate: NetworkGate) -> Callable[[], BareErrors]:
    server = runner.server
    assert server is not None, "runner.setup() comes first"
    loop = asyncio.get_running_loop()
    return lambda: BareErrors(server, gate, loop)


class PlainListener(web.BaseSite):
    """HTTP. Every peer may connect: the gate answers a refused one with its bare refusal."""

    def __init__(self, runner: web.BaseRunner, host: str | None, port: int, gate: NetworkGate) -> None:
        super().__init__(runner, backlog=BACKLOG)
        self._host = host
        self._port = port
        self._factory = handler_factory(runner, gate)
        self._listening: asyncio.Server | None = None

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def addresses(self) -> list[tuple[str, int]]:
        server = self._listening
        return [] if server is None else [_address(s.getsockname()) for s in server.sockets]

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = self._listening = await loop.create_server(
            self._factory, self._host, self._port, backlog=BACKLOG, reuse_address=True
        )


class TLSListener(web.BaseSite):
    """HTTPS. The certificate names this machine and its home-network addresses, so a peer that the gate
    shuts out (remote access off, or the IP filter) is dropped when its connection is accepted, before a
    byte of TLS; everyone else goes on to the ordinary handshake. (A server-name callback would come too
    late to help: it cannot see the peer's address.)

    asyncio closes a TLS connection gracefully and then waits up to 30 s for the peer's close_notify; a loop
    stopped right after cleanup (a test, an exiting process) would leave those sockets open. So the open
    connections are noted when the listener stops, and end() aborts them once the graceful close is sent."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str | None,
        port: int,
        gate: NetworkGate,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(runner, ssl_context=context, backlog=BACKLOG)
        self._host = host
        self._port = port
        self._gate = gate
        self._context = context
        self._factory = handler_factory(runner, gate)
        self._sockets: list[socket.socket] = []
        self._accepting: list[asyncio.Task[None]] = []
        self._handshakes: set[asyncio.Task[None]] = set()
        self.noted: list[asyncio.BaseTransport] = []

    @property
    def name(self) -> str:
        return f"https://{self._host}:{self._port}"

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [_address(s.getsockname()) for s in self._sockets]

    async def start(self) -> None:
        await super().start()
        self._sockets = _bind(self._host, self._port)
        self._accepting = [asyncio.create_task(self._accept(s)) for s in self._sockets]

    async def _accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, address = await loop.sock_accept(listener)
            except OSError as exc:
                # Out of descriptors, or the peer gave up while queued: try again shortly.
                log.warning("could not accept an HTTPS connection: %s", exc)
                await asyncio.sleep(0.1)
                continue
            if self._gate.shut_out(str(address[0])) is not None:
                conn.close()
                continue
            task = asyncio.create_task(self._handshake(conn))
            self._handshakes.add(task)
            task.add_done_callback(self._handshakes.discard)
            task.add_done_callback(_closing_if_cancelled(conn))

    async def _handshake(self, conn: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.connect_accepted_socket(self._factory, conn, ssl=self._context)
        except OSError as exc:
            # A failed or abandoned handshake (ssl.SSLError, a reset, the handshake timeout): asyncio closed it.
            log.debug("TLS handshake failed: %s", exc)

    async def stop(self) -> None:
        pending = [*self._accepting, *self._handshakes]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for listener in self._sockets:
            listener.close()
        server = self._runner.server
        if server is not None:
            found = (h.transport for h in server.connections)
            self.noted = [t for t in found if t is not None and t.get_extra_info("ssl_object") is not None]
        await super().stop()

    async def end(self) -> None:
        for transport in self.noted:
            if isinstance(transport, asyncio.Transport):
                transport.abort()
        self.noted = []
        # The sockets close in callbacks the abort schedules; let them run before the loop may stop.
        await asyncio.sleep(0)


def _closing_if_cancelled(conn: socket.socket) -> Callable[[asyncio.Task[None]], None]:
    """A handshake cancelled by stop() may not have handed its socket to asyncio yet (cancelled before it ever
    ran, with the accept in the same turn of the loop): then nothing else would close it. Closing a socket that
    a transport already closed does nothing."""

    def done(task: asyncio.Task[None]) -> None:
        if task.cancelled():
            conn.close()

    return done


def _address(name: tuple[object, ...]) -> tuple[str, int]:
    return str(name[0]), int(str(name[1]))


def _bind(host: str | None, port: int) -> list[socket.socket]:
    """Listening sockets as asyncio's create_server makes them (address reuse, IPv6 sockets IPv6 only)."""
    found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    bound: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(found):
            listener = socket.socket(family, kind, proto)
            bound.append(listener)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            listener.bind(address)
            listener.listen(BACKLOG)
            listener.setblocking(False)
    except OSError:
        for listener in bound:
            listener.close()
        raise
    return bound
