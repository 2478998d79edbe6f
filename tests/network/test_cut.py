"""Turning remote access off ends what remote clients already have open, streams included."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from aiohttp import web

from reelhouse.web.gate import NetworkGate
from tests.harness import RunningServer
from tests.network.conftest import REMOTE, configure

CHUNK = b"x" * 65536


class StreamingApp:
    """The real gate in front of an endless slow stream, sharing the real server's settings service."""

    def __init__(self, server: RunningServer) -> None:
        settings = server.server.services.settings
        self.gate = NetworkGate(settings.values)
        settings.on_change(self.gate.settings_changed)
        self.handler_ended = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        try:
            for _ in range(10_000):
                await response.write(CHUNK)
                await asyncio.sleep(0.01)
        finally:
            self.handler_ended.set()
        return response

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(middlewares=[self.gate.middleware])
        app.on_startup.append(self.gate.on_startup)
        app.router.add_get("/stream", self._stream)
        self.runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture
def streaming(server: RunningServer) -> Iterator[StreamingApp]:
    app = StreamingApp(server)
    yield app
    app.stop()


def _open_stream(port: int, source: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n")
    head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 200"), head[:80]
    return sock


def _read_until_closed(sock: socket.socket, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if not sock.recv(1 << 20):
                return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            continue
    return False


def test_remote_stream_stops_when_remote_access_is_turned_off(
    server: RunningServer, streaming: StreamingApp
) -> None:
    configure(server, remote_access=True, trusted_proxies=["127.0.0.9/32"])
    with socket.create_connection(
        ("127.0.0.1", streaming.port), timeout=5, source_address=(REMOTE, 0)
    ) as sock:
        _remote_stream_is_cut(server, streaming, sock)


def _remote_stream_is_cut(server: RunningServer, streaming: StreamingApp, sock: socket.socket) -> None:
    sock.sendall(
        b"GET /stream HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 127.0.0.66\r\n"
        b"X-Forwarded-Proto: https\r\n\r\n"
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    assert sock.recv(1 << 20)
    assert streaming.gate.open_connections == 1
    configure(server, remote_access=False)
    assert _read_until_closed(sock, 5.0)
    assert streaming.handler_ended.wait(5)


def test_home_network_stream_survives_remote_access_turned_off(
    server: RunningServer, streaming: StreamingApp
) -> None:
    configure(server, remote_access=True)
    with _open_stream(streaming.port, "127.0.0.1") as sock:
        configure(server, remote_access=False)
        received = 0
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            received += len(sock.recv(1 << 20))
    assert received > len(CHUNK)
    assert not streaming.handler_ended.is_set()


def test_idle_remote_keep_alive_connection_is_closed_on_the_real_server(server: RunningServer) -> None:
    configure(server, remote_access=True, trusted_proxies=["127.0.0.9/32"])
    with socket.create_connection(("127.0.0.1", server.port), timeout=5, source_address=(REMOTE, 0)) as sock:
        sock.sendall(
            b"GET /api/me HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 127.0.0.66\r\n"
            b"X-Forwarded-Proto: https\r\n\r\n"
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 401")
        configure(server, remote_access=False)
        assert _read_until_closed(sock, 5.0)
