"""Design test 18, walked from the peer route table: every route by which a linked server changes this one leaves
an audit entry here that keeps the sender's signed request, provable later with the sender's public key alone,
and both servers' audit chains verify end to end afterwards. A new mutating peer route fails this test until it
is driven below (and so until its handler keeps the evidence)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reelhouse.domain.peers import LinkAccess
from reelhouse.services.peer_signing import public_key_of, verify_request
from reelhouse.web.peer_api import PEER_ROUTES
from tests.harness import RunningServer
from tests.peers.federation_kit import OWNER, World, share

_SIGNED = ("Content-Type", "Content-Digest", "Reelhouse-Actor", "Signature-Input", "Signature")
# The browser sign-in handshake hands out one-time codes and tokens; it changes no setting, grant or link, and
# its own tests (test_home_sign_in.py) cover it. Every other signed route that is not a read is a mutation.
_HANDSHAKE = {("POST", "/peer/v1/auth/request"), ("POST", "/peer/v1/auth/token")}


def _grant(world: World) -> None:
    assert share(world, [world.shared]).status == 200


def _revoke(world: World) -> None:
    assert world.owner.request("DELETE", f"/api/users/{world.frank_id}").status == 204


def _settings(world: World) -> None:
    answer = world.owner.request(
        "PATCH", f"/api/servers/{world.on_home}/settings", {"values": {"remote_access": True}}
    )
    assert answer.status == 200 and answer.json()["applied"] is True, answer.body


def _rotate(world: World) -> None:
    assert world.home.server.key_rotation.rotate(OWNER).not_told == ()


def _unlink(world: World) -> None:
    world.home.server.peering.remove(OWNER, world.on_home)


# In the order they run (the farewell ends the link, so it goes last); each with the action audited on away.
_DRIVERS: dict[tuple[str, str], tuple[Callable[[World], None], str]] = {
    ("PUT", "/peer/v1/principals/{subject}"): (_grant, "federation.grant"),
    ("DELETE", "/peer/v1/principals/{subject}"): (_revoke, "federation.revoke"),
    ("PATCH", "/peer/v1/settings"): (_settings, "settings.change"),
    ("POST", "/peer/v1/keys/rotate"): (_rotate, "link.peer_key_rotated"),
    ("DELETE", "/peer/v1/link"): (_unlink, "link.revoked_by_peer"),
}


def _kept(detail: Any) -> dict[str, str] | None:
    """The signed request kept anywhere in an audit detail (settings changes keep it under via_link)."""
    if isinstance(detail, dict):
        if isinstance(detail.get("signed_request"), dict):
            return detail["signed_request"]
        for value in detail.values():
            found = _kept(value)
            if found is not None:
                return found
    return None


def _chain(server: RunningServer) -> dict[str, Any]:
    answer = server.owner().get("/api/audit?limit=1")
    assert answer.status == 200, answer.body
    chain: dict[str, Any] = answer.json()["chain"]
    return chain


def test_every_remote_mutation_is_kept_with_homes_signature_and_both_chains_verify(world: World) -> None:
    mutating = {
        (route.method, route.path)
        for route in PEER_ROUTES
        if route.method != "GET" and route.needs is not LinkAccess.PAIRING
    }
    assert mutating - _HANDSHAKE == set(_DRIVERS), "a mutating peer route is not driven by this test"
    home_keys = {}
    for (method, path), (drive, action) in _DRIVERS.items():
        identity = world.home.server.peering.identity
        home_keys[identity.fingerprint] = public_key_of(identity.spki)
        drive(world)
        entries = world.away.server.services.audit.entries(OWNER, action)
        kept = [k for k in (_kept(json.loads(e.detail)) for e in entries) if k is not None]
        assert len(kept) == 1, f"{method} {path}: {action} keeps no signed request"
        (signed,) = kept
        proof = verify_request(
            signed["method"],
            signed["target_uri"],
            [(name, signed[name]) for name in _SIGNED],
            signed["body"].encode(),
            lambda key_id: home_keys[key_id],
        )
        assert proof.key_id == identity.fingerprint, (method, path)
        assert signed["method"] == method, (method, path)
    for server in (world.home, world.away):
        assert _chain(server)["state"] == "intact", server


def _request_ids(server: RunningServer, action: str) -> list[str]:
    details = [json.loads(e.detail) for e in server.server.services.audit.entries(OWNER, action)]
    return [d["request_id"] for d in details if "request_id" in d]


def test_a_grant_and_its_revocation_are_audited_on_both_servers_under_one_request_id(world: World) -> None:
    _grant(world)
    stopped = world.owner.request("DELETE", f"/api/servers/{world.on_home}/principals/{world.frank_id}")
    assert stopped.status == 200, stopped.body
    home, away = world.home, world.away
    (shared,) = _request_ids(home, "federation.share")
    assert _request_ids(away, "federation.grant") == [shared]
    (queued,) = _request_ids(home, "peer.revoke_principal.queued")
    assert _request_ids(away, "federation.revoke") == [queued] and queued != shared
