"""The owner's side of linking over HTTP: two real servers pair through /api/links, both list the link with the
same safety number, and unlinking removes it. Only the owner signed in with the password (and second factor
when enrolled) gets a code; everyone else, and every token, is refused before anything is made."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from reelhouse.domain.access import Role, system_actor
from tests.harness import Client, RunningServer

PASSWORD = "correct horse battery"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[RunningServer, RunningServer]]:
    away = RunningServer(tmp_path / "away", peer_port=0)
    home = RunningServer(tmp_path / "home", peer_port=0)
    try:
        yield home, away
    finally:
        home.stop()
        away.stop()


def _codes_made(server: RunningServer) -> int:
    return len(server.server.services.audit.entries(system_actor("test"), "link.code_create"))


def test_two_servers_pair_through_the_routes_and_unlink(pair: tuple[RunningServer, RunningServer]) -> None:
    home, away = pair
    away_owner, home_owner = away.owner(), home.owner()
    made = away_owner.post("/api/links/code", {"password": PASSWORD})
    assert made.status == 201, made.body
    issued = made.json()
    assert len(issued["code"]) == 14 and issued["code"][4] == issued["code"][9] == "-"
    assert issued["link"].startswith("reelhouse-pair:v1?addr=127.0.0.1:")
    assert issued["qr"].startswith("data:image/svg+xml")
    assert issued["server_id"] == away.server.peering.identity.server_id
    assert 590 < issued["expires_at"] - time.time() <= 600

    joined = home_owner.post("/api/links/join", {"password": PASSWORD, "link": issued["link"]})
    assert joined.status == 201, joined.body
    link = joined.json()
    assert link["server_id"] == away.server.peering.identity.server_id
    assert link["scopes_from_peer"] == ["identity", "manage", "status", "users"]
    assert link["scopes_to_peer"] == ["identity", "status"]

    listed_home = home_owner.get("/api/links").json()
    listed_away = away_owner.get("/api/links").json()
    assert listed_home["this"]["fingerprint"] == home.server.peering.identity.fingerprint
    assert listed_away["this"]["server_id"] == away.server.peering.identity.server_id
    (theirs,) = listed_away["links"]
    assert theirs["server_id"] == listed_home["this"]["server_id"]
    assert theirs["safety_number"] == link["safety_number"] == listed_home["links"][0]["safety_number"]

    assert home_owner.request("DELETE", f"/api/links/{link['id']}").status == 204
    assert home_owner.get("/api/links").json()["links"] == []
    assert home_owner.request("DELETE", f"/api/links/{link['id']}").status == 404


def test_a_wrong_password_gets_no_code(pair: tuple[RunningServer, RunningServer]) -> None:
    _home, away = pair
    answer = away.owner().post("/api/links/code", {"password": "not the password"})
    assert answer.status == 422 and answer.json()["fields"] == {"password": "The password is not right."}
    assert not away.server.peering.code_waiting()
    assert _codes_made(away) == 0


def test_a_failed_pairing_is_a_clear_403_and_a_bad_link_a_422(
    pair: tuple[RunningServer, RunningServer],
) -> None:
    home, away = pair
    issued = away.owner().post("/api/links/code", {"password": PASSWORD}).json()
    digits = issued["code"].replace("-", "")
    wrong = issued["link"].replace(digits, f"{(int(digits) + 1) % 10**12:012d}")
    owner = home.owner()
    failed = owner.post("/api/links/join", {"password": PASSWORD, "link": wrong})
    assert failed.status == 403 and "Pairing failed. The code is now void" in failed.json()["message"]
    again = owner.post("/api/links/join", {"password": PASSWORD, "link": issued["link"]})
    assert again.status == 422 and "No pairing code" in again.json()["message"]
    bad = owner.post("/api/links/join", {"password": PASSWORD, "link": "https://example.com/not-a-link"})
    assert bad.status == 422, bad.body
    assert home.server.peering.links() == [] and away.server.peering.links() == []


def test_two_factor_is_needed_once_enrolled(pair: tuple[RunningServer, RunningServer]) -> None:
    home, away = pair
    owner = away.owner()
    secret = owner.post("/api/account/2fa").json()["secret"]
    assert owner.post("/api/account/2fa/confirm", {"code": pyotp.TOTP(secret).now()}).status == 200
    # Enrolling spent the current step; the owner's session from before stays signed in.
    missing = owner.post("/api/links/code", {"password": PASSWORD})
    assert missing.status == 422 and missing.json()["fields"] == {
        "totp": "Enter the code from your authenticator app."
    }
    wrong = owner.post("/api/links/code", {"password": PASSWORD, "totp": "000000"})
    assert wrong.status == 422 and "totp" in wrong.json()["fields"]
    assert not away.server.peering.code_waiting()
    joined = owner.post("/api/links/join", {"password": PASSWORD, "link": "reelhouse-pair:v1?addr=x"})
    assert joined.status == 422 and "totp" in joined.json()["fields"]
    right = pyotp.TOTP(secret).at(time.time() + 30)
    made = owner.post("/api/links/code", {"password": PASSWORD, "totp": right})
    assert made.status == 201, made.body
    assert home.server.peering.links() == []


def test_admins_members_and_tokens_are_refused(pair: tuple[RunningServer, RunningServer]) -> None:
    _home, away = pair
    owner = away.owner()
    away.create_user("ada", Role.ADMIN)
    away.create_user("meg", Role.MEMBER)
    token = owner.post("/api/account/tokens", {"name": "t", "scopes": ["read", "stream", "admin"], "days": 1})
    assert token.status == 201, token.body
    callers = [away.sign_in("ada"), away.sign_in("meg"), Client(away.port, token=token.json()["token"])]
    for caller in callers:
        made = caller.post("/api/links/code", {"password": PASSWORD})
        assert made.status == 403, made.body
        assert caller.get("/api/links").status == 403
        joined = caller.post("/api/links/join", {"password": PASSWORD, "link": "reelhouse-pair:v1?addr=x"})
        assert joined.status == 403
    assert not away.server.peering.code_waiting()
    assert _codes_made(away) == 0
