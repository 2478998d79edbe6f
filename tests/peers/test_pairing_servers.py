"""Pairing two real servers over their peer listeners (TLS 1.3 on loopback): the honest run pins both sides
with the same safety number; a wrong code, a relaying man in the middle and a link naming another key all
fail; a code allows one attempt and expires; attempts are limited per address; the code never reaches a log."""

from __future__ import annotations

import http.client
import logging
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.domain.peers import LinkState, safety_number
from reelhouse.errors import InvalidInput, TooManyRequests
from reelhouse.services.pairing_protocol import PairingFailed
from reelhouse.services.peer_identity import load_identity
from tests.harness import RunningServer

OWNER = system_actor("test")


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[RunningServer, RunningServer]]:
    away = RunningServer(tmp_path / "away", peer_port=0)
    home = RunningServer(tmp_path / "home", peer_port=0)
    try:
        yield home, away
    finally:
        home.stop()
        away.stop()


def listening(server: RunningServer, timeout: float = 10.0) -> int:
    """The peer listener's port, once the settings tick has opened it for the waiting code."""
    deadline = time.monotonic() + timeout
    while server.server.peer_port is None:
        assert time.monotonic() < deadline, "the peer listener did not open"
        time.sleep(0.05)
    return server.server.peer_port


def code_for(away: RunningServer) -> tuple[str, str]:
    issued = away.server.peering.issue_code(OWNER)
    port = listening(away)
    return issued.code, f"127.0.0.1:{port}"


def typed(address: str, code: str, fp: str | None = None) -> str:
    tail = f"&fp={fp}" if fp else ""
    return f"reelhouse-pair:v1?addr={address}&code={code.replace('-', '')}{tail}"


def test_an_honest_pairing_links_both_servers_with_the_same_safety_number(
    pair: tuple[RunningServer, RunningServer], caplog: pytest.LogCaptureFixture
) -> None:
    home, away = pair
    caplog.set_level(logging.DEBUG)
    issued = away.server.peering.issue_code(OWNER)
    listening(away)
    assert issued.link.startswith("reelhouse-pair:v1?addr=")
    link = home.server.peering.dial(OWNER, issued.link)
    home_fp, away_fp = home.server.peering.identity.fingerprint, away.server.peering.identity.fingerprint
    assert link.fingerprint == away_fp and link.state is LinkState.ACTIVE
    (theirs,) = away.server.peering.links()
    assert theirs.fingerprint == home_fp
    assert link.safety_number == theirs.safety_number == safety_number(home_fp, away_fp)
    # Directional: home manages away; away only reads home's status and vouches for its users.
    assert {s.value for s in link.scopes_from_peer} == {"manage", "users", "status", "identity"}
    assert {s.value for s in link.scopes_to_peer} == {"status", "identity"}
    assert {s.value for s in theirs.scopes_to_peer} == {"manage", "users", "status", "identity"}
    assert {s.value for s in theirs.scopes_from_peer} == {"status", "identity"}
    for server in (home, away):
        report = server.server.services.audit.verify()
        assert report.state == "intact", report
        assert len(server.server.services.audit.entries(OWNER, "link.pair")) == 1
    digits = issued.code.replace("-", "")
    assert digits not in caplog.text and issued.code not in caplog.text
    # The code allowed one attempt: it is used now.
    with pytest.raises(InvalidInput, match="No pairing code"):
        home.server.peering.dial(OWNER, issued.link)


def test_a_wrong_code_burns_the_code(pair: tuple[RunningServer, RunningServer]) -> None:
    home, away = pair
    code, address = code_for(away)
    wrong = f"{(int(code.replace('-', '')) + 1) % 10**12:012d}"
    with pytest.raises(PairingFailed, match="The code is now void"):
        home.server.peering.dial(OWNER, typed(address, wrong))
    with pytest.raises(InvalidInput, match="No pairing code"):
        home.server.peering.dial(OWNER, typed(address, code))
    assert home.server.peering.links() == [] and away.server.peering.links() == []


class _Relay(ThreadingHTTPServer):
    """A man in the middle: terminates TLS with a key of its own and forwards each request unchanged."""

    def __init__(self, folder: Path, target_port: int, host: str = "127.0.0.1") -> None:
        identity = load_identity(folder)
        self.target_port = target_port
        super().__init__((host, 0), _RelayHandler)
        self.socket = identity.server_context().wrap_socket(self.socket, server_side=True)


class _RelayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        assert isinstance(self.server, _Relay)
        upstream = http.client.HTTPSConnection("127.0.0.1", self.server.target_port, context=context)
        upstream.request("POST", self.path, body, {"Content-Type": "application/json"})
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


def test_a_relaying_man_in_the_middle_fails_and_burns_the_code(
    pair: tuple[RunningServer, RunningServer], tmp_path: Path
) -> None:
    home, away = pair
    code, _address = code_for(away)
    relay = _Relay(tmp_path / "relay", listening(away))
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    try:
        with pytest.raises(PairingFailed, match="The code is now void"):
            home.server.peering.dial(OWNER, typed(f"127.0.0.1:{relay.server_address[1]}", code))
    finally:
        relay.shutdown()
        relay.server_close()
    assert home.server.peering.links() == [] and away.server.peering.links() == []
    with pytest.raises(InvalidInput, match="No pairing code"):
        home.server.peering.dial(OWNER, typed(f"127.0.0.1:{listening(away)}", code))


def test_a_link_naming_another_key_aborts_before_the_pake(
    pair: tuple[RunningServer, RunningServer], tmp_path: Path
) -> None:
    home, away = pair
    code, address = code_for(away)
    other = load_identity(tmp_path / "other").fingerprint
    with pytest.raises(PairingFailed, match="nothing was sent"):
        home.server.peering.dial(OWNER, typed(address, code, fp=other))
    # Nothing reached away: its code still waits, and the right link pairs.
    right = away.server.peering.identity.fingerprint
    assert home.server.peering.dial(OWNER, typed(address, code, fp=right)).fingerprint == right


def test_an_expired_code_is_refused(pair: tuple[RunningServer, RunningServer]) -> None:
    home, away = pair
    code, address = code_for(away)
    from reelhouse.persistence.peer_schema import pairing_codes

    with away.server.db.begin() as conn:
        conn.execute(pairing_codes.update().values(expires_at=time.time() - 1))
    with pytest.raises(InvalidInput, match="No pairing code"):
        home.server.peering.dial(OWNER, typed(address, code))


def test_two_attempts_at_once_pair_at_most_once(
    pair: tuple[RunningServer, RunningServer], tmp_path: Path
) -> None:
    home, away = pair
    code, address = code_for(away)
    third = RunningServer(tmp_path / "third", peer_port=0)
    outcomes: list[str] = []

    def attempt(server: RunningServer) -> None:
        try:
            server.server.peering.dial(OWNER, typed(address, code))
            outcomes.append("paired")
        except (InvalidInput, PairingFailed) as exc:
            outcomes.append(type(exc).__name__)

    try:
        threads = [threading.Thread(target=attempt, args=(s,)) for s in (home, third)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        third.stop()
    assert sorted(outcomes) == ["InvalidInput", "paired"], outcomes
    assert len(away.server.peering.links()) == 1


def test_the_eleventh_attempt_in_a_minute_from_one_address_is_refused(
    pair: tuple[RunningServer, RunningServer],
) -> None:
    home, away = pair
    _code, address = code_for(away)
    refused = 0
    for _ in range(11):
        try:
            home.server.peering.dial(OWNER, typed(address, "000000000000"))
        except TooManyRequests:
            refused += 1
        except (InvalidInput, PairingFailed):
            pass
    assert refused == 1
