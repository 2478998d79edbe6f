"""Remote administration between two real servers: home changes away's settings over the signed link, audited
on both sides under one request id with the signature kept (and checkable with home's key); dangerous changes
are refused whatever the scopes; a link narrowed to status cannot read or change settings; a change for a down
server waits in the outbox, is delivered once when it answers again, and can be cancelled or expire."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.errors import PermissionDenied
from reelhouse.services.peer_signing import public_key_of, verify_request
from tests.harness import RunningServer

OWNER = system_actor("test")
Linked = tuple[RunningServer, RunningServer, str, str]


def _via_link(server: RunningServer) -> list[dict[str, Any]]:
    """The settings changes a server applied for a link, newest first."""
    entries = server.server.services.audit.entries(OWNER, "settings.change")
    details = [json.loads(e.detail) for e in entries]
    return [d for d in details if "via_link" in d]


def _addresses(server: RunningServer, link_id: str, addresses: list[str]) -> None:
    with server.server.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE peer_links SET addresses = ? WHERE id = ?", (json.dumps(addresses), link_id)
        )


def _addresses_of(server: RunningServer, link_id: str) -> list[str]:
    with server.server.db.read() as conn:
        raw = conn.exec_driver_sql("SELECT addresses FROM peer_links WHERE id = ?", (link_id,)).scalar_one()
    return list(json.loads(raw))


def _closed_port() -> str:
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    address = f"127.0.0.1:{hole.getsockname()[1]}"
    hole.close()
    return address


def test_the_owner_turns_on_remote_access_away_from_home_audited_on_both_sides(linked: Linked) -> None:
    home, away, on_home, on_away = linked
    owner = home.owner()
    read = owner.get(f"/api/servers/{on_home}/settings")
    assert read.status == 200, read.body
    names = {s["name"]: s for s in read.json()["registry"]}
    assert names["secure_connections"]["choices"] == ["required", "preferred", "disabled"]
    assert read.json()["values"]["remote_access"] is False

    answer = owner.request("PATCH", f"/api/servers/{on_home}/settings", {"values": {"remote_access": True}})
    assert answer.status == 200, answer.body
    assert answer.json()["applied"] is True and answer.json()["values"]["remote_access"] is True
    assert away.server.services.settings.get("remote_access") is True

    (received,) = _via_link(away)
    assert received["remote_access"] == {"before": False, "after": True}
    via = received["via_link"]
    assert isinstance(via, dict) and via["link_id"] == on_away and via["human"]["name"] == "owner"
    (sent,) = [
        json.loads(e.detail) for e in home.server.services.audit.entries(OWNER, "peer.settings.change")
    ]
    assert sent["request_id"] == via["request_id"] == answer.json()["request_id"]
    assert sent["status"] == 200
    (entry,) = away.server.services.audit.entries(OWNER, "settings.change")
    assert entry.actor == f"owner via link {via['link']}"

    # The kept request proves the change with home's public key alone.
    signed = via["signed_request"]
    headers = [(name, signed[name]) for name in ("Content-Type", "Content-Digest", "Reelhouse-Actor")]
    headers += [("Signature-Input", signed["Signature-Input"]), ("Signature", signed["Signature"])]
    home_key = public_key_of(home.server.peering.identity.spki)
    proof = verify_request(
        signed["method"], signed["target_uri"], headers, signed["body"].encode(), lambda _key_id: home_key
    )
    assert proof.actor["name"] == "owner"
    assert json.loads(signed["body"])["changes"] == {"remote_access": True}


def test_dangerous_changes_are_refused_over_a_link_whatever_its_scopes(linked: Linked) -> None:
    home, away, on_home, on_away = linked
    with away.server.db.read() as conn:
        scopes = conn.exec_driver_sql("SELECT scopes_to_peer FROM peer_links WHERE id = ?", (on_away,))
        assert set(json.loads(scopes.scalar_one())) == {"manage", "users", "status", "identity"}
    away.server.services.settings.apply(OWNER, {"secure_connections": "disabled"})
    admin = home.server.remote_admin
    for change in (
        {"remote_access": True},  # exposing a server whose connections are not secured
        {"require_2fa_for_admins": True},  # anything about how people sign in
        {"lan_networks": ["0.0.0.0/0"]},  # the whole internet as the home network
        {"trusted_proxies": ["0.0.0.0/0"]},  # anyone's forwarded address believed
    ):
        with pytest.raises(PermissionDenied, match="local sign-in"):
            admin.change_remote(OWNER, on_home, change)
    away.server.services.settings.apply(OWNER, {"secure_connections": "preferred", "remote_access": True})
    with pytest.raises(PermissionDenied, match="local sign-in"):
        admin.change_remote(OWNER, on_home, {"secure_connections": "disabled"})
    values = away.server.services.settings.values
    assert values["secure_connections"] == "preferred" and values["require_2fa_for_admins"] is False
    refused = away.server.services.audit.entries(OWNER, "settings.refused_over_link")
    assert len(refused) == 5 and _via_link(away) == []
    # Over the web API the refusal is a clear 403, never a 500.
    answer = home.owner().request(
        "PATCH", f"/api/servers/{on_home}/settings", {"values": {"secure_connections": "disabled"}}
    )
    assert answer.status == 403 and "local sign-in" in answer.json()["message"], answer.body


def test_the_settings_marked_local_only_are_exactly_those_refused_over_a_link(linked: Linked) -> None:
    home, _away, on_home, _on_away = linked
    owner = home.owner()
    document = owner.get(f"/api/servers/{on_home}/settings").json()
    marked = {s["name"] for s in document["registry"] if s["local_only"]}
    refused = set()
    for spec in document["registry"]:
        # A value no setting accepts: a setting a link may change fails validation there, never with 403.
        change = {"values": {spec["name"]: {"not": "a value"}}}
        answer = owner.request("PATCH", f"/api/servers/{on_home}/settings", change)
        assert answer.status in (403, 422), (spec["name"], answer.status, answer.body)
        if answer.status == 403:
            refused.add(spec["name"])
    assert marked == refused
    assert {"require_2fa_for_admins", "lan_networks", "peer_tunnel", "lan_discovery"} <= marked
    assert "remote_access" not in marked, "refused only with secure connections off, so it keeps its field"


def test_a_link_narrowed_to_status_cannot_read_or_change_settings(linked: Linked) -> None:
    home, away, on_home, on_away = linked
    # Narrowed on away's side only: home still believes it may manage, and away must say no.
    with away.server.db.begin() as conn:
        conn.exec_driver_sql("UPDATE peer_links SET scopes_to_peer = ? WHERE id = ?", ('["status"]', on_away))
    owner = home.owner()
    read = owner.get(f"/api/servers/{on_home}/settings")
    assert read.status == 403 and "refused" in read.json()["message"], read.body
    write = owner.request("PATCH", f"/api/servers/{on_home}/settings", {"values": {"max_transcodes": 3}})
    assert write.status == 403, write.body
    assert away.server.services.settings.get("max_transcodes") == 2
    # An unknown link id, and a server that does not answer a read: clear answers too.
    assert owner.get("/api/servers/nosuchlink/settings").status == 404
    _addresses(home, on_home, [_closed_port()])
    with away.server.db.begin() as conn:
        conn.exec_driver_sql("UPDATE peer_links SET scopes_to_peer = ? WHERE id = ?", ('["manage"]', on_away))
    down = owner.get(f"/api/servers/{on_home}/settings")
    assert down.status == 503 and "not answering" in down.json()["message"], down.body


def test_a_change_for_a_down_server_waits_and_is_delivered_once(linked: Linked) -> None:
    home, away, on_home, _ = linked
    real = _addresses_of(home, on_home)
    _addresses(home, on_home, [_closed_port()])
    owner = home.owner()
    queued = owner.request("PATCH", f"/api/servers/{on_home}/settings", {"values": {"max_transcodes": 5}})
    assert queued.status == 202, queued.body
    pending = queued.json()["pending"]
    assert pending["state"] == "pending" and pending["changes"] == {"max_transcodes": 5}
    assert 7 * 86400 - 60 < pending["expires_at"] - pending["created_at"] <= 7 * 86400
    assert away.server.services.settings.get("max_transcodes") == 2

    # Still down: the poller's tick leaves it pending.
    home.server._poll_one(on_home)
    assert owner.get(f"/api/servers/{on_home}/outbox").json()["entries"][0]["state"] == "pending"

    _addresses(home, on_home, real)
    home.server._poll_one(on_home)  # the poller finds away again and delivers what waited
    assert away.server.services.settings.get("max_transcodes") == 5
    (entry,) = owner.get(f"/api/servers/{on_home}/outbox").json()["entries"]
    assert entry["state"] == "sent" and entry["response_status"] == 200
    assert home.server.remote_admin.deliver(on_home) == 0
    # Both sides recorded the delivery under one request id, naming the human who asked for it.
    (delivered,) = _via_link(away)
    sent = [json.loads(e.detail) for e in home.server.services.audit.entries(OWNER, "peer.settings.change")]
    assert [s["request_id"] for s in sent] == [delivered["via_link"]["request_id"]]
    assert sent[0]["human"]["name"] == "owner" and sent[0]["status"] == 200

    # The acknowledgement was lost: home sends it again, and away answers without applying it twice.
    with home.server.db.begin() as conn:
        conn.exec_driver_sql("UPDATE peer_outbox SET state = 'pending' WHERE id = ?", (entry["id"],))
    away.server.services.settings.apply(OWNER, {"max_transcodes": 4})  # changed locally since
    assert home.server.remote_admin.deliver(on_home) == 1
    assert away.server.services.settings.get("max_transcodes") == 4
    assert len(_via_link(away)) == 1
    # Answered as delivered (the receiver recognised the key), not refused or failed.
    (entry,) = owner.get(f"/api/servers/{on_home}/outbox").json()["entries"]
    assert entry["state"] == "sent" and entry["response_status"] == 200, entry


def test_a_pending_change_can_be_cancelled_or_expire(linked: Linked) -> None:
    home, away, on_home, _ = linked
    real = _addresses_of(home, on_home)
    _addresses(home, on_home, [_closed_port()])
    owner = home.owner()
    first = owner.request("PATCH", f"/api/servers/{on_home}/settings", {"values": {"max_transcodes": 6}})
    second = owner.request("PATCH", f"/api/servers/{on_home}/settings", {"values": {"invitation_days": 9}})
    assert first.status == second.status == 202
    first_id, second_id = first.json()["pending"]["id"], second.json()["pending"]["id"]

    cancelled = owner.request("DELETE", f"/api/servers/{on_home}/outbox/{first_id}")
    assert cancelled.status == 200 and cancelled.json()["state"] == "cancelled", cancelled.body
    again = owner.request("DELETE", f"/api/servers/{on_home}/outbox/{first_id}")
    assert again.status == 409, again.body

    # Seven days pass (moved in the row): the second expires instead of being sent.
    with home.server.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE peer_outbox SET created_at = created_at - 604801, expires_at = ? WHERE id = ?",
            (time.time() - 1, second_id),
        )
    states = {e["id"]: e["state"] for e in owner.get(f"/api/servers/{on_home}/outbox").json()["entries"]}
    assert states == {first_id: "cancelled", second_id: "expired"}

    _addresses(home, on_home, real)
    assert home.server.remote_admin.deliver(on_home) == 0
    values = away.server.services.settings.values
    assert values["max_transcodes"] == 2 and values["invitation_days"] == 7
    assert _via_link(away) == []


def test_a_queued_change_the_server_refuses_when_back_is_marked_refused(linked: Linked) -> None:
    home, away, on_home, _ = linked
    real = _addresses_of(home, on_home)
    _addresses(home, on_home, [_closed_port()])
    owner = home.owner()
    queued = owner.request(
        "PATCH", f"/api/servers/{on_home}/settings", {"values": {"require_2fa_for_admins": True}}
    )
    assert queued.status == 202, queued.body
    _addresses(home, on_home, real)
    assert home.server.remote_admin.deliver(on_home) == 1
    (entry,) = owner.get(f"/api/servers/{on_home}/outbox").json()["entries"]
    assert entry["state"] == "refused" and entry["response_status"] == 403
    assert "local sign-in" in entry["last_error"]
    assert away.server.services.settings.get("require_2fa_for_admins") is False
    assert home.server.remote_admin.deliver(on_home) == 0


def test_this_server_asks_nothing_when_its_own_record_of_the_link_lacks_manage(linked: Linked) -> None:
    home, away, on_home, _ = linked
    with home.server.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE peer_links SET scopes_from_peer = ? WHERE id = ?", ('["status"]', on_home)
        )
    owner = home.owner()
    for answer in (
        owner.get(f"/api/servers/{on_home}/settings"),
        owner.request("PATCH", f"/api/servers/{on_home}/settings", {"values": {"max_transcodes": 3}}),
    ):
        assert answer.status == 403 and "does not let this server manage" in answer.json()["message"]
    assert away.server.services.settings.get("max_transcodes") == 2
    assert owner.get(f"/api/servers/{on_home}/outbox").json()["entries"] == []
    # An admin's peer: a member may not even ask.
    home.create_user("member")
    assert home.sign_in("member").get(f"/api/servers/{on_home}/settings").status == 403
