"""Jellyfin's `/socket`: the WebSocket apps keep open to the server. Reelhouse pushes nothing on it yet (no
remote control, no "played elsewhere" updates); it keeps the connection alive as Jellyfin's apps expect, so
they do not reconnect in a loop or report the server as offline.

Signed in like every route (the token in `api_key` or a header), before the upgrade; each keep-alive checks
the token again, so a device revoked on the Account page loses its socket within one keep-alive.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiohttp import WSMsgType, web

from reelhouse.errors import InvalidInput
from reelhouse.web.compat.jellyfin.auth import authenticate
from reelhouse.web.routing import Access, Route
from reelhouse.web.sockets import OPEN_SOCKETS

TAG = "jellyfin"
# What Jellyfin's server tells apps; they send a KeepAlive every half of it.
KEEP_ALIVE_SECONDS = 60
MAX_MESSAGE = 64 * 1024


def _message(kind: str, data: Any = None) -> str:
    body: dict[str, Any] = {"MessageType": kind, "MessageId": secrets.token_hex(16)}
    if data is not None:
        body["Data"] = data
    return json.dumps(body)


def _kind(text: str) -> str:
    try:
        found = json.loads(text)
    except ValueError:
        return ""
    kind = found.get("MessageType") if isinstance(found, dict) else None
    return kind if isinstance(kind, str) else ""


async def socket(request: web.Request) -> web.StreamResponse:
    # An app that has not sent a keep-alive in two periods is gone.
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE, receive_timeout=2 * KEEP_ALIVE_SECONDS)
    if not ws.can_prepare(request).ok:
        raise InvalidInput("This address takes a WebSocket connection.")
    await ws.prepare(request)
    sockets = request.app[OPEN_SOCKETS]
    sockets.add(ws)
    try:
        await ws.send_str(_message("ForceKeepAlive", KEEP_ALIVE_SECONDS))
        while not ws.closed:
            try:
                msg = await ws.receive()
            except TimeoutError:
                break
            if msg.type is not WSMsgType.TEXT:
                if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break
                continue
            if _kind(msg.data) != "KeepAlive":
                continue  # SessionsStart and the like ask for pushes we do not make
            if await authenticate(request) is None:
                await ws.close(code=4401, message=b"Signed out")
                break
            await ws.send_str(_message("KeepAlive"))
    finally:
        sockets.discard(ws)
        await ws.close()
    return ws


ROUTES = [Route("GET", "/socket", socket, "Jellyfin: the app's WebSocket, kept alive", Access.USER, TAG)]
