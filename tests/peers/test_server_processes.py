"""The linked-server journeys against real `reelhouse serve` processes, each with its own data directory and peer
port, driven only over HTTP and the peer port: pairing through the owner API, remote administration, a friend
signing in on a linked server with a token from home (refused by a third server), and a relaying man in the
middle on a second loopback address."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import Client
from tests.peers.test_pairing_servers import _Relay, typed
from tests.verification.process import PASSWORD, ServerProcess, free_port, prepare


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    """Starts named server processes on demand; every one is stopped however the test ends."""
    started: list[ServerProcess] = []

    def one(name: str) -> ServerProcess:
        prepare(tmp_path / name)
        server = ServerProcess(tmp_path / name, {"REELHOUSE_PEER_PORT": str(free_port())})
        started.append(server)
        return server

    try:
        yield one
    finally:
        for server in started:
            server.stop()


def _pair(home: Client, away: Client) -> tuple[dict[str, Any], str]:
    """Away shows a code, home enters it: the link as home answered, and the pairing link away showed."""
    made = away.post("/api/links/code", {"password": PASSWORD})
    assert made.status == 201, made.body
    joined = home.post("/api/links/join", {"password": PASSWORD, "link": made.json()["link"]})
    assert joined.status == 201, joined.body
    link: dict[str, Any] = joined.json()
    return link, made.json()["link"]


def _linked(client: Client) -> list[dict[str, Any]]:
    answer = client.get("/api/links")
    assert answer.status == 200, answer.body
    links: list[dict[str, Any]] = answer.json()["links"]
    return links


def _online(client: Client, timeout: float = 45.0) -> dict[str, Any]:
    """The one linked server on the Servers page, once the background poller has found it Online."""
    deadline = time.monotonic() + timeout
    while True:
        servers: list[dict[str, Any]] = client.get("/api/servers").json()["servers"]
        others = [s for s in servers if not s.get("this")]
        if others and others[0]["status"] == "online":
            assert len(others) == 1, others
            return others[0]
        assert time.monotonic() < deadline, f"not online in time: {others}"
        time.sleep(0.2)


def _audit(client: Client, action: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/audit?action={action}")
    assert answer.status == 200, answer.body
    assert answer.json()["chain"]["state"] == "intact", answer.json()["chain"]
    entries: list[dict[str, Any]] = answer.json()["entries"]
    return entries


def _ids(client: Client) -> tuple[str, str]:
    this = client.get("/api/links").json()["this"]
    return this["server_id"], this["fingerprint"]


def test_two_processes_pair_through_the_owner_api(start: Any) -> None:
    away, home = start("away"), start("home")
    on_away, on_home = away.sign_in(), home.sign_in()
    link, _shown = _pair(on_home, on_away)
    (home_sees,), (away_sees,) = _linked(on_home), _linked(on_away)
    assert home_sees["safety_number"] == away_sees["safety_number"] == link["safety_number"]
    assert home_sees["fingerprint"] == _ids(on_away)[1] and away_sees["fingerprint"] == _ids(on_home)[1]
    assert _online(on_home)["server_id"] == _ids(on_away)[0]
    assert _online(on_away)["server_id"] == _ids(on_home)[0]
    for mine, theirs in ((on_home, on_away), (on_away, on_home)):
        (paired,) = _audit(mine, "link.pair")
        assert json.loads(paired["detail"])["server_id"] == _ids(theirs)[0]


def test_home_changes_a_setting_on_away_and_both_audits_hold_it(start: Any) -> None:
    away, home = start("away"), start("home")
    on_away, on_home = away.sign_in(), home.sign_in()
    link, _shown = _pair(on_home, on_away)
    assert on_away.get("/api/settings").json()["values"]["remote_access"] is False
    path = f"/api/servers/{link['id']}/settings"
    changed = on_home.request("PATCH", path, {"values": {"remote_access": True}})
    assert changed.status == 200 and changed.json()["applied"] is True, changed.body
    assert on_away.get("/api/settings").json()["values"]["remote_access"] is True
    (received,) = _audit(on_away, "settings.change")
    (sent,) = _audit(on_home, "peer.settings.change")
    via = json.loads(received["detail"])["via_link"]
    assert via["request_id"] == json.loads(sent["detail"])["request_id"] == changed.json()["request_id"]
    assert via["human"]["name"] == "owner" and json.loads(sent["detail"])["status"] == 200


def _library(owner: Client, root: Path, name: str) -> str:
    (root / name).mkdir(parents=True)
    made = owner.post("/api/libraries", {"name": name, "kind": "movies", "paths": [str(root / name)]})
    assert made.status == 201, made.body
    library: str = made.json()["id"]
    return library


def _token(frank: Client, link: str, server: Client) -> str:
    """A token home mints for frank on ``link``, for a nonce ``server`` issued."""
    nonce = server.get("/api/auth/federated/nonce")
    assert nonce.status == 200, nonce.body
    minted = frank.post(f"/api/servers/{link}/token", {"nonce": nonce.json()["nonce"]})
    assert minted.status == 200, minted.body
    token: str = minted.json()["token"]
    return token


def test_a_friend_of_home_signs_in_on_away_and_a_third_server_refuses_the_token(
    start: Any, tmp_path: Path
) -> None:
    away, third, home = start("away"), start("third"), start("home")
    on_away, on_third, on_home = away.sign_in(), third.sign_in(), home.sign_in()
    to_away, to_third = _pair(on_home, on_away)[0]["id"], _pair(on_home, on_third)[0]["id"]
    media = tmp_path / "media"
    shared, _private = _library(on_away, media, "Shared"), _library(on_away, media, "Private")
    made = on_home.post("/api/users", {"username": "frank", "password": PASSWORD, "role": "member"})
    assert made.status == 201, made.body
    frank_id = made.json()["id"]
    # Frank is shared on both linked servers, so the third refuses the token for what it is, not for him.
    for link, library in ((to_away, shared), (to_third, _library(on_third, media, "Third"))):
        granted = on_home.request(
            "PUT", f"/api/servers/{link}/principals/{frank_id}", {"libraries": [library]}
        )
        assert granted.status == 200, granted.body
    frank = home.sign_in("frank")

    # A token for away carrying a nonce the third really issued: only its audience is wrong there.
    misaddressed = _token(frank, to_away, third.client())
    refused = third.client().post("/api/auth/federated", {"token": misaddressed})
    assert refused.status == 401 and "not accepted here" in refused.json()["message"], refused.body
    for_away = _token(frank, to_away, away.client())
    signed_in = away.client().post("/api/auth/federated", {"token": for_away})
    assert signed_in.status == 200, signed_in.body
    seen = away.client(signed_in.json()["token"]).get("/api/libraries")
    assert [lib["id"] for lib in seen.json()] == [shared], seen.body
    # The same token again is refused: its jti and nonce were spent.
    assert away.client().post("/api/auth/federated", {"token": for_away}).status == 401
    # The third does trust home for a token made for it: what it refused was another server's token.
    for_third = _token(frank, to_third, third.client())
    assert third.client().post("/api/auth/federated", {"token": for_third}).status == 200


def test_a_relay_on_a_second_address_fails_the_pairing_and_burns_the_code(start: Any, tmp_path: Path) -> None:
    away, home = start("away"), start("home")
    on_away, on_home = away.sign_in(), home.sign_in()
    made = on_away.post("/api/links/code", {"password": PASSWORD})
    assert made.status == 201, made.body
    code, honest = made.json()["code"], made.json()["link"]
    peer_port = int(honest.split("addr=127.0.0.1:")[1].split("&")[0])
    relay = _Relay(tmp_path / "relay", peer_port, host="127.0.0.2")
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    try:
        # The owner typed the code and an address that leads to the relay (no fingerprint to catch it early).
        relayed = typed(f"127.0.0.2:{relay.server_address[1]}", code)
        failed = on_home.post("/api/links/join", {"password": PASSWORD, "link": relayed})
    finally:
        relay.shutdown()
        relay.server_close()
    assert failed.status == 403 and "The code is now void" in failed.json()["message"], failed.body
    again = on_home.post("/api/links/join", {"password": PASSWORD, "link": honest})
    assert again.status == 422 and "No pairing code" in again.json()["message"], again.body
    assert _linked(on_home) == [] and _linked(on_away) == []
    assert _audit(on_home, "link.pair") == [] and _audit(on_away, "link.pair") == []
