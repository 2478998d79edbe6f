"""WebSockets the server holds open: closed when it shuts down, or shutting down would wait for each one."""

from __future__ import annotations

from aiohttp import WSCloseCode, web


class OpenSockets:
    """The open sockets of one app; a handler adds its socket while it runs and removes it after."""

    def __init__(self) -> None:
        self._sockets: set[web.WebSocketResponse] = set()

    def add(self, ws: web.WebSocketResponse) -> None:
        self._sockets.add(ws)

    def discard(self, ws: web.WebSocketResponse) -> None:
        self._sockets.discard(ws)

    def __len__(self) -> int:
        return len(self._sockets)

    async def close_all(self, _app: web.Application) -> None:
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutting down")


OPEN_SOCKETS = web.AppKey("open_sockets", OpenSockets)
