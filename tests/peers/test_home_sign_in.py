""" "Sign in with Home" in a browser, on real linked servers over HTTP and the signed peer channel: the linked
server (away) pushes a PKCE request to home, the friend approves it on home, and away redeems the one-time code
for the federated token it checks and opens a session. Each refusal is tested on its own: a state that is not
this browser's, a code used twice, a wrong verifier, a redirect URI that is not the linked server's own callback,
and a code redeemed by another linked server."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from reelhouse.services import home_sign_in
from reelhouse.services.home_sign_in import STARTS_PER_MINUTE, challenge_of, client_key
from tests.accounts.conftest import behind_proxy, via_proxy
from tests.harness import Answer, Client, RunningServer
from tests.peers.federation_kit import OWNER, World, pair, share

SIGNED = {"server": "test"}


@pytest.fixture
def home_world(world: World) -> Iterator[World]:
    # Home's approval page is at its public URL; a test server binds no listener it could name otherwise.
    world.home.server.services.settings.apply(OWNER, {"public_urls": [f"http://127.0.0.1:{world.home.port}"]})
    assert share(world, [world.shared]).status == 200
    yield world


def start(world: World) -> tuple[str, dict[str, str]]:
    """Away's sign-in page starts: (this browser's state cookie, the authorize URL's parameters)."""
    answer = world.away.anonymous().post(f"/api/auth/home/{world.on_away}/start")
    assert answer.status == 200, answer.body
    cookie = answer.header("Set-Cookie") or ""
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/api/auth/home/callback" in cookie
    state = cookie.split(";", 1)[0].split("=", 1)[1]
    url = urlsplit(answer.json()["authorize_url"])
    assert f"{url.scheme}://{url.netloc}" == f"http://127.0.0.1:{world.home.port}"
    fragment = url.fragment
    assert fragment.startswith("/authorize?")
    params = {k: v[0] for k, v in parse_qs(fragment.split("?", 1)[1]).items()}
    # Only a handle travels in the URL: no redirect URI, challenge, nonce or state.
    assert set(params) == {"client_id", "request_uri"}
    return state, params


def approve(world: World, params: dict[str, str], **extra: Any) -> Answer:
    return world.frank.post("/api/auth/authorize", {**params, **extra})


def redirect_of(answer: Answer) -> dict[str, str]:
    assert answer.status == 200, answer.body
    url = urlsplit(answer.json()["redirect"])
    return {k: v[0] for k, v in parse_qs(url.query).items()}


def callback(world: World, back: dict[str, str], cookie_state: str | None) -> Answer:
    query = "&".join(f"{k}={v}" for k, v in back.items())
    headers = {"Cookie": f"rh_home_state={cookie_state}"} if cookie_state else {}
    return world.away.anonymous().get(f"/api/auth/home/callback?{query}", headers=headers)


def session_of(world: World, answer: Answer) -> Client | None:
    assert answer.status == 303
    cookie = next((c for c in answer.headers.get_all("Set-Cookie") or [] if c.startswith("reelhouse=")), None)
    if answer.header("Location") != "/#/" or cookie is None:
        return None
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    return Client(world.away.port, token=token)


def test_a_friend_signs_in_with_home_in_the_browser_and_sees_only_what_was_shared(
    home_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = home_world
    caplog.set_level(logging.DEBUG)
    offered = world.away.anonymous().get("/api/auth/home").json()["servers"]
    assert offered == [{"id": world.on_away, "name": "Reelhouse"}]
    state, params = start(world)
    shown = world.frank.get(
        f"/api/auth/authorize?client_id={params['client_id']}&request_uri={params['request_uri']}"
    )
    assert shown.status == 200, shown.body
    assert shown.json()["user"] == "frank"
    back = redirect_of(approve(world, params))
    assert back["state"] == state and back["iss"] == world.home.server.peering.identity.fingerprint
    done = callback(world, back, state)
    there = session_of(world, done)
    assert there is not None, done.header("Location")
    assert [lib["name"] for lib in there.get("/api/session").json()["libraries"]] == ["Shared Films"]
    assert there.get(f"/api/libraries/{world.private}").status in (403, 404)
    # The request handle was used by the approval: a second approval is refused.
    assert approve(world, params).status == 422
    for record in caplog.records:
        text = record.getMessage()
        assert back["code"] not in text and state not in text and params["request_uri"] not in text


def test_a_state_that_is_not_this_browsers_is_refused(home_world: World) -> None:
    world = home_world
    # The attacker's flow, approved by the attacker at home, handed to a victim whose browser holds its own state.
    _, params = start(world)
    back = redirect_of(approve(world, params))
    victim_state, _ = start(world)
    assert session_of(world, callback(world, back, victim_state)) is None
    assert session_of(world, callback(world, back, None)) is None
    refused = callback(world, back, victim_state)
    assert refused.header("Location") == "/#/signin?home=refused"


def test_the_callback_cannot_be_replayed(home_world: World) -> None:
    world = home_world
    state, params = start(world)
    back = redirect_of(approve(world, params))
    assert session_of(world, callback(world, back, state)) is not None
    assert session_of(world, callback(world, back, state)) is None


def push(
    world: World, verifier: str, redirect_uri: str | None = None, via: RunningServer | None = None
) -> tuple[int, dict[str, Any]]:
    """Away's own pushed request, sent here by the test so that it knows the verifier."""
    server = via or world.away
    link = world.on_away if via is None else _link_to_home(world, server)
    body = {
        "redirect_uri": redirect_uri or f"http://127.0.0.1:{server.port}/api/auth/home/callback",
        "code_challenge": challenge_of(verifier),
        "code_challenge_method": "S256",
        "nonce": server.anonymous().get("/api/auth/federated/nonce").json()["nonce"],
        "state": secrets.token_urlsafe(24),
    }
    return server.server.peer_links.exchange(link, "POST", "/peer/v1/auth/request", body, SIGNED)


def _link_to_home(world: World, server: RunningServer) -> str:
    mine = world.home.server.peering.identity.fingerprint
    (found,) = [link.id for link in server.server.peering.links() if link.fingerprint == mine]
    return found


def code_for(world: World, verifier: str) -> tuple[str, str]:
    status, pushed = push(world, verifier)
    assert status == 200, pushed
    params = {
        "client_id": world.away.server.peering.identity.fingerprint,
        "request_uri": pushed["request_uri"],
    }
    back = redirect_of(approve(world, params))
    return back["code"], f"http://127.0.0.1:{world.away.port}/api/auth/home/callback"


def redeem(world: World, code: str, verifier: str, redirect: str, via: RunningServer | None = None) -> int:
    server = via or world.away
    link = world.on_away if via is None else _link_to_home(world, server)
    body = {"code": code, "code_verifier": verifier, "redirect_uri": redirect}
    status, _ = server.server.peer_links.exchange(link, "POST", "/peer/v1/auth/token", body, SIGNED)
    return status


def test_a_code_is_used_up_by_its_first_redemption(home_world: World) -> None:
    verifier = secrets.token_urlsafe(48)
    code, redirect = code_for(home_world, verifier)
    assert redeem(home_world, code, verifier, redirect) == 200
    assert redeem(home_world, code, verifier, redirect) == 422


def test_a_wrong_verifier_is_refused_and_burns_the_code(home_world: World) -> None:
    verifier = secrets.token_urlsafe(48)
    code, redirect = code_for(home_world, verifier)
    assert redeem(home_world, code, secrets.token_urlsafe(48), redirect) == 422
    assert redeem(home_world, code, verifier, redirect) == 422


def test_a_redirect_uri_that_is_not_the_linked_servers_callback_is_refused(home_world: World) -> None:
    world = home_world
    verifier = secrets.token_urlsafe(48)
    for elsewhere in (
        "https://attacker.example/steal",
        f"http://127.0.0.1:{world.away.port}/api/auth/home/callback?next=https://attacker.example",
        f"http://user@127.0.0.1:{world.away.port}/api/auth/home/callback",
    ):
        assert push(world, verifier, redirect_uri=elsewhere)[0] == 422, elsewhere
    # A browser URL cannot name another: approving with a redirect other than the one pushed is refused.
    _, pushed = push(world, verifier)
    params = {
        "client_id": world.away.server.peering.identity.fingerprint,
        "request_uri": pushed["request_uri"],
    }
    assert (
        approve(world, params, redirect_uri="https://attacker.example/api/auth/home/callback").status == 422
    )
    # Nor can the redeeming side change it.
    code, _ = code_for(world, verifier)
    assert redeem(world, code, verifier, "https://attacker.example/api/auth/home/callback") == 422


def test_a_code_for_another_linked_server_is_refused(home_world: World, tmp_path: Path) -> None:
    world = home_world
    other = RunningServer(tmp_path / "other", peer_port=0)
    try:
        on_home, _ = pair(world.home, other)
        # Frank may sign in there too, so only the code's audience differs.
        assert share(world, [], link=on_home).status == 200
        verifier = secrets.token_urlsafe(48)
        code, redirect = code_for(world, verifier)
        assert redeem(world, code, verifier, redirect, via=other) == 422
    finally:
        other.stop()


def test_a_user_home_did_not_share_the_server_with_cannot_approve(home_world: World) -> None:
    world = home_world
    world.home.create_user("mallory")
    mallory = world.home.sign_in("mallory")
    _, params = start(world)
    refused = mallory.post("/api/auth/authorize", params)
    assert refused.status == 403, refused.body
    assert "has not been shared" in refused.json()["message"]


def test_one_address_may_start_only_so_many_sign_ins_a_minute(home_world: World) -> None:
    world = home_world
    stranger = world.away.anonymous(source="127.0.0.7")
    path = f"/api/auth/home/{world.on_away}/start"
    for _ in range(STARTS_PER_MINUTE):
        assert stranger.post(path).status == 200
    refused = stranger.post(path)
    assert refused.status == 429, refused.body
    assert 1 <= int(refused.header("Retry-After") or 0) <= 60
    assert "wait a minute" in refused.json()["message"]
    # Another link id does not start a new count.
    assert stranger.post("/api/auth/home/no-such-link/start").status == 429
    # A friend elsewhere is not held up: the whole sign-in still works from another address.
    state, params = start(world)
    assert session_of(world, callback(world, redirect_of(approve(world, params)), state)) is not None


def test_an_ipv6_household_counts_as_one_address() -> None:
    assert client_key("2001:db8:1:2::10") == client_key("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::10") != client_key("2001:db8:1:2::10")
    assert client_key("::ffff:192.0.2.7") == client_key("192.0.2.7") == "192.0.2.7"


def test_a_full_table_drops_the_oldest_unfinished_flow_rather_than_refuse(
    home_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = home_world
    monkeypatch.setattr(home_sign_in, "MAX_PENDING", 3)
    first, second, third = start(world), start(world), start(world)
    # Approved at home: its request is gone from home's table; the code it got is never dropped.
    back = redirect_of(approve(world, first[1]))
    verifier = secrets.token_urlsafe(48)
    code, redirect = code_for(world, verifier)  # a code away's table knows nothing of
    fourth = start(world)
    # Away dropped its oldest flow (the first) for the fourth; home still had room.
    assert session_of(world, callback(world, back, first[0])) is None
    fifth = start(world)
    for _ in range(3):
        assert push(world, secrets.token_urlsafe(48))[0] == 200
    # Home made room by dropping its oldest requests: those of the second to the fifth flow...
    for flow in (second, third, fourth, fifth):
        assert approve(world, flow[1]).status == 422
    # ...but never a code it had issued: with its codes full (the first flow's, this one's and one more), it
    # refuses the next approval instead.
    code_for(world, secrets.token_urlsafe(48))
    _, pushed = push(world, secrets.token_urlsafe(48))
    client = world.away.server.peering.identity.fingerprint
    refused = approve(world, {"client_id": client, "request_uri": pushed["request_uri"]})
    assert refused.status == 429, refused.body
    assert redeem(world, code, verifier, redirect) == 200
    # A flow started while both tables are full still signs in.
    state, params = start(world)
    assert session_of(world, callback(world, redirect_of(approve(world, params)), state)) is not None


def test_one_linked_servers_flood_never_drops_anothers_requests(
    home_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = home_world
    monkeypatch.setattr(home_sign_in, "MAX_PENDING", 2)
    other = RunningServer(tmp_path / "other", peer_port=0)
    try:
        on_home, _ = pair(world.home, other)
        assert share(world, [], link=on_home).status == 200
        state, params = start(world)
        for _ in range(3):
            assert push(world, secrets.token_urlsafe(48), via=other)[0] == 200
        assert session_of(world, callback(world, redirect_of(approve(world, params)), state)) is not None
    finally:
        other.stop()


def test_only_the_home_network_learns_the_names_of_home_servers(home_world: World) -> None:
    """With Remote Access on, a stranger who reaches the sign-in page from the internet learns no server
    name: one button asks for the friend's home server by name, and only a right name starts a sign-in."""
    world = home_world
    behind_proxy(world.away)
    offered = world.away.anonymous().get("/api/auth/home").json()
    assert offered == {"servers": [{"id": world.on_away, "name": "Reelhouse"}], "ask_name": False}
    outside = via_proxy(world.away, "203.0.113.7")
    answer = outside.get("/api/auth/home")
    assert answer.status == 200 and answer.json() == {"servers": [], "ask_name": True}, answer.body
    assert "Reelhouse" not in answer.body.decode() and world.on_away not in answer.body.decode()
    wrong = outside.post("/api/auth/home/start", {"server": "Holiday"})
    assert wrong.status == 422 and "server" in wrong.json()["fields"], wrong.body
    started = outside.post("/api/auth/home/start", {"server": "  reelhouse "})
    assert started.status == 200, started.body
    assert started.json()["authorize_url"].startswith(f"http://127.0.0.1:{world.home.port}/#/authorize?")
    assert "Path=/api/auth/home/callback" in (started.header("Set-Cookie") or "")


def test_a_server_with_no_home_to_offer_asks_for_no_name(tmp_path: Path) -> None:
    """Without a linked server whose users may sign in here, the page offers nothing, from anywhere."""
    alone = RunningServer(tmp_path / "alone")
    try:
        behind_proxy(alone)
        for caller in (alone.anonymous(), via_proxy(alone, "203.0.113.7")):
            assert caller.get("/api/auth/home").json() == {"servers": [], "ask_name": False}
    finally:
        alone.stop()
