"""The reverse tunnel between linked servers: for a server that can only dial out (its peer listener cannot be
reached from the other side), a WebSocket it keeps open to the linked server's peer listener, down which that
server sends the signed requests it could not deliver directly.

The tunnel adds reachability, never trust:
- The dialer checks the listener's key against its pin before it proves who it is. Its proof (the hello) is a
  signed request over the listener's one-time challenge and the key it pinned, so a proof given to an impostor
  is worth nothing anywhere else.
- The listener accepts the upgrade only as a signed request from an active link, and attaches the tunnel to
  that link only after the hello checks out the same way (signature, age, nonce, same link).
- Every request that comes down the tunnel is handed to the dialer's own peer listener, over loopback and
  pinned to its own key, so it meets the same gate and the same RFC 9421 checks as a request that came
  straight in. Pairing and the tunnel itself are never forwarded.

Frames are JSON text messages: ``{"challenge"}`` from the listener, then ``{"hello": {headers, body}}`` from the
dialer; afterwards ``{id, method, path, headers, body}`` one way and ``{id, status, body}`` the other, bodies in
base64."""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import hashlib
import json
import logging
import random
import secrets
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from reelhouse.domain.peers import fingerprint
from reelhouse.services.peer_identity import spki_of_certificate
from reelhouse.services.peer_links import TUNNEL_HOST, Caller, PeerLinks, PeerRefused
from reelhouse.services.peer_signing import sign_request

log = logging.getLogger(__name__)

TUNNEL_PATH = "/peer/v1/tunnel"
HELLO_PATH = "/peer/v1/tunnel/hello"
HELLO_SECONDS = 10.0
ANSWER_SECONDS = 30.0
MAX_MESSAGE = 1024 * 1024
_MAX_ANSWER = 256 * 1024
# What a request brings down the tunnel and the listener behind it needs; nothing else is passed on.
_FORWARDED = ("content-type", "content-digest", "reelhouse-actor", "signature-input", "signature")
_NEVER_FORWARDED = ("/peer/v1/pair/", TUNNEL_PATH)
_MAX_BACKOFF = 300.0

Hello = Callable[[list[tuple[str, str]], bytes], Awaitable[Caller]]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None


def _headers(value: object) -> list[tuple[str, str]]:
    if not isinstance(value, list) or len(value) > 32:
        raise ValueError("headers are a short list of pairs")
    pairs = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise ValueError("headers are a short list of pairs")
        pairs.append((pair[0], pair[1]))
    return pairs


class _Channel:
    """One open tunnel, seen from the listener: its requests waiting for an answer, by id."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self._pending: dict[int, asyncio.Future[tuple[int, bytes]]] = {}
        self._next = 0

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        self._next += 1
        ident = self._next
        waiting: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._pending[ident] = waiting
        frame = {
            "id": ident,
            "method": method,
            "path": path,
            "headers": list(headers.items()),
            "body": _b64(body),
        }
        try:
            await self.ws.send_str(json.dumps(frame))
            return await waiting
        finally:
            self._pending.pop(ident, None)

    def answer(self, raw: str) -> None:
        frame = json.loads(raw)
        if not isinstance(frame, dict):
            raise ValueError("an answer is a JSON object")
        ident, status = frame.get("id"), frame.get("status")
        if not isinstance(ident, int) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError("an answer carries its request's id and a status")
        waiting = self._pending.get(ident)
        if waiting is not None and not waiting.done():
            waiting.set_result((status, _unb64(frame.get("body"))))

    def close(self) -> None:
        for waiting in self._pending.values():
            if not waiting.done():
                waiting.set_exception(ConnectionResetError("the tunnel closed"))


class TunnelHub:
    """The listener's end: the tunnels linked servers keep open to this server, one per link (a newer one
    replaces an older), and ``send`` for PeerLinks, called on a worker thread."""

    def __init__(self, answer_seconds: float = ANSWER_SECONDS) -> None:
        self._channels: dict[str, _Channel] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._answer_seconds = answer_seconds

    async def on_shutdown(self, _app: web.Application) -> None:
        # A tunnel is a request that never ends on its own: the listener could not stop while one is open.
        for channel in list(self._channels.values()):
            channel.close()
            await channel.ws.close(code=aiohttp.WSCloseCode.GOING_AWAY)

    def is_open(self, link_id: str) -> bool:
        return link_id in self._channels

    def send(
        self, link_id: str, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        loop, channel = self._loop, self._channels.get(link_id)
        if loop is None or channel is None:
            raise ConnectionRefusedError("no tunnel is open")
        future = asyncio.run_coroutine_threadsafe(channel.request(method, path, headers, body), loop)
        try:
            return future.result(self._answer_seconds)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError("no answer came down the tunnel") from None

    async def serve(
        self, request: web.Request, caller: Caller, hello: Hello, own_fingerprint: str
    ) -> web.WebSocketResponse:
        """A signed upgrade from ``caller``'s server: challenge it, check its hello, then carry requests."""
        self._loop = asyncio.get_running_loop()
        ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        challenge = secrets.token_urlsafe(32)
        await ws.send_str(json.dumps({"challenge": challenge}))
        try:
            message = await ws.receive(timeout=HELLO_SECONDS)
            frame = json.loads(message.data) if message.type is aiohttp.WSMsgType.TEXT else None
            if not isinstance(frame, dict) or not isinstance(frame.get("hello"), dict):
                raise ValueError("the first message is not a hello")
            body = _unb64(frame["hello"].get("body"))
            proved = await hello(_headers(frame["hello"].get("headers")), body)
            expected = {"challenge": challenge, "listener": own_fingerprint}
            if proved.link_id != caller.link_id or json.loads(body) != expected:
                raise ValueError("the hello answers another challenge, or names another server")
        except (TimeoutError, ValueError, PeerRefused) as exc:
            log.info("refused a tunnel from %s: %s", caller.name, exc)
            await ws.close(code=aiohttp.WSCloseCode.POLICY_VIOLATION, message=b"refused")
            return ws
        channel = _Channel(ws)
        older = self._channels.get(caller.link_id)
        self._channels[caller.link_id] = channel
        if older is not None:
            older.close()
            await older.ws.close()
        log.info("tunnel from %s open", caller.name)
        try:
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                try:
                    channel.answer(message.data)
                except ValueError:
                    break
        finally:
            channel.close()
            if self._channels.get(caller.link_id) is channel:
                del self._channels[caller.link_id]
        return ws


class TunnelDialer:
    """The dialing end, while ``enabled()``: one tunnel per active link, to the first of its addresses that
    answers with the pinned key, reconnected with doubling, jittered delays. ``listener()`` gives this server's
    own peer listener (its bound host and port, None while it is closed)."""

    def __init__(
        self,
        links: PeerLinks,
        enabled: Callable[[], bool],
        listener: Callable[[], tuple[str, int | None]],
        executor: concurrent.futures.Executor,
        tick_seconds: float = 5.0,
    ) -> None:
        self._links = links
        self._enabled = enabled
        self._listener = listener
        self._executor = executor
        self._tick = tick_seconds
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._answers: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        # Whether the session ever dialed: only then can a TLS connection still be closing at stop.
        self._dialed = False
        self._main: asyncio.Task[None] | None = None
        self.open: set[str] = set()

    def start(self) -> None:
        self._main = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        tasks = [t for t in (self._main, *self._tasks.values(), *self._answers) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            # TLS connections finish closing on the next turns of the loop, which may be about to stop. A
            # session that never dialed has none, and a server without tunnels stops without the wait.
            if self._dialed:
                await asyncio.sleep(0.25)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        # No overall limit: a tunnel lasts as long as it can. Connecting, the upgrade and each forwarded request
        # have their own.
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=5.0))
        while True:
            try:
                wanted = await loop.run_in_executor(self._executor, self._wanted)
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not end the dialer
                log.warning("could not list links for tunnels: %s", exc)
                wanted = set(self._tasks)
            for link_id in set(self._tasks) - wanted:
                self._tasks.pop(link_id).cancel()
            for link_id in wanted - set(self._tasks):
                self._tasks[link_id] = loop.create_task(self._keep(link_id))
            await asyncio.sleep(self._tick)

    def _wanted(self) -> set[str]:
        return {row.id for row in self._links.active()} if self._enabled() else set()

    async def _keep(self, link_id: str) -> None:
        loop = asyncio.get_running_loop()
        delay = 1.0
        while True:
            rows = await loop.run_in_executor(self._executor, self._links.active)
            row = next((r for r in rows if r.id == link_id), None)
            if row is None:
                return
            started = loop.time()
            for address in json.loads(row.addresses):
                try:
                    await self._carry(row, address)
                except (aiohttp.ClientError, OSError, ValueError) as exc:
                    log.info("tunnel to %s at %s: %s", row.name, address, exc or type(exc).__name__)
                finally:
                    self.open.discard(link_id)
            # A tunnel that stayed up a while starts the backoff again; one that keeps failing waits longer.
            delay = 1.0 if loop.time() - started > 60 else min(_MAX_BACKOFF, delay * 2)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not a secret

    async def _carry(self, row: Any, address: str) -> None:
        assert self._session is not None
        self._dialed = True
        identity = self._links.identity
        url = f"https://{address}{TUNNEL_PATH}"
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the pin below is the check: the key, not an authority
        upgrade = sign_request(identity.key, identity.fingerprint, "GET", url, b"", {"server": "tunnel"})
        connecting = self._session.ws_connect(
            url,
            ssl=context,
            headers=upgrade,
            heartbeat=30.0,
            max_msg_size=MAX_MESSAGE,
            timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
        )
        ws = await asyncio.wait_for(connecting, HELLO_SECONDS)
        async with ws:
            tls = ws.get_extra_info("ssl_object")
            der = tls.getpeercert(binary_form=True) if isinstance(tls, ssl.SSLObject) else None
            if der is None or fingerprint(spki_of_certificate(der)) != row.fingerprint:
                # Nothing more is said to a server that is not the one pinned: no hello, no proof.
                log.warning(
                    "tunnel to %s: %s presented another key; not proving ourselves to it", row.name, address
                )
                return
            first = await ws.receive(timeout=HELLO_SECONDS)
            frame = json.loads(first.data) if first.type is aiohttp.WSMsgType.TEXT else None
            if not isinstance(frame, dict) or not isinstance(frame.get("challenge"), str):
                raise ValueError("the listener sent no challenge")
            body = json.dumps({"challenge": frame["challenge"], "listener": row.fingerprint}).encode()
            headers = sign_request(
                identity.key,
                identity.fingerprint,
                "POST",
                f"https://{address}{HELLO_PATH}",
                body,
                {"server": "tunnel"},
            )
            await ws.send_str(json.dumps({"hello": {"headers": list(headers.items()), "body": _b64(body)}}))
            self.open.add(row.id)
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                task = asyncio.get_running_loop().create_task(self._answer(ws, message.data))
                self._answers.add(task)
                task.add_done_callback(self._answers.discard)

    async def _answer(self, ws: aiohttp.ClientWebSocketResponse, raw: str) -> None:
        try:
            frame = json.loads(raw)
            if not isinstance(frame, dict) or not isinstance(frame.get("id"), int):
                raise ValueError("a request is a JSON object with an id")
            status, body = await self._forward(frame)
        except (ValueError, KeyError):
            return
        await ws.send_str(json.dumps({"id": frame["id"], "status": status, "body": _b64(body)}))

    async def _forward(self, frame: dict[str, Any]) -> tuple[int, bytes]:
        """A request from the tunnel, handed to this server's own peer listener as any other request."""
        method, path = frame.get("method"), frame.get("path")
        if method not in ("GET", "PUT", "POST", "PATCH", "DELETE") or not isinstance(path, str):
            raise ValueError("a request names a method and a path")
        if not path.startswith("/peer/v1/") or any(path.startswith(p) for p in _NEVER_FORWARDED):
            return 404, json.dumps({"error": "http", "message": "Not Found"}).encode()
        host, port = self._listener()
        if port is None:
            return 503, json.dumps({"error": "http", "message": "The peer listener is closed."}).encode()
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        wanted = dict.fromkeys(_FORWARDED)
        headers = {name: value for name, value in _headers(frame.get("headers")) if name.lower() in wanted}
        headers["Host"] = TUNNEL_HOST
        own = Path(self._links.identity.cert_path).read_text()
        pin = aiohttp.Fingerprint(hashlib.sha256(ssl.PEM_cert_to_DER_cert(own)).digest())
        assert self._session is not None
        async with self._session.request(
            method,
            f"https://{target}{path}",
            headers=headers,
            data=_unb64(frame.get("body")),
            ssl=pin,
            timeout=aiohttp.ClientTimeout(total=ANSWER_SECONDS - 5),
        ) as response:
            return response.status, await response.content.read(_MAX_ANSWER)
