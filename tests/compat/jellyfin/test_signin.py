"""Signing in as Jellyfin's apps do: the client library end to end, every place apps put a token, the web
page's throttle, and device tokens that the Account page lists and revokes."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable

import pytest
from jellyfin_apiclient_python import JellyfinClient
from jellyfin_apiclient_python.connection_manager import CONNECTION_STATE

from reelhouse.services.throttle import Throttle
from tests.compat.jellyfin.conftest import (
    APP,
    DEVICE,
    PASSWORD,
    authenticate_by_name,
    jellyfin_client,
    jellyfin_url,
    media_browser,
)
from tests.harness import Client, RunningServer


def _app_client() -> JellyfinClient:
    client = JellyfinClient()
    client.config.app(APP, "1.0.0", DEVICE, "apiclient-device")
    client.config.data["auth.ssl"] = False
    return client


def test_the_client_library_connects_signs_in_checks_its_token_and_signs_out(running: RunningServer) -> None:
    running.create_user("alice")
    url = jellyfin_url(running)
    app = _app_client()
    # Asks /system/info/public in lower case, as the library does.
    assert app.auth.connect_to_address(url)["State"] == CONNECTION_STATE["ServerSignIn"]
    result = app.auth.login(url, "alice", PASSWORD)
    # The library keeps a sign-in only when its ServerId is the one /System/Info/Public named.
    assert result["ServerId"] == app.auth.server_id and len(result["ServerId"]) == 32
    token = result["AccessToken"]
    # Validates the stored token with GET /system/info, sending Token twice in one header.
    state = app.authenticate(app.get_credentials(), discover=False)
    assert state["State"] == CONNECTION_STATE["SignedIn"]
    app.start()
    assert app.jellyfin.get_user()["Name"] == "alice"
    app.jellyfin.sessions("/Logout", "POST")
    app.stop()
    assert jellyfin_client(running, token).get("/jellyfin/System/Info").status == 401


def test_a_wrong_password_gets_the_library_nothing(running: RunningServer) -> None:
    running.create_user("alice")
    app = _app_client()
    url = jellyfin_url(running)
    app.auth.connect_to_address(url)
    assert app.auth.login(url, "alice", "not the password") == {}


HEADER_VARIANTS: dict[str, Callable[[str], tuple[str, dict[str, str]]]] = {
    "authorization": lambda t: ("", {"Authorization": media_browser(t)}),
    "x-emby-authorization": lambda t: ("", {"X-Emby-Authorization": f'Emby Client="a%20b", Token="{t}"'}),
    "token-only": lambda t: ("", {"Authorization": f'MediaBrowser Token="{t}"'}),
    "token-twice": lambda t: ("", {"Authorization": f'MediaBrowser Client="c", Token="{t}", Token="{t}"'}),
    "x-emby-token": lambda t: ("", {"X-Emby-Token": t}),
    "x-mediabrowser-token": lambda t: ("", {"X-MediaBrowser-Token": t}),
    "ApiKey": lambda t: (f"?ApiKey={t}", {}),
    "api_key": lambda t: (f"?api_key={t}", {}),
}


@pytest.mark.parametrize("variant", sorted(HEADER_VARIANTS))
def test_every_place_apps_put_a_token_is_read(
    running: RunningServer, jellyfin_token: Callable[..., str], variant: str
) -> None:
    running.create_user("alice")
    token = jellyfin_token(running, "alice")
    query, headers = HEADER_VARIANTS[variant](token)
    answer = Client(running.port).get(f"/jellyfin/System/Info{query}", headers=headers)
    assert answer.status == 200, answer.body
    # Another first character, always: a token that already starts with "x" must not stay the same.
    wrong_query, wrong_headers = HEADER_VARIANTS[variant](("y" if token[0] == "x" else "x") + token[1:])
    assert (
        Client(running.port).get(f"/jellyfin/System/Info{wrong_query}", headers=wrong_headers).status == 401
    )


def test_the_bearer_header_and_the_session_cookie_are_not_jellyfin_credentials(
    running: RunningServer,
) -> None:
    running.create_user("alice")
    web = running.sign_in("alice")
    assert web.get("/jellyfin/System/Info").status == 401
    cookie = {"Cookie": f"reelhouse={web.token}"}
    assert Client(running.port).get("/jellyfin/System/Info", headers=cookie).status == 401


def test_wrong_passwords_are_counted_by_the_web_pages_throttle(running: RunningServer) -> None:
    running.create_user("alice")
    guesser = "127.0.0.44"
    for _ in range(Throttle.FREE_PER_PAIR):
        assert authenticate_by_name(running, "alice", "a guess", source=guesser).status == 401
    # The allowance is used up: even the right password waits now, in Jellyfin's error shape.
    blocked = authenticate_by_name(running, "alice", PASSWORD, source=guesser)
    assert blocked.status == 429, blocked.body
    assert (blocked.header("Content-Type") or "").startswith("application/problem+json")
    assert int(blocked.header("Retry-After") or "0") >= 1


def test_sign_in_reads_the_body_in_any_casing(running: RunningServer) -> None:
    running.create_user("alice")
    app = jellyfin_client(running)
    answer = app.post("/jellyfin/users/authenticatebyname", {"username": "alice", "pw": PASSWORD})
    assert answer.status == 200, answer.body
    assert app.post("/jellyfin/Users/AuthenticateByName", raw=b"{not json").status == 400


def test_a_body_arriving_in_pieces_is_read_whole(running: RunningServer) -> None:
    running.create_user("alice")
    body = json.dumps({"Username": "alice", "Pw": PASSWORD}).encode()
    head = (
        "POST /jellyfin/Users/AuthenticateByName HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Authorization: {media_browser()}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", running.port), timeout=30) as sock:
        sock.sendall(head + body[:10])
        time.sleep(0.3)
        sock.sendall(body[10:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]


def test_a_device_token_is_listed_with_its_app_and_revoked_from_the_account_page(
    running: RunningServer, jellyfin_token: Callable[..., str]
) -> None:
    running.create_user("alice")
    token = jellyfin_token(running, "alice", device_id="living-room-tv")
    web = running.sign_in("alice")
    devices = [s for s in web.get("/api/account/sessions").json() if s["kind"] == "device"]
    assert [(d["name"], d["app"]) for d in devices] == [(DEVICE, APP)]
    assert token not in web.get("/api/account/sessions").body.decode()
    assert web.request("DELETE", f"/api/account/sessions/{devices[0]['id']}").status == 204
    assert jellyfin_client(running, token).get("/jellyfin/Users/Me").status == 401


def test_signing_in_again_from_a_device_replaces_its_token(
    running: RunningServer, jellyfin_token: Callable[..., str]
) -> None:
    running.create_user("alice")
    first = jellyfin_token(running, "alice", device_id="tv")
    other_device = jellyfin_token(running, "alice", device_id="phone")
    second = jellyfin_token(running, "alice", device_id="tv")
    assert jellyfin_client(running, first).get("/jellyfin/Users/Me").status == 401
    assert jellyfin_client(running, second).get("/jellyfin/Users/Me").status == 200
    assert jellyfin_client(running, other_device).get("/jellyfin/Users/Me").status == 200
    kinds = [s["kind"] for s in running.sign_in("alice").get("/api/account/sessions").json()]
    assert kinds.count("device") == 2


def test_a_device_token_cannot_change_how_the_account_signs_in(
    running: RunningServer, jellyfin_token: Callable[..., str]
) -> None:
    running.create_user("alice")
    device = Client(running.port, token=jellyfin_token(running, "alice"))
    change = {"current_password": PASSWORD, "new_password": "another horse battery"}
    assert device.post("/api/account/password", change).status == 403
    assert device.post("/api/account/tokens", {"name": "x", "scopes": ["read"], "days": 1}).status == 403
    assert device.post("/api/account/quick-connect", {"code": "123456"}).status == 403
    # It is still a signed-in caller for everything else.
    assert device.get("/api/me").status == 200


def test_logout_revokes_only_the_callers_token(
    running: RunningServer, jellyfin_token: Callable[..., str]
) -> None:
    running.create_user("alice")
    tv, phone = (
        jellyfin_token(running, "alice", device_id="tv"),
        jellyfin_token(running, "alice", device_id="phone"),
    )
    assert jellyfin_client(running, tv).post("/jellyfin/Sessions/Logout").status == 204
    assert jellyfin_client(running, tv).get("/jellyfin/Users/Me").status == 401
    assert jellyfin_client(running, phone).get("/jellyfin/Users/Me").status == 200
