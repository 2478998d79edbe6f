"""When a friend's account ends on their home server (deleted, or disabled), home tells each linked server it
was shared on: the friend's sessions there end and new tokens are refused, without anyone unsharing by hand."""

from __future__ import annotations

import json

from reelhouse.services.peer_signing import public_key_of, verify_request
from tests.harness import Client
from tests.peers.federation_kit import OWNER, World, forge, present, share


def signed_in_away(world: World) -> Client:
    assert share(world, [world.shared]).status == 200
    answer = present(world.away, forge(world))
    assert answer.status == 200, answer.body
    there = Client(world.away.port, token=answer.json()["token"])
    assert there.get("/api/session").json()["user"] is not None
    return there


def test_deleting_the_friend_on_home_ends_them_on_the_linked_server(world: World) -> None:
    there = signed_in_away(world)
    assert world.owner.request("DELETE", f"/api/users/{world.frank_id}").status == 204
    assert there.get("/api/session").json()["user"] is None
    assert present(world.away, forge(world)).status == 401


def test_disabling_the_friend_on_home_ends_them_there_and_other_changes_do_not(world: World) -> None:
    there = signed_in_away(world)
    renamed = world.owner.request(
        "PATCH", f"/api/users/{world.frank_id}", body={"grants": {"may_download": False}}
    )
    assert renamed.status == 200, renamed.body
    assert there.get("/api/session").json()["user"] is not None, "a change that ends nothing tells nobody"
    disabled = world.owner.request("PATCH", f"/api/users/{world.frank_id}", body={"disabled": True})
    assert disabled.status == 200, disabled.body
    assert there.get("/api/session").json()["user"] is None
    assert present(world.away, forge(world)).status == 401


def test_each_grant_and_revocation_is_kept_on_the_linked_server_with_homes_signature(world: World) -> None:
    """Design test 18: the receiving side's audit holds the sender's signature for every remote change."""
    signed_in_away(world)
    assert world.owner.request("DELETE", f"/api/users/{world.frank_id}").status == 204
    audit = world.away.server.services.audit
    assert audit.verify().state == "intact"
    home_key = public_key_of(world.home.server.peering.identity.spki)
    for action in ("federation.grant", "federation.revoke"):
        (entry,) = audit.entries(OWNER, action)
        kept = json.loads(entry.detail)["signed_request"]
        names = ("Content-Type", "Content-Digest", "Reelhouse-Actor", "Signature-Input", "Signature")
        proof = verify_request(
            kept["method"],
            kept["target_uri"],
            [(name, kept[name]) for name in names],
            kept["body"].encode(),
            lambda _key_id: home_key,
        )
        assert proof.key_id == world.home.server.peering.identity.fingerprint, action
        assert world.frank_id in kept["target_uri"], action
