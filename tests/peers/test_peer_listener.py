"""The peer listener itself: closed until a code waits, behind the network gate (a remote peer with Remote
Access off gets no TLS handshake at all), every route but pairing refuses an unsigned request, and oversized or
malformed frames get a clean 4xx that quotes nothing back."""

from __future__ import annotations

import gc
import http.client
import json
import socket
import ssl
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.domain.peers import LinkAccess
from reelhouse.services.pairing_protocol import Initiator
from reelhouse.services.peer_identity import load_identity
from reelhouse.web.peer_api import PEER_ROUTES
from tests.harness import RunningServer
from tests.peers.test_pairing_servers import listening

OWNER = system_actor("test")


@pytest.fixture
def away(tmp_path: Path) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path / "away", peer_port=0)
    try:
        yield server
    finally:
        server.stop()


def _context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


def ask(port: int, method: str, path: str, body: bytes = b"", source: str = "127.0.0.1") -> tuple[int, dict]:
    conn = http.client.HTTPSConnection(
        "127.0.0.1", port, context=_context(), timeout=10, source_address=(source, 0)
    )
    try:
        conn.request(method, path, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_the_listener_opens_only_once_a_code_waits(away: RunningServer) -> None:
    assert away.server.peer_port is None
    away.server.peering.issue_code(OWNER)
    assert listening(away) > 0


def test_every_route_but_pairing_refuses_an_unsigned_request(away: RunningServer) -> None:
    away.server.peering.issue_code(OWNER)
    port = listening(away)
    checked = 0
    for route in PEER_ROUTES:
        if route.needs is LinkAccess.PAIRING:
            continue
        path = route.path.replace("{", "").replace("}", "")
        status, body = ask(port, route.method, path, b"{}" if route.method != "GET" else b"")
        assert status == 401, (route.path, status, body)
        assert body["error"] in ("bad_signature", "unknown_link"), body
        checked += 1
    assert checked >= 1


def test_oversized_and_malformed_frames_get_a_clean_4xx(away: RunningServer) -> None:
    away.server.peering.issue_code(OWNER)
    port = listening(away)
    marker = "<script>quoted-back</script>"
    for body in (
        b"x" * (70 * 1024),
        f"{{not json {marker}".encode(),
        b"[1,2]",
        json.dumps({"v": 9}).encode(),
    ):
        status, answer = ask(port, "POST", "/peer/v1/pair/start", body)
        assert 400 <= status < 500, (status, answer)
        assert marker not in json.dumps(answer) and "Traceback" not in json.dumps(answer)


def test_a_remote_peer_gets_no_handshake_while_remote_access_is_off(away: RunningServer) -> None:
    # The home network is 127.0.0.1 alone, so 127.0.0.9 dials from outside.
    away.server.services.settings.apply(OWNER, {"lan_networks": ["127.0.0.1/32"]})
    away.server.peering.issue_code(OWNER)
    port = listening(away)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.9", 0))
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        with _context().wrap_socket(raw) as tls:
            tls.getpeercert(binary_form=True)
    raw.close()


def test_the_eleventh_pairing_start_in_a_minute_from_one_address_is_a_429_for_that_address_alone(
    away: RunningServer,
) -> None:
    away.server.peering.issue_code(OWNER)
    port = listening(away)
    frame = json.dumps({"v": 1, "pairing_id": "p" * 22}).encode()
    statuses = [ask(port, "POST", "/peer/v1/pair/start", frame)[0] for _ in range(11)]
    assert 429 not in statuses[:10] and statuses[10] == 429, statuses
    # Another address still gets its answer (no code waits any more, since the first attempt took it).
    assert ask(port, "POST", "/peer/v1/pair/start", frame, source="127.0.0.2")[0] == 404


def test_a_guesser_on_another_address_gets_one_attempt_and_the_code_dies(
    away: RunningServer, tmp_path: Path
) -> None:
    issued = away.server.peering.issue_code(OWNER)
    port = listening(away)
    guess = f"{(int(issued.code.replace('-', '')) + 7) % 10**12:012d}"
    guesser = Initiator(guess, load_identity(tmp_path / "guesser").spki)
    away_fp = away.server.peering.identity.fingerprint
    start = json.dumps(guesser.start(away_fp)).encode()
    status, reply = ask(port, "POST", "/peer/v1/pair/start", start, source="127.0.0.2")
    assert status == 200, reply
    confirm = json.dumps(guesser.on_reply(reply)).encode()
    status, refused = ask(port, "POST", "/peer/v1/pair/confirm", confirm, source="127.0.0.2")
    assert status == 403, refused
    # The owner's server, with the right code next, finds it dead, and nothing was linked.
    right = Initiator(issued.code, load_identity(tmp_path / "home").spki)
    assert ask(port, "POST", "/peer/v1/pair/start", json.dumps(right.start(away_fp)).encode())[0] == 404
    assert away.server.peering.links() == []


def test_stopping_leaves_no_socket_open_for_a_client_that_stays_silent(tmp_path: Path) -> None:
    """A client that keeps its connection and never answers the TLS close: the server's stop still closes its end.
    The peer listener's connections used to be noted only after the step that aborts the noted ones had run, so
    such a socket stayed open for ever and surfaced as a ResourceWarning in whichever test collected it."""
    server = RunningServer(tmp_path / "alone", peer_port=0)
    try:
        server.server.peering.issue_code(OWNER)
        port = listening(server)
        client = _context().wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5))
        client.sendall(b"GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert client.recv(12).startswith(b"HTTP/1.1")
    finally:
        server.stop()
    del server
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gc.collect()
    finally:
        client.close()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
