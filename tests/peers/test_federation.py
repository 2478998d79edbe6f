"""Friends who sign in with their home server, on two and three real servers: home's owner shares a linked
server's library with a friend; the friend's token from home opens a session there that sees only that
library; every forged, replayed, misdirected or revoked token is refused; tokens never reach a log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from reelhouse.services.peer_identity import load_identity
from tests.harness import Client, RunningServer
from tests.peers.federation_kit import (
    OWNER,
    World,
    forge,
    nonce_of,
    pair,
    present,
    share,
    token_from_home,
)


def test_a_friend_signs_in_with_home_and_sees_only_the_shared_library(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    listed = world.owner.get(f"/api/servers/{world.on_home}/libraries")
    assert listed.status == 200, listed.body
    assert {lib["name"] for lib in listed.json()["libraries"]} == {"Shared Films", "Private Films"}
    # Sharing is the admins' business on home; the friend cannot grant himself more.
    assert world.frank.get(f"/api/servers/{world.on_home}/libraries").status == 403
    assert share(world, [world.shared]).status == 200

    issued = nonce_of(world.away)
    assert issued["aud"] == world.away.server.peering.identity.fingerprint
    token = token_from_home(world, issued["nonce"])
    signed_in = present(world.away, token)
    assert signed_in.status == 200, signed_in.body
    assert signed_in.json()["user"]["username"] == "frank (from Reelhouse)"
    there = Client(world.away.port, token=signed_in.json()["token"])
    session = there.get("/api/session").json()
    assert [lib["name"] for lib in session["libraries"]] == ["Shared Films"]
    assert there.get(f"/api/libraries/{world.private}").status in (403, 404)
    # The session lasts a week at most, and must be used twice a day.
    assert signed_in.json()["expires_at"] <= time.time() + 7 * 86400 + 5

    # The same token again: its nonce and its id were used.
    assert present(world.away, token).status == 401
    for record in caplog.records:
        text = record.getMessage()
        assert token not in text and issued["nonce"] not in text and signed_in.json()["token"] not in text


def unsigned(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    head = part(json.dumps(header).encode()) + "." + part(json.dumps(claims).encode())
    signature = b"" if secret is None else hmac.new(secret, head.encode(), hashlib.sha256).digest()
    return head + "." + part(signature)


def test_forged_misdirected_and_replayed_tokens_are_refused(world: World, tmp_path: Path) -> None:
    assert share(world, [world.shared]).status == 200
    # The forger is right when nothing is changed, so each refusal below is for its one change.
    assert present(world.away, forge(world)).status == 200

    stranger = load_identity(tmp_path / "stranger")
    now = int(time.time())
    home_fp = world.home.server.peering.identity.fingerprint
    refused = {
        "wrong aud": forge(world, aud=home_fp),
        "wrong iss": forge(world, iss=stranger.fingerprint),
        "another key claiming home": forge(world, key=stranger.key),
        "expired": forge(world, iat=now - 1000, nbf=now - 1000, exp=now - 500),
        "nbf beyond leeway": forge(world, nbf=now + 600, exp=now + 900),
        "no jti": forge(world, jti=None),
        "no exp": forge(world, exp=None),
        "unknown nonce": forge(world, nonce=secrets.token_urlsafe(24)),
        "not granted": forge(world, sub="0" * 32),
    }
    claims = jwt.decode(forge(world), options={"verify_signature": False})
    public = world.home.server.peering.identity.key.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    refused["alg none"] = unsigned({"alg": "none", "typ": "JWT"}, claims, None)
    refused["HS256 with the public key"] = unsigned({"alg": "HS256", "typ": "JWT"}, claims, pem)
    reused = forge(world)
    assert present(world.away, reused).status == 200
    used = jwt.decode(reused, options={"verify_signature": False})
    refused["reused jti"] = forge(world, jti=used["jti"])
    refused["reused nonce"] = forge(world, nonce=used["nonce"])
    for why, token in refused.items():
        answer = present(world.away, token)
        assert answer.status == 401, (why, answer.body)
        assert "token" not in answer.json() or why == "", why


def test_stopping_the_share_on_home_refuses_the_friend_at_once(world: World) -> None:
    assert share(world, [world.shared]).status == 200
    first = present(world.away, token_from_home(world, nonce_of(world.away)["nonce"]))
    assert first.status == 200, first.body
    there = Client(world.away.port, token=first.json()["token"])
    assert there.get("/api/session").json()["user"] is not None
    # A token made before the share stopped, presented after it.
    waiting = token_from_home(world, nonce_of(world.away)["nonce"])

    stopped = world.owner.request("DELETE", f"/api/servers/{world.on_home}/principals/{world.frank_id}")
    assert stopped.status == 200, stopped.body
    assert present(world.away, waiting).status == 401
    assert there.get("/api/session").json()["user"] is None, "its sessions ended"
    # Sharing again lets the friend back in.
    assert share(world, [world.shared]).status == 200
    assert present(world.away, token_from_home(world, nonce_of(world.away)["nonce"])).status == 200


def test_a_revoked_link_refuses_tokens(world: World) -> None:
    assert share(world, [world.shared]).status == 200
    waiting = token_from_home(world, nonce_of(world.away)["nonce"])
    world.away.server.peering.remove(OWNER, world.on_away)
    assert present(world.away, waiting).status == 401


def test_a_link_home_revoked_refuses_tokens_signed_with_its_key(world: World) -> None:
    assert share(world, [world.shared]).status == 200
    # Home unlinked; away learnt it at a poll (the state it records then). Home's key still signs tokens,
    # but it vouches for nobody there any more.
    with world.away.server.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE peer_links SET state = 'revoked_by_peer' WHERE id = ?", (world.on_away,))
    assert present(world.away, forge(world)).status == 401


def test_a_token_for_one_server_is_refused_by_another(world: World, tmp_path: Path) -> None:
    other = RunningServer(tmp_path / "other", peer_port=0)
    try:
        on_home, _ = pair(world.home, other)
        (tmp_path / "other-films").mkdir()
        films = other.server.services.libraries.add(
            OWNER, "Other Films", "movies", [str(tmp_path / "other-films")]
        )
        assert share(world, [world.shared]).status == 200
        assert share(world, [films.id], link=on_home).status == 200
        # A nonce of the other server, a token for this one: the audience is wrong there.
        for_away = token_from_home(world, nonce_of(other)["nonce"])
        assert present(other, for_away).status == 401
        for_other = token_from_home(world, nonce_of(other)["nonce"], link=on_home)
        assert present(world.away, for_other).status == 401
        assert present(other, for_other).status == 200
    finally:
        other.stop()


def test_a_link_without_the_identity_scope_refuses_its_tokens(world: World) -> None:
    assert share(world, [world.shared]).status == 200
    waiting = token_from_home(world, nonce_of(world.away)["nonce"])
    # Away's owner narrowed what home may do there: it may still share libraries, not vouch for sign-ins.
    with world.away.server.db.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE peer_links SET scopes_to_peer = ? WHERE id = ?", ('["status", "users"]', world.on_away)
        )
    assert present(world.away, waiting).status == 401


def test_a_revoked_friend_stays_refused_even_when_their_account_is_enabled_again(world: World) -> None:
    assert share(world, [world.shared]).status == 200
    stopped = world.owner.request("DELETE", f"/api/servers/{world.on_home}/principals/{world.frank_id}")
    assert stopped.status == 200, stopped.body
    # Away's admin switches the account back on: only home's word can bring the friend back.
    with world.away.server.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE users SET disabled = 0 WHERE username LIKE 'frank%'")
    assert present(world.away, forge(world)).status == 401


def test_sharing_needs_the_users_scope_there_and_libraries_that_exist(world: World) -> None:
    unknown = share(world, ["no-such-library"])
    assert unknown.status == 422 and "No library has that id" in unknown.json()["message"], unknown.body
    with world.away.server.db.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE peer_links SET scopes_to_peer = ? WHERE id = ?", ('["identity", "status"]', world.on_away)
        )
    refused = share(world, [world.shared])
    assert refused.status == 403, refused.body
    assert world.owner.get(f"/api/servers/{world.on_home}/libraries").status == 403
    names = [u["username"] for u in world.away.server.services.accounts.list_users()]
    assert not any(name.startswith("frank") for name in names), names


def test_a_friend_sees_on_home_the_servers_that_let_them_in(world: World) -> None:
    def linked_names(client: Client) -> list[str]:
        answer = client.get("/api/servers")
        assert answer.status == 200, answer.body
        return [s["id"] for s in answer.json()["servers"] if not s["this"]]

    assert linked_names(world.frank) == []
    assert share(world, [world.shared]).status == 200
    assert linked_names(world.frank) == [world.on_home]
    someone = world.home.create_user("someone")
    assert linked_names(world.home.sign_in("someone")) == [], someone
    stopped = world.owner.request("DELETE", f"/api/servers/{world.on_home}/principals/{world.frank_id}")
    assert stopped.status == 200, stopped.body
    assert linked_names(world.frank) == []


def test_a_federated_session_unused_for_twelve_hours_has_ended(world: World) -> None:
    assert share(world, [world.shared]).status == 200
    signed_in = present(world.away, forge(world))
    assert signed_in.status == 200, signed_in.body
    there = Client(world.away.port, token=signed_in.json()["token"])
    assert there.get("/api/session").json()["user"] is not None
    with world.away.server.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE auth_tokens SET last_seen_at = last_seen_at - 13 * 3600")
    assert there.get("/api/session").json()["user"] is None


def test_the_public_nonce_route_cannot_fill_the_database(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reelhouse.services.federation as federation

    monkeypatch.setattr(federation, "MAX_OPEN_NONCES", 3)
    for _ in range(3):
        nonce_of(world.away)
    refused = world.away.anonymous().get("/api/auth/federated/nonce")
    assert refused.status == 429 and refused.header("Retry-After") == "60", refused.body
    with world.away.server.db.engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM federation_used").scalar_one()
    assert count == 3


def test_home_vouches_only_where_it_shared(world: World) -> None:
    refused = world.frank.post(
        f"/api/servers/{world.on_home}/token", {"nonce": nonce_of(world.away)["nonce"]}
    )
    assert refused.status == 403, refused.body
    assert share(world, [world.shared]).status == 200
    assert present(world.away, token_from_home(world, nonce_of(world.away)["nonce"])).status == 200


def test_tokens_from_a_home_clock_ninety_seconds_off_either_way_are_accepted(world: World) -> None:
    assert share(world, [world.shared]).status == 200
    for skew in (90, -90):
        now = int(time.time()) + skew
        answer = present(world.away, forge(world, iat=now, nbf=now, exp=now + 300))
        assert answer.status == 200, (skew, answer.body)


def test_a_linked_server_cannot_vouch_for_home_s_users_elsewhere(world: World, tmp_path: Path) -> None:
    """Home is linked with away and with third; away is linked with third too. Away cannot sign home's friend
    in at third, neither in home's name nor in its own."""
    third = RunningServer(tmp_path / "third", peer_port=0)
    try:
        on_home_third, _ = pair(world.home, third)
        pair(world.away, third)
        (tmp_path / "third-films").mkdir()
        films = third.server.services.libraries.add(OWNER, "Films", "movies", [str(tmp_path / "third-films")])
        assert share(world, [films.id], link=on_home_third).status == 200
        now = int(time.time())
        away_key = world.away.server.peering.identity.key
        for issuer in (
            world.home.server.peering.identity.fingerprint,
            world.away.server.peering.identity.fingerprint,
        ):
            claims = {
                "iss": issuer,
                "sub": world.frank_id,
                "aud": third.server.peering.identity.fingerprint,
                "iat": now,
                "nbf": now,
                "exp": now + 300,
                "jti": secrets.token_urlsafe(16),
                "nonce": nonce_of(third)["nonce"],
            }
            answer = present(third, jwt.encode(claims, away_key, algorithm="EdDSA"))
            assert answer.status == 401, (issuer, answer.body)
        # Home itself can: the refusals above are about who vouches.
        token = token_from_home(world, nonce_of(third)["nonce"], link=on_home_third)
        assert present(third, token).status == 200
    finally:
        third.stop()
