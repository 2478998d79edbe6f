"""CSRF: a write that rides on the session cookie counts only when the browser says it came from this server's
own page. A bearer token is sent by an app or script itself, so it needs no such proof.

The harness's Client adds neither Origin nor Sec-Fetch-Site, so every header below is exactly what is sent."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from reelhouse.domain.access import Role
from tests.accounts.conftest import PASSWORD
from tests.harness import Client, RunningServer

NAME = "Den"


def _cookie_of_password_sign_in(running: RunningServer) -> str:
    running.create_user("owner", Role.OWNER)
    answer = running.anonymous().post("/api/auth/login", {"username": "owner", "password": PASSWORD})
    assert answer.status == 200, answer.body
    jar: SimpleCookie = SimpleCookie()
    for value in answer.headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return f"reelhouse={jar['reelhouse'].value}"


def _rename_with_cookie(running: RunningServer, cookie: str, headers: dict[str, str], name: str) -> int:
    # No Authorization header: the anonymous client carries only the cookie, as a browser would.
    sent = {"Cookie": cookie, **headers}
    answer = running.anonymous().request(
        "PATCH", "/api/settings", {"values": {"server_name": name}}, headers=sent
    )
    return answer.status


def _server_name(running: RunningServer) -> str:
    return str(running.server.services.settings.get("server_name"))


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://attacker.example"},
        {},
    ],
    ids=["sec-fetch-cross-site", "foreign-origin", "neither-header"],
)
def test_a_cookie_write_from_another_site_is_refused_and_changes_nothing(
    running: RunningServer, headers: dict[str, str]
) -> None:
    cookie = _cookie_of_password_sign_in(running)
    before = _server_name(running)
    assert _rename_with_cookie(running, cookie, headers, "Hijacked") == 403
    assert _server_name(running) == before


def test_a_cookie_write_from_the_servers_own_page_is_accepted(running: RunningServer) -> None:
    cookie = _cookie_of_password_sign_in(running)
    assert _rename_with_cookie(running, cookie, {"Sec-Fetch-Site": "same-origin"}, NAME) == 200
    assert _server_name(running) == NAME


def test_a_bearer_write_without_origin_is_accepted(running: RunningServer) -> None:
    cookie = _cookie_of_password_sign_in(running)
    made = running.anonymous().post(
        "/api/account/tokens",
        {"name": "script", "scopes": ["admin"], "days": 1},
        headers={"Cookie": cookie, "Sec-Fetch-Site": "same-origin"},
    )
    assert made.status == 201, made.body
    script = Client(running.port, token=made.json()["token"])
    answer = script.request("PATCH", "/api/settings", {"values": {"server_name": NAME}})
    assert answer.status == 200, answer.body
    assert _server_name(running) == NAME
