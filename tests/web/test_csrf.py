"""Cross-site request forgery: a write carried by the session cookie must come from the server's own pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import Role
from tests.harness import Client, RunningServer

TOKEN_BODY = {"name": "script", "scopes": ["read"], "days": 1}


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path / "data")
    yield server
    server.stop()


def _cookie_write(server: RunningServer, signed_in: Client, headers: dict[str, str]) -> int:
    # The browser's way: the session rides in the cookie, never in an Authorization header.
    cookie = {"Cookie": f"reelhouse={signed_in.token}", **headers}
    return server.anonymous().post("/api/account/tokens", TOKEN_BODY, headers=cookie).status


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "http://attacker.example"},
        {},
    ],
    ids=["sec-fetch-cross-site", "sec-fetch-same-site", "foreign-origin", "neither-header"],
)
def test_a_cookie_write_from_elsewhere_is_refused(running: RunningServer, headers: dict[str, str]) -> None:
    running.create_user("alice", Role.MEMBER)
    assert _cookie_write(running, running.sign_in("alice"), headers) == 403


@pytest.mark.parametrize("same", ["sec-fetch", "origin"])
def test_a_cookie_write_from_the_servers_own_page_works(running: RunningServer, same: str) -> None:
    running.create_user("alice", Role.MEMBER)
    headers = (
        {"Sec-Fetch-Site": "same-origin"}
        if same == "sec-fetch"
        else {"Origin": f"http://127.0.0.1:{running.port}"}
    )
    assert _cookie_write(running, running.sign_in("alice"), headers) == 201


def test_a_bearer_write_needs_no_origin(running: RunningServer) -> None:
    # An app or script sends its token itself; another site's page cannot make a browser do that.
    running.create_user("alice", Role.MEMBER)
    assert running.sign_in("alice").post("/api/account/tokens", TOKEN_BODY).status == 201
