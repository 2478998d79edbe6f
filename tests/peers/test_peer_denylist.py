"""Design test 17: a removed link's key goes on a deny list on both servers. Its signed requests are refused
with that reason before anything else (even were the link row active again), and only a new pairing, with a
fresh code, lifts it."""

from __future__ import annotations

from reelhouse.domain.peers import LinkState
from tests.harness import RunningServer
from tests.peers.federation_kit import OWNER, pair
from tests.peers.signed_kit import call
from tests.peers.test_pairing_servers import listening

Linked = tuple[RunningServer, RunningServer, str, str]


def _status(server: RunningServer, by: RunningServer) -> tuple[int, dict[str, object]]:
    return call(listening(server), "GET", "/peer/v1/status", b"", by.server.peering.identity)


def _denied(server: RunningServer) -> list[tuple[str, str]]:
    with server.server.db.read() as conn:
        rows = conn.exec_driver_sql("SELECT fingerprint, reason FROM peer_denied_keys").all()
    return [(str(r[0]), str(r[1])) for r in rows]


def test_an_unlinked_key_is_denied_on_both_sides_until_a_new_code_pairs_again(linked: Linked) -> None:
    home, away, on_home, on_away = linked
    assert _status(away, home)[0] == 200
    home.server.peering.remove(OWNER, on_home)  # the farewell reaches away at once
    assert away.server.peering.link(on_away).state is LinkState.REVOKED_BY_PEER  # type: ignore[union-attr]
    home_fp, away_fp = home.server.peering.identity.fingerprint, away.server.peering.identity.fingerprint
    assert _denied(away) == [(home_fp, "revoked_by_peer")]
    assert _denied(home) == [(away_fp, "unlinked")]
    for server, by in ((away, home), (home, away)):
        status, said = _status(server, by)
        assert (status, said["error"]) == (401, "key_denied"), said

    # The deny list is asked first: a link row made active again behind its back does not let the key in.
    with away.server.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE peer_links SET state = ? WHERE id = ?", (LinkState.ACTIVE.value, on_away)
        )
    status, said = _status(away, home)
    assert (status, said["error"]) == (401, "key_denied"), said

    # Pairing again with a new code pins the key afresh and lifts the deny on both sides, for that key only.
    again_on_home, _ = pair(home, away)
    assert _denied(away) == [] and _denied(home) == []
    assert _status(away, home)[0] == 200 and _status(home, away)[0] == 200
    view = home.server.peer_links.poll(again_on_home)
    assert view is not None and view.status.value == "online", view
