"""A real Reelhouse server on 127.0.0.1 in a background thread, and a small HTTP client for tests."""

from __future__ import annotations

import asyncio
import http.client
import json
import ssl
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import web

from reelhouse.app import Reelhouse
from reelhouse.config import load_config
from reelhouse.domain.access import Role, system_actor
from reelhouse.serving import open_listeners
from tests.postgres import chosen_database_url


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass
class Client:
    """One caller: optionally signed in (token), optionally from another loopback source address."""

    port: int
    token: str | None = None
    source: str | None = None
    host: str = "127.0.0.1"
    default_headers: dict[str, str] = field(default_factory=dict)
    # Set for the server's HTTPS listener: the chain is checked against the server's own CA.
    tls: ssl.SSLContext | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        source = (self.source, 0) if self.source else None
        conn = (
            http.client.HTTPSConnection(
                self.host, self.port, timeout=30, source_address=source, context=self.tls
            )
            if self.tls is not None
            else http.client.HTTPConnection(self.host, self.port, timeout=30, source_address=source)
        )
        all_headers = dict(self.default_headers)
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        try:
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            conn.close()

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return self.request("POST", path, body=body, **kwargs)


async def _finish_closing(seconds: float = 0.5) -> None:
    """Connections still closing when the server has stopped (a TLS close waiting on a peer that went away, a
    write buffer nobody reads) get a moment, then are aborted. The loop closes next, and a transport left
    behind keeps its socket open until the garbage collector finds it, in whichever later test that is."""
    loop = asyncio.get_running_loop()
    # The selector loop's own register of its transports (fd -> transport): the one place that lists them all.
    transports = list(getattr(loop, "_transports", {}).values())

    def still_open() -> list[asyncio.BaseTransport]:
        found = []
        for transport in transports:
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.fileno() >= 0:
                found.append(transport)
        return found

    deadline = loop.time() + seconds
    while any(t.is_closing() for t in still_open()) and loop.time() < deadline:
        await asyncio.sleep(0.02)
    left = still_open()
    for transport in left:
        if isinstance(transport, asyncio.Transport):
            transport.abort()
    if left:
        await asyncio.sleep(0)  # abort closes the socket on the loop's next turn


class RunningServer:
    """Starts the server's aiohttp app on an ephemeral port of 127.0.0.1; stop() tears it all down."""

    def __init__(self, data_dir: Path, https: bool = False, **overrides: Any) -> None:
        self._https = https
        self.https_port: int | None = None
        chosen = chosen_database_url()
        if chosen is not None and "database_url" not in overrides:
            overrides["database_url"] = chosen
        config = load_config(
            environ={},
            overrides={
                "data_dir": data_dir,
                "host": "127.0.0.1",
                "port": 0,
                "demo_library": False,
                **overrides,
            },
        )
        self.server = Reelhouse(config)
        self.data_dir = data_dir
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-server", daemon=True)
        self.port = 0
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("test server did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._runner = web.AppRunner(self.server.web_app(), access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        if self._https:
            # Both listeners through the app's own wiring; certificate files are checked every 0.2 s.
            opened = self._loop.run_until_complete(
                open_listeners(self.server, self._runner, "127.0.0.1", 0, 0, refresh_seconds=0.2)
            )
            self.port = next(item.port for item in opened if item.scheme == "http")
            self.https_port = next(item.port for item in opened if item.scheme == "https")
            self._ready.set()
            self._loop.run_forever()
            return
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        asyncio.run_coroutine_threadsafe(_finish_closing(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()

    # Callers --------------------------------------------------------------------------------
    def anonymous(self, source: str | None = None) -> Client:
        return Client(self.port, source=source)

    def over_tls(self, client: Client) -> Client:
        """The same caller on the HTTPS listener (``https=True``), trusting only the server's own CA."""
        assert self.https_port is not None, "start the server with https=True"
        context = ssl.create_default_context(cafile=str(self.data_dir / "certificates" / "ca.pem"))
        context.check_hostname = False
        return replace(client, port=self.https_port, tls=context)

    def create_user(
        self, username: str, role: Role = Role.MEMBER, password: str = "correct horse battery"
    ) -> str:
        return self.server.services.accounts.create_user(system_actor("test"), username, role, password)

    def sign_in(
        self, username: str, password: str = "correct horse battery", source: str | None = None
    ) -> Client:
        answer = self.anonymous(source).post("/api/auth/login", {"username": username, "password": password})
        assert answer.status == 200, answer.body
        return Client(self.port, token=answer.json()["token"], source=source)

    def owner(self) -> Client:
        if not any(u["role"] == "owner" for u in self.server.services.accounts.list_users()):
            self.create_user("owner", Role.OWNER)
        return self.sign_in("owner")
