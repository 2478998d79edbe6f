"""Design test 16, the scope matrix: every route of the peer table × every set of scopes a link may hold gives
403 exactly when the table's can() says no, driven from PEER_ROUTES so that a new route is covered without
touching this file; dangerous actions give 403 even to a link holding every scope. Two real servers, paired:
home signs, away answers as its link to home allows."""

from __future__ import annotations

import itertools
import json

import pytest

from reelhouse.domain.peers import ALL_SCOPES, DangerousAction, LinkAccess, PeerScope
from reelhouse.web.peer_api import PEER_ROUTES, PeerRoute
from tests.harness import RunningServer
from tests.peers.signed_kit import call, concrete
from tests.peers.test_pairing_servers import listening

Linked = tuple[RunningServer, RunningServer, str, str]
SCOPE_SETS = [
    frozenset(chosen)
    for size in range(len(PeerScope) + 1)
    for chosen in itertools.combinations(sorted(PeerScope), size)
]
SIGNED = [r for r in PEER_ROUTES if r.needs is not LinkAccess.PAIRING]


def grant(away: RunningServer, on_away: str, scopes: frozenset[PeerScope]) -> None:
    """What home's link may do on away, changed behind the server's back: the check reads it per request. The
    link is made active again too, as a route that reached its handler may have ended it (DELETE /peer/v1/link):
    what is tested here is the check, not what the handler did."""
    with away.server.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE peer_links SET scopes_to_peer = ?, state = 'active' WHERE id = ?",
            (json.dumps(sorted(s.value for s in scopes)), on_away),
        )
        # Ending it also denied home's key (peer_denylist); standing in for pairing again, this lifts that too.
        conn.exec_driver_sql("DELETE FROM peer_denied_keys")


def test_the_table_declares_what_every_route_needs() -> None:
    assert len(SCOPE_SETS) == 2 ** len(PeerScope)
    assert SIGNED, "the matrix below would check nothing"
    with pytest.raises(TypeError):
        PeerRoute("GET", "/peer/v1/undeclared", SIGNED[0].handler, "no scope", needs=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PeerRoute("GET", "/peer/v1/undeclared", SIGNED[0].handler, "no scope")  # type: ignore[call-arg]


# Written out by hand: a route that takes no signature (its only credential a pairing code) fails here until a
# reviewer adds it.
UNSIGNED = {
    ("POST", "/peer/v1/pair/start"),
    ("POST", "/peer/v1/pair/confirm"),
    ("POST", "/peer/v1/pair/finish"),
}


def test_only_the_reviewed_pairing_routes_take_no_signature() -> None:
    assert {(r.method, r.path) for r in PEER_ROUTES if r.needs is LinkAccess.PAIRING} == UNSIGNED


def test_every_signed_route_answers_403_exactly_when_the_table_says_no(linked: Linked) -> None:
    home, away, _, on_away = linked
    port = listening(away)
    identity = home.server.peering.identity
    seen = 0
    for scopes in SCOPE_SETS:
        for route in SIGNED:
            grant(away, on_away, scopes)
            body = b"{}" if route.method != "GET" else b""
            status, answer = call(port, route.method, concrete(route), body, identity)
            label = f"{route.method} {route.path} with {sorted(scopes)}: {status} {answer}"
            if route.can(scopes):
                assert status not in (401, 403), label
            else:
                assert status == 403, label
            seen += 1
    assert seen == len(SCOPE_SETS) * len(SIGNED)


def test_a_route_reserved_for_a_local_sign_in_is_refused_whatever_the_scopes(linked: Linked) -> None:
    """can() itself: a dangerous need is never met; any other need is met by some set of scopes."""
    for action in DangerousAction:
        assert not any(PeerRoute("GET", "/x", SIGNED[0].handler, "", needs=action).can(s) for s in SCOPE_SETS)
    home, away, _, _ = linked
    port = listening(away)
    dangerous = [r for r in SIGNED if isinstance(r.needs, DangerousAction)]
    for route in dangerous:
        body = b"{}" if route.method != "GET" else b""
        status, _ = call(port, route.method, concrete(route), body, home.server.peering.identity)
        assert status == 403, route.path
    assert all(r.can(ALL_SCOPES) for r in PEER_ROUTES if r not in dangerous)


DANGEROUS_CHANGES = [
    {"require_2fa_for_admins": False},
    {"lan_networks": ["0.0.0.0/0"]},
    {"trusted_proxies": ["0.0.0.0/0"]},
    {"allowed_hosts": ["*"]},
    {"remote_access": True, "secure_connections": "disabled"},
    # Discovery is this machine's presence on its own network: only changed there.
    {"lan_discovery": True},
]


def test_dangerous_settings_changes_are_refused_to_a_link_holding_every_scope(linked: Linked) -> None:
    home, away, _, on_away = linked
    grant(away, on_away, ALL_SCOPES)
    port = listening(away)
    before = dict(away.server.services.settings.values)
    for number, changes in enumerate(DANGEROUS_CHANGES):
        body = {
            "request_id": f"request-{number:04d}",
            "idempotency_key": f"key-{number:08d}",
            "changes": changes,
        }
        raw = json.dumps(body).encode()
        status, answer = call(port, "PATCH", "/peer/v1/settings", raw, home.server.peering.identity)
        assert status == 403, (changes, status, answer)
    assert dict(away.server.services.settings.values) == before
    # The same link may still make a harmless change: the refusals above were the changes', not the link's.
    harmless = {
        "request_id": "request-harmless",
        "idempotency_key": "key-harmless",
        "changes": {"server_name": "Away"},
    }
    status, answer = call(
        port, "PATCH", "/peer/v1/settings", json.dumps(harmless).encode(), home.server.peering.identity
    )
    assert status == 200, answer
