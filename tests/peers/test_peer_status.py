"""Linked servers asking each other for status over signed, pinned requests: Online with counts and no titles;
a replayed request refused; unlinking on one side shows as revoked on the other; another key at the address is
'identity changed' and stays so; a refused, blackholed or resetting address is unreachable within the connect
timeout, then asked again later and later; a signature beyond the clock skew is refused as `clock_skew`."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.domain.peers import ServerStatus
from reelhouse.services.peer_signing import sign_request
from tests.harness import RunningServer
from tests.peers.test_pairing_servers import listening

OWNER = system_actor("test")


def test_a_linked_server_is_online_with_counts_and_nothing_more(
    linked: tuple[RunningServer, RunningServer, str, str], tmp_path: Path
) -> None:
    home, away, on_home, _ = linked
    (tmp_path / "films").mkdir()
    away.server.services.libraries.add(OWNER, "Secret Films", "movies", [str(tmp_path / "films")])
    view = home.server.peer_links.poll(on_home)
    assert view is not None and view.status is ServerStatus.ONLINE, view
    assert view.libraries == 1 and view.items == 0 and view.active_streams == 0
    assert view.remote_access is False and view.version and view.round_trip_ms is not None
    assert view.skew_ms is not None and abs(view.skew_ms) < 5000
    stored = (
        home.server.db.engine.connect()
        .exec_driver_sql("SELECT last_status FROM peer_links WHERE id = ?", (on_home,))
        .scalar_one()
    )
    assert "Secret Films" not in stored, "status carries counts, never names"


def test_a_replayed_signed_request_is_refused(linked: tuple[RunningServer, RunningServer, str, str]) -> None:
    import http.client
    import ssl

    home, away, _, _ = linked
    port = listening(away)
    identity = home.server.peering.identity
    url = f"https://127.0.0.1:{port}/peer/v1/status"
    headers = sign_request(identity.key, identity.fingerprint, "GET", url, b"", {"server": "status"})
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    answers = []
    for _ in range(2):
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        conn.request("GET", "/peer/v1/status", b"", headers)
        response = conn.getresponse()
        answers.append((response.status, json.loads(response.read())))
        conn.close()
    assert answers[0][0] == 200 and answers[0][1]["protocol"] == 1
    assert answers[1][0] == 401 and answers[1][1]["error"] == "replay"


def test_an_unsigned_or_unknown_request_is_refused(
    linked: tuple[RunningServer, RunningServer, str, str], tmp_path: Path
) -> None:
    import http.client
    import ssl

    from reelhouse.services.peer_identity import load_identity

    _, away, _, _ = linked
    port = listening(away)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    stranger = load_identity(tmp_path / "stranger")
    url = f"https://127.0.0.1:{port}/peer/v1/status"
    for headers in ({}, sign_request(stranger.key, stranger.fingerprint, "GET", url, b"", {})):
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        conn.request("GET", "/peer/v1/status", b"", headers)
        response = conn.getresponse()
        body = json.loads(response.read())
        conn.close()
        assert response.status == 401, body
        assert "server_time" in body and "protocol" not in body


def test_unlinking_on_one_side_shows_as_revoked_on_the_other(
    linked: tuple[RunningServer, RunningServer, str, str],
) -> None:
    home, away, on_home, on_away = linked
    away.server.peering.remove(OWNER, on_away)
    view = home.server.peer_links.poll(on_home)
    assert view is not None and view.status is ServerStatus.REVOKED_BY_PEER


def test_another_key_at_the_address_is_identity_changed_and_stays_so(
    linked: tuple[RunningServer, RunningServer, str, str], tmp_path: Path
) -> None:
    home, _, on_home, _ = linked
    # Someone else now answers at the linked address, with a key of its own.
    impostor = RunningServer(tmp_path / "impostor", peer_port=0)
    try:
        impostor.server.peering.issue_code(OWNER)
        moved = json.dumps([f"127.0.0.1:{listening(impostor)}"])
        with home.server.db.begin() as conn:
            conn.exec_driver_sql("UPDATE peer_links SET addresses = ? WHERE id = ?", (moved, on_home))
        view = home.server.peer_links.poll(on_home)
        assert view is not None and view.status is ServerStatus.IDENTITY_CHANGED
        again = home.server.peer_links.poll(on_home)
        assert again is not None and again.status is ServerStatus.IDENTITY_CHANGED
    finally:
        impostor.stop()


def _reset_every_connection(hole: socket.socket) -> None:
    """Accept, then close with a zero linger: the dialer's TLS handshake meets a reset."""
    while True:
        try:
            conn, _ = hole.accept()
        except OSError:
            return
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()


@pytest.mark.parametrize("kind", ["refused", "blackhole", "reset"])
def test_a_down_server_is_unreachable_within_the_connect_timeout(
    linked: tuple[RunningServer, RunningServer, str, str], kind: str
) -> None:
    home, _away, on_home, _ = linked
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    if kind in ("blackhole", "reset"):
        hole.listen(1)  # a blackhole accepts into the backlog, never answers a byte of TLS
    if kind == "reset":
        threading.Thread(target=_reset_every_connection, args=(hole,), daemon=True).start()
    address = f"127.0.0.1:{hole.getsockname()[1]}"
    if kind == "refused":
        hole.close()
    with home.server.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE peer_links SET addresses = ? WHERE id = ?", (json.dumps([address]), on_home)
        )
    home.server.peer_links._connect_seconds = 1.0
    started = time.monotonic()
    view = home.server.peer_links.poll(on_home)
    took = time.monotonic() - started
    hole.close()
    assert view is not None and view.status is ServerStatus.UNREACHABLE and view.failing_since is not None
    assert took < 3.0, took


def test_an_unreachable_server_is_asked_again_later_and_later(
    linked: tuple[RunningServer, RunningServer, str, str],
) -> None:
    home, _away, on_home, _ = linked
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    address = f"127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    with home.server.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE peer_links SET addresses = ? WHERE id = ?", (json.dumps([address]), on_home)
        )
    links = home.server.peer_links
    waits = []
    for _ in range(3):
        view = links.poll(on_home)
        assert view is not None and view.status is ServerStatus.UNREACHABLE
        waits.append(links._next_poll[on_home] - time.monotonic())
        assert on_home not in links.due()
    # A minute, then two, then four, each give or take 15 %: the doubling, not the jitter, sets the order.
    assert 50 < waits[0] < 70 and 100 < waits[1] < 140 and 200 < waits[2] < 280, waits


def test_a_signature_beyond_the_skew_is_refused_as_clock_skew_over_the_wire(
    linked: tuple[RunningServer, RunningServer, str, str],
) -> None:
    import datetime
    import http.client
    import ssl

    home, away, _, _ = linked
    port = listening(away)
    identity = home.server.peering.identity
    url = f"https://127.0.0.1:{port}/peer/v1/status"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    answers = {}
    for ahead in (90, -90, 200, -600):
        when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=ahead)
        headers = sign_request(
            identity.key, identity.fingerprint, "GET", url, b"", {"server": "status"}, when
        )
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        conn.request("GET", "/peer/v1/status", b"", headers)
        response = conn.getresponse()
        answers[ahead] = (response.status, json.loads(response.read()).get("error"))
        conn.close()
    assert answers[90][0] == answers[-90][0] == 200, answers
    assert answers[200] == answers[-600] == (401, "clock_skew"), answers
