"""Shared fixtures for the Jellyfin-compatible API: a running server, its address as an app types it, and
callers signed in the way Jellyfin's apps sign in (POST /Users/AuthenticateByName, a device token).

    def test_something(running, jellyfin_token):
        running.create_user("alice")
        app = jellyfin_client(running, jellyfin_token(running, "alice"))
        assert app.get("/jellyfin/Users/Me").status == 200
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.compat.jellyfin.typed import TypedClient
from tests.harness import Answer, Client, RunningServer

PASSWORD = "correct horse battery"
BASE = "/jellyfin"
APP, DEVICE, DEVICE_ID, VERSION = "Reelhouse tests", "Test box", "test-device-1", "1.0.0"


def jellyfin_url(server: RunningServer) -> str:
    """The address a person types into a Jellyfin app."""
    return f"http://127.0.0.1:{server.port}{BASE}"


def media_browser(token: str | None = None, device_id: str = DEVICE_ID, client: str = APP) -> str:
    """The `Authorization: MediaBrowser ...` header value Jellyfin's apps send."""
    fields = f'Client="{client}", Device="{DEVICE}", DeviceId="{device_id}", Version="{VERSION}"'
    return f'MediaBrowser {fields}, Token="{token}"' if token else f"MediaBrowser {fields}"


def jellyfin_client(
    server: RunningServer, token: str | None = None, source: str | None = None, device_id: str = DEVICE_ID
) -> Client:
    """A caller that sends the app's MediaBrowser header (with the token when given) on every request;
    paths are the server's, so they start with /jellyfin."""
    # Its JSON answers must parse as the typed models of Jellyfin's OpenAPI-generated client (typed.py).
    return TypedClient(
        server.port, source=source, default_headers={"Authorization": media_browser(token, device_id)}
    )


def authenticate_by_name(
    server: RunningServer,
    username: str,
    password: str = PASSWORD,
    device_id: str = DEVICE_ID,
    source: str | None = None,
) -> Answer:
    return jellyfin_client(server, source=source, device_id=device_id).post(
        f"{BASE}/Users/AuthenticateByName", {"Username": username, "Pw": password}
    )


def post_in_pieces(port: int, path: str, body: bytes, authorization: str, split: int = 10) -> bytes:
    """POST `body` as two TCP sends with a pause between them, as a slow phone link delivers it; the raw
    answer. A server that reads only what has arrived sees the first piece alone."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Authorization: {authorization}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body[:split])
        time.sleep(0.3)
        sock.sendall(body[split:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path / "data")
    yield server
    server.stop()


@pytest.fixture
def jellyfin_token() -> Callable[..., str]:
    """`jellyfin_token(server, username, password=PASSWORD, device_id=...)`: the device token an app gets
    by signing in with the name and password (the user must exist: `server.create_user(name)`)."""

    def sign_in(
        server: RunningServer, username: str, password: str = PASSWORD, device_id: str | None = None
    ) -> str:
        answer = authenticate_by_name(server, username, password, device_id or f"{DEVICE_ID}-{username}")
        assert answer.status == 200, answer.body
        token: str = answer.json()["AccessToken"]
        return token

    return sign_in
