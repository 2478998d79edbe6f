"""Jellyfin's /socket: signed in before the upgrade, kept alive as the apps expect, closed for a revoked
device and when the server stops."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from tests.compat.jellyfin.conftest import jellyfin_client
from tests.harness import RunningServer


def _url(server: RunningServer, query: str = "") -> str:
    return f"ws://127.0.0.1:{server.port}/jellyfin/socket{query}"


async def _next(ws: aiohttp.ClientWebSocketResponse) -> Any:
    msg = await ws.receive(timeout=10)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


def test_the_socket_forces_keep_alives_and_answers_them(
    running: RunningServer, jellyfin_token: Callable[..., str]
) -> None:
    running.create_user("alice")
    token = jellyfin_token(running, "alice")

    async def talk() -> list[Any]:
        seen = []
        async with aiohttp.ClientSession() as session:
            # The query form (api_key) and the header form both sign in, as everywhere else.
            for url, headers in (
                (_url(running, f"?api_key={token}&deviceId=tv"), {}),
                (_url(running), {"X-Emby-Token": token}),
            ):
                async with session.ws_connect(url, headers=headers) as ws:
                    seen.append(await _next(ws))
                    await ws.send_str(json.dumps({"MessageType": "SessionsStart", "Data": "0,1500"}))
                    await ws.send_str("not json")
                    await ws.send_str(json.dumps({"MessageType": "KeepAlive"}))
                    seen.append(await _next(ws))
        return seen

    forced, alive, *_ = asyncio.run(talk())
    assert (forced["MessageType"], forced["Data"]) == ("ForceKeepAlive", 60)
    assert alive["MessageType"] == "KeepAlive" and "Data" not in alive


@pytest.mark.parametrize("query", ["", "?api_key=not-a-token"])
def test_without_a_valid_token_there_is_no_upgrade(running: RunningServer, query: str) -> None:
    async def connect() -> int:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(_url(running, query)):
                    return 101
            except aiohttp.WSServerHandshakeError as refused:
                return refused.status

    assert asyncio.run(connect()) == 401


def test_a_plain_request_is_bad_input(running: RunningServer, jellyfin_token: Callable[..., str]) -> None:
    running.create_user("alice")
    answer = jellyfin_client(running, jellyfin_token(running, "alice")).get("/jellyfin/socket")
    assert answer.status == 400 and "WebSocket" in answer.json()["detail"]


def test_a_revoked_device_loses_its_socket_at_the_next_keep_alive(
    running: RunningServer, jellyfin_token: Callable[..., str]
) -> None:
    running.create_user("alice")
    token = jellyfin_token(running, "alice")
    web = running.sign_in("alice")

    async def talk() -> tuple[aiohttp.WSMsgType, int | None]:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(_url(running, f"?api_key={token}")) as ws:
                await _next(ws)
                (device,) = [s for s in web.get("/api/account/sessions").json() if s["kind"] == "device"]
                assert web.request("DELETE", f"/api/account/sessions/{device['id']}").status == 204
                await ws.send_str(json.dumps({"MessageType": "KeepAlive"}))
                msg = await ws.receive(timeout=10)
                return msg.type, ws.close_code

    assert asyncio.run(talk()) == (aiohttp.WSMsgType.CLOSE, 4401)


def test_stopping_the_server_closes_open_sockets_at_once(
    tmp_path: Any, jellyfin_token: Callable[..., str]
) -> None:
    server = RunningServer(tmp_path / "data")
    server.create_user("alice")
    token = jellyfin_token(server, "alice")

    async def hold_then_stop() -> tuple[float, aiohttp.WSMsgType]:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(_url(server, f"?api_key={token}")) as ws:
                await _next(ws)
                started = time.monotonic()
                await asyncio.to_thread(server.stop)
                msg = await ws.receive(timeout=10)
                return time.monotonic() - started, msg.type

    took, kind = asyncio.run(hold_then_stop())
    assert kind is aiohttp.WSMsgType.CLOSE
    assert took < 5, took
