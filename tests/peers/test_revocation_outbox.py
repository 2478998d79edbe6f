"""Design tests 17 and 25: revocations through the outbox. A friend unshared, or a link removed, while the other
server is away waits in the signed outbox and reaches it once it answers, before a settings change that waited
longer; a removed link's farewell turns the other side's link "revoked by peer". Each change of a federated user
carries the link's revocation_seq, so a replayed or reordered older revocation never undoes a newer grant, and an
older grant never undoes a newer revocation."""

from __future__ import annotations

import json
import time
from typing import Any

from reelhouse.domain.access import system_actor
from reelhouse.domain.peers import LinkState
from tests.harness import Client, RunningServer
from tests.peers.federation_kit import World, forge, pair, present, share
from tests.peers.signed_kit import call
from tests.peers.test_pairing_servers import listening
from tests.peers.test_remote_settings import _addresses, _addresses_of, _closed_port

OWNER = system_actor("test")
Linked = tuple[RunningServer, RunningServer, str, str]


def outbox(server: RunningServer, link_id: str) -> list[Any]:
    with server.server.db.read() as conn:
        return list(
            conn.exec_driver_sql(
                "SELECT kind, state, body FROM peer_outbox WHERE link_id = ? ORDER BY created_at", (link_id,)
            )
        )


def waiting_on_servers_page(world: World) -> int:
    listed = world.owner.get("/api/servers").json()["servers"]
    (card,) = [s for s in listed if s["id"] == world.on_home]
    count: int = card["revocations_waiting"]
    return count


def audit_seq(server: RunningServer, action: str) -> int:
    with server.server.db.read() as conn:
        found = conn.exec_driver_sql(
            "SELECT min(seq) FROM audit_log WHERE action = ?", (action,)
        ).scalar_one()
    assert found is not None, f"no {action} in the audit log"
    return int(found)


def test_a_revocation_for_an_absent_server_waits_and_goes_before_older_settings(world: World) -> None:
    home, away, on_home = world.home, world.away, world.on_home
    assert share(world, [world.shared]).status == 200
    signed_in = present(away, forge(world))
    assert signed_in.status == 200, signed_in.body
    there = Client(away.port, token=signed_in.json()["token"])
    real = _addresses_of(home, on_home)
    _addresses(home, on_home, [_closed_port()])

    changed = world.owner.request(
        "PATCH", f"/api/servers/{on_home}/settings", {"values": {"max_transcodes": 5}}
    )
    assert changed.status == 202, changed.body
    stopped = world.owner.request("DELETE", f"/api/servers/{on_home}/principals/{world.frank_id}")
    assert stopped.status == 200 and stopped.json() == {"revoked": False, "queued": True}, stopped.body
    assert [(k, s) for k, s, _ in outbox(home, on_home)] == [
        ("settings", "pending"),
        ("revoke_principal", "pending"),
    ]
    assert there.get("/api/session").json()["user"] is not None, "away was not told yet"
    listed = world.owner.get(f"/api/servers/{on_home}/outbox").json()["entries"]
    (revocation,) = [e for e in listed if e["kind"] == "revoke_principal"]
    changes = revocation["changes"]
    assert changes == {"subject": world.frank_id, "seq": 2, "request_id": changes["request_id"]}
    cancelled = world.owner.request("DELETE", f"/api/servers/{on_home}/outbox/{revocation['id']}")
    assert cancelled.status == 409, "a revocation is never cancelled"
    # The Servers page tells the owner that frank may still sign in there until away takes it.
    assert waiting_on_servers_page(world) == 1

    _addresses(home, on_home, real)
    # The settings change waits while the revocation does, even when its own delivery is asked for first.
    assert home.server.remote_admin.deliver(on_home) == 0
    assert [s for _, s, _ in outbox(home, on_home)] == ["pending", "pending"]
    home.server._poll_one(on_home)  # the poller finds away again
    assert [s for _, s, _ in outbox(home, on_home)] == ["sent", "sent"]
    assert waiting_on_servers_page(world) == 0
    assert there.get("/api/session").json()["user"] is None
    assert present(away, forge(world)).status == 401
    assert away.server.services.settings.get("max_transcodes") == 5
    # Queued later, delivered first.
    assert audit_seq(away, "federation.revoke") < audit_seq(away, "settings.change")
    for server in (home, away):
        assert server.server.services.audit.verify().state == "intact"


def test_a_friend_deleted_while_the_server_is_away_is_revoked_there_when_it_is_back(world: World) -> None:
    home, away, on_home = world.home, world.away, world.on_home
    assert share(world, [world.shared]).status == 200
    real = _addresses_of(home, on_home)
    _addresses(home, on_home, [_closed_port()])
    assert world.owner.request("DELETE", f"/api/users/{world.frank_id}").status == 204
    assert [(k, s) for k, s, _ in outbox(home, on_home)] == [("revoke_principal", "pending")]
    assert present(away, forge(world)).status == 200, "away has not heard yet"
    _addresses(home, on_home, real)
    assert home.server.revocations.deliver(on_home) == 1
    assert present(away, forge(world)).status == 401
    assert home.server.revocations.deliver(on_home) == 0, "nothing is sent twice"


def test_unlinking_while_the_other_server_is_away_reaches_it_when_it_is_back(linked: Linked) -> None:
    home, away, on_home, on_away = linked
    real = _addresses_of(home, on_home)
    _addresses(home, on_home, [_closed_port()])
    home.server.peering.remove(OWNER, on_home)
    assert [(k, s) for k, s, _ in outbox(home, on_home)] == [("unlink", "pending")]
    assert away.server.peering.link(on_away).state is LinkState.ACTIVE  # type: ignore[union-attr]
    assert on_home in home.server.revocations.farewells_due()

    _addresses(home, on_home, real)
    home.server.revocations.deliver_farewell(on_home)
    assert [s for _, s, _ in outbox(home, on_home)] == ["sent"]
    assert away.server.peering.link(on_away).state is LinkState.REVOKED_BY_PEER  # type: ignore[union-attr]
    assert home.server.revocations.farewells_due() == []
    # Nothing more is accepted from home over that link.
    status, said = call(listening(away), "GET", "/peer/v1/status", b"", home.server.peering.identity)
    assert status == 401 and said["error"] == "key_denied", said


def test_unlinking_tells_a_present_server_at_once(linked: Linked) -> None:
    home, away, on_home, on_away = linked
    away.server.peering.remove(OWNER, on_away)
    assert home.server.peering.link(on_home).state is LinkState.REVOKED_BY_PEER  # type: ignore[union-attr]
    assert [s for _, s, _ in outbox(away, on_away)] == ["sent"]


def _principal(away: RunningServer, subject: str) -> Any:
    with away.server.db.read() as conn:
        return conn.exec_driver_sql(
            "SELECT p.seq, p.revoked_at, u.disabled FROM federated_principals p JOIN users u ON u.id = p.user_id "
            "WHERE p.subject = ?",
            (subject,),
        ).one()


def test_an_older_revocation_or_grant_never_undoes_a_newer_one(linked: Linked) -> None:
    home, away, _, _ = linked
    port, key = listening(away), home.server.peering.identity
    path = "/peer/v1/principals/friend-1"

    def grant(seq: int) -> dict[str, Any]:
        body = {"display_name": "Friend", "libraries": [], "seq": seq}
        status, said = call(port, "PUT", path, json.dumps(body).encode(), key)
        assert status == 200, said
        return said

    def revoke(seq: int) -> dict[str, Any]:
        status, said = call(port, "DELETE", path, json.dumps({"seq": seq}).encode(), key)
        assert status == 200, said
        return said

    assert "stale" not in grant(5)
    assert revoke(3) == {"revoked": False, "stale": True}, "a revocation from before the grant"
    assert _principal(away, "friend-1")[1:] == (None, 0)
    assert "stale" not in revoke(6)
    assert grant(4)["stale"] is True, "a grant from before the revocation"
    seq, revoked_at, disabled = _principal(away, "friend-1")
    assert (seq, disabled) == (6, 1) and revoked_at is not None
    assert "stale" not in grant(7)
    # The revocation numbered 6, sent again (signed anew, so the nonce check cannot catch it): changes nothing.
    assert revoke(6)["stale"] is True
    assert _principal(away, "friend-1")[1:] == (None, 0)
    for body in ({}, {"seq": "7"}, {"seq": 0}, {"seq": True}):
        status, said = call(port, "DELETE", path, json.dumps(body).encode(), key)
        assert status == 422 and said.get("fields", {}).get("seq"), (body, status, said)


def test_the_sender_numbers_each_change_of_a_friend_one_higher(world: World) -> None:
    def counter() -> int:
        with world.home.server.db.read() as conn:
            return int(
                conn.exec_driver_sql(
                    "SELECT revocation_seq FROM peer_links WHERE id = ?", (world.on_home,)
                ).scalar_one()
            )

    assert counter() == 0
    assert share(world, [world.shared]).status == 200
    assert counter() == 1
    assert (
        world.owner.request("DELETE", f"/api/servers/{world.on_home}/principals/{world.frank_id}").status
        == 200
    )
    assert counter() == 2
    assert _principal(world.away, world.frank_id)[0] == 2


def test_a_farewell_for_a_link_paired_again_since_is_never_sent(linked: Linked) -> None:
    """Away pins the same key for the new link, so the old link's farewell would end the new one."""
    home, away, on_home, _ = linked
    real = _addresses_of(home, on_home)
    _addresses(home, on_home, [_closed_port()])
    home.server.peering.remove(OWNER, on_home)
    again_on_home, again_on_away = pair(home, away)
    _addresses(home, on_home, real)
    home.server.revocations.deliver_farewell(on_home)
    assert [s for _, s, _ in outbox(home, on_home)] == ["cancelled"]
    assert away.server.peering.link(again_on_away).state is LinkState.ACTIVE  # type: ignore[union-attr]
    assert home.server.peer_links.poll(again_on_home).status.value == "online"  # type: ignore[union-attr]


def test_the_background_poller_delivers_a_waiting_farewell(linked: Linked) -> None:
    """Nobody calls anything: the server's own poller retries the removed link's farewell. Away cannot reach
    home, so its own polls (which would find the link gone) cannot be what tells it."""
    home, away, on_home, on_away = linked
    _addresses(away, on_away, [_closed_port()])
    real = _addresses_of(home, on_home)
    _addresses(home, on_home, [_closed_port()])
    home.server.peering.remove(OWNER, on_home)
    _addresses(home, on_home, real)
    deadline = time.monotonic() + 20
    while away.server.peering.link(on_away).state is LinkState.ACTIVE:  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the poller did not deliver the farewell"
        time.sleep(0.2)
    assert away.server.peering.link(on_away).state is LinkState.REVOKED_BY_PEER  # type: ignore[union-attr]


def test_a_friend_revoked_before_pairing_again_is_revoked_over_the_new_link(world: World) -> None:
    """The revocation moves to the new link with that link's own numbering, so later grants still count."""
    home, away, on_home = world.home, world.away, world.on_home
    assert share(world, [world.shared]).status == 200
    signed_in = present(away, forge(world))
    assert signed_in.status == 200, signed_in.body
    there = Client(away.port, token=signed_in.json()["token"])
    real = _addresses_of(home, on_home)
    _addresses(home, on_home, [_closed_port()])
    stopped = world.owner.request("DELETE", f"/api/servers/{on_home}/principals/{world.frank_id}")
    assert stopped.json() == {"revoked": False, "queued": True}, stopped.body
    home.server.peering.remove(OWNER, on_home)
    again_on_home, _ = pair(home, away)
    _addresses(home, on_home, real)

    home.server.revocations.deliver_farewell(on_home)
    assert [s for _, s, _ in outbox(home, on_home)] == ["cancelled", "cancelled"]
    home.server.revocations.deliver(again_on_home)  # (or the poller did)
    assert [(k, s) for k, s, _ in outbox(home, again_on_home)] == [("revoke_principal", "sent")]
    assert there.get("/api/session").json()["user"] is None
    # Shared again over the new link: numbered after the moved revocation, so it is not stale there.
    assert share(world, [world.shared], link=again_on_home).status == 200
    assert present(away, forge(world)).status == 200
