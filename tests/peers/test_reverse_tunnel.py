"""The reverse tunnel (design test 26): away can dial home, home cannot reach away's listener (the address home
knows for it refuses connections). With `peer_tunnel` on, away keeps a tunnel to home, and home's status polls
and admin actions reach away down it; every request still meets away's listener's signature checks (a tampered,
unsigned, replayed or foreign-key request through the tunnel is refused). Home attaches a tunnel only after a
signed upgrade and a signed hello that answers its own challenge."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reelhouse.domain.access import system_actor
from reelhouse.domain.peers import ServerStatus
from reelhouse.services.peer_identity import load_identity
from reelhouse.services.peer_links import TUNNEL_ADDRESS, TUNNEL_HOST
from reelhouse.services.peer_signing import sign_request
from tests.harness import RunningServer
from tests.peers.federation_kit import pair

OWNER = system_actor("test")
Linked = tuple[RunningServer, RunningServer, str, str]
SETTINGS = "/peer/v1/settings"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Linked]:
    """home and away, paired, and the address home knows for away refusing connections: only away can dial."""
    away = RunningServer(tmp_path / "away", peer_port=0)
    home = RunningServer(tmp_path / "home", peer_port=0)
    try:
        on_home, on_away = pair(home, away)
        hole = socket.socket()
        hole.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{hole.getsockname()[1]}"
        hole.close()
        with home.server.db.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE peer_links SET addresses = ? WHERE id = ?", (json.dumps([closed]), on_home)
            )
        yield home, away, on_home, on_away
    finally:
        home.stop()
        away.stop()


def _via_link(server: RunningServer) -> list[dict[str, Any]]:
    """The settings changes a server applied for a link, oldest first."""
    entries = server.server.services.audit.entries(OWNER, "settings.change")
    return [d for d in (json.loads(e.detail) for e in reversed(entries)) if "via_link" in d]


def _address_of(server: RunningServer, link_id: str) -> str:
    with server.server.db.read() as conn:
        raw = conn.exec_driver_sql("SELECT addresses FROM peer_links WHERE id = ?", (link_id,)).scalar_one()
    (address,) = json.loads(raw)
    return str(address)


def _tunnel_open(home: RunningServer, link_id: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not home.server.tunnel_hub.is_open(link_id):
        assert time.monotonic() < deadline, "away opened no tunnel to home"
        time.sleep(0.1)


def _change(key: str) -> bytes:
    return json.dumps(
        {"request_id": f"req-{key}", "idempotency_key": f"key-{key}", "changes": {"server_name": key}}
    ).encode()


def test_home_administers_away_through_the_tunnel_and_away_still_checks_every_signature(
    servers: Linked,
) -> None:
    home, away, on_home, _ = servers
    owner = home.owner()
    # No tunnel yet: away cannot be reached at all.
    assert owner.get(f"/api/servers/{on_home}/settings").status == 503

    away.server.services.settings.apply(OWNER, {"peer_tunnel": True})
    _tunnel_open(home, on_home)
    view = home.server.peer_links.poll(on_home)
    assert view is not None and view.status is ServerStatus.ONLINE and view.address == TUNNEL_ADDRESS, view

    answer = owner.request("PATCH", f"/api/servers/{on_home}/settings", {"values": {"remote_access": True}})
    assert answer.status == 200, answer.body
    assert away.server.services.settings.get("remote_access") is True
    (received,) = _via_link(away)
    assert received["via_link"]["signed_request"]["target_uri"] == f"https://{TUNNEL_HOST}{SETTINGS}"

    send = home.server.tunnel_hub.send
    identity = home.server.peer_links.identity
    url = f"https://{TUNNEL_HOST}{SETTINGS}"
    actor = {"name": "mallory"}
    # Signed for one body, carrying another.
    headers = sign_request(identity.key, identity.fingerprint, "PATCH", url, _change("signed"), actor)
    status, raw = send(on_home, "PATCH", SETTINGS, headers, _change("tampered"))
    assert (status, json.loads(raw)["error"]) == (401, "bad_signature"), raw
    # No signature at all.
    status, raw = send(on_home, "PATCH", SETTINGS, {"Content-Type": "application/json"}, _change("unsigned"))
    assert status == 401, raw
    # Signed by a key no link pins.
    stranger = Ed25519PrivateKey.generate()
    headers = sign_request(stranger, "f" * 64, "PATCH", url, _change("stranger"), actor)
    status, raw = send(on_home, "PATCH", SETTINGS, headers, _change("stranger"))
    assert (status, json.loads(raw)["error"]) == (401, "unknown_link"), raw
    # A good request goes through once; the same bytes again are a replay.
    headers = sign_request(identity.key, identity.fingerprint, "PATCH", url, _change("Away"), actor)
    assert send(on_home, "PATCH", SETTINGS, headers, _change("Away"))[0] == 200
    status, raw = send(on_home, "PATCH", SETTINGS, headers, _change("Away"))
    assert (status, json.loads(raw)["error"]) == (401, "replay"), raw
    # Pairing is never forwarded, whatever comes down the tunnel.
    assert send(on_home, "POST", "/peer/v1/pair/start", {}, b"{}")[0] == 404

    assert away.server.services.settings.get("server_name") == "Away"
    assert [d["server_name"]["after"] for d in _via_link(away) if "server_name" in d] == ["Away"]
    # The tunnel cannot be turned off over the link that may depend on it.
    refused = owner.request("PATCH", f"/api/servers/{on_home}/settings", {"values": {"peer_tunnel": False}})
    assert refused.status == 403 and "local sign-in" in refused.json()["message"], refused.body
    assert away.server.services.settings.get("peer_tunnel") is True


def test_with_the_tunnel_off_away_stays_unreachable(servers: Linked) -> None:
    home, _, on_home, _ = servers
    time.sleep(6)  # more than a tick of the dialer
    assert not home.server.tunnel_hub.is_open(on_home)
    view = home.server.peer_links.poll(on_home)
    assert view is not None and view.status is ServerStatus.UNREACHABLE, view


async def _dial(
    address: str, home: RunningServer, away: RunningServer, link_id: str, how: str
) -> tuple[int | None, bool]:
    """Open home's tunnel route as away would, and send a hello made ``how``. Returns (the upgrade's refusal
    status or None, whether home then kept the socket open)."""
    identity = away.server.peer_links.identity
    url = f"https://{address}/peer/v1/tunnel"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    headers = (
        {}
        if how == "unsigned upgrade"
        else sign_request(identity.key, identity.fingerprint, "GET", url, b"", {})
    )
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        try:
            return await _hello(session, url, context, headers, home, away, link_id, how)
        finally:
            await session.close()
            await asyncio.sleep(0.1)  # TLS connections finish closing on the next turns of the loop


async def _hello(
    session: aiohttp.ClientSession,
    url: str,
    context: ssl.SSLContext,
    headers: dict[str, str],
    home: RunningServer,
    away: RunningServer,
    link_id: str,
    how: str,
) -> tuple[int | None, bool]:
    identity = away.server.peer_links.identity
    try:
        ws = await session.ws_connect(url, ssl=context, headers=headers)
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status, False
    async with ws:
        challenge = json.loads((await ws.receive(timeout=5)).data)["challenge"]
        listener = home.server.peer_links.identity.fingerprint
        if how == "another listener":
            listener = identity.fingerprint
        if how == "another challenge":
            challenge = challenge[::-1]
        body = json.dumps({"challenge": challenge, "listener": listener}).encode()
        signed = sign_request(identity.key, identity.fingerprint, "POST", url + "/hello", body, {})
        if how == "unsigned hello":
            signed = {"Content-Type": "application/json"}
        hello = {"headers": list(signed.items()), "body": base64.b64encode(body).decode()}
        await ws.send_str(json.dumps({"hello": hello}))
        try:
            closed = await ws.receive(timeout=1)
        except TimeoutError:
            # Still open, waiting for requests: home must have attached it to away's link.
            return None, home.server.tunnel_hub.is_open(link_id)
        return None, closed.type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


@pytest.mark.parametrize(
    "how", ["proper", "unsigned upgrade", "unsigned hello", "another challenge", "another listener"]
)
def test_home_attaches_a_tunnel_only_after_a_signed_upgrade_and_a_hello_to_its_own_challenge(
    servers: Linked,
    how: str,
) -> None:
    home, away, on_home, on_away = servers
    address = _address_of(away, on_away)
    refused, kept = asyncio.run(_dial(address, home, away, on_home, how))
    assert refused == (401 if how == "unsigned upgrade" else None)
    assert kept is (how == "proper")
    assert not home.server.tunnel_hub.is_open(on_home)


class _Impostor:
    """A TLS WebSocket listener with a key of its own at home's address: it sends a challenge like home and
    records what the dialer then says."""

    def __init__(self, folder: Path) -> None:
        self.upgrades = 0
        self.heard: list[str] = []
        self._context = load_identity(folder).server_context()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    async def _tunnel(self, request: web.Request) -> web.StreamResponse:
        self.upgrades += 1
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"challenge": "impostor"}))
        async for message in ws:
            self.heard.append(str(message.data))
        return ws

    def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/peer/v1/tunnel", self._tunnel)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._context)
        self._loop.run_until_complete(site.start())
        self.address = f"127.0.0.1:{self._runner.addresses[0][1]}"
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        # Closed TLS connections finish closing on the loop's next turns.
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0.2), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def test_away_proves_nothing_to_a_listener_without_home_s_pinned_key(servers: Linked, tmp_path: Path) -> None:
    _, away, _, on_away = servers
    impostor = _Impostor(tmp_path / "impostor")
    try:
        with away.server.db.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE peer_links SET addresses = ? WHERE id = ?", (json.dumps([impostor.address]), on_away)
            )
        away.server.services.settings.apply(OWNER, {"peer_tunnel": True})
        deadline = time.monotonic() + 20
        while impostor.upgrades == 0:
            assert time.monotonic() < deadline, "away never dialed"
            time.sleep(0.1)
        time.sleep(1)
        assert impostor.heard == [] and on_away not in away.server.tunnel_dialer.open
    finally:
        away.server.services.settings.apply(OWNER, {"peer_tunnel": False})
        impostor.stop()
