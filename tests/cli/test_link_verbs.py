"""`reelhouse link ...` in its own process, against servers running in this one: `create` shows a link the
running server answers on within seconds, `join` pairs with another server and prints the safety number both
sides share, `list` and `remove` manage the links, and bad input is an error line, never a traceback."""

from __future__ import annotations

import json
import time
from pathlib import Path

from reelhouse.domain.access import system_actor
from tests.cli.test_cli import reelhouse
from tests.harness import RunningServer
from tests.verification.process import free_port


def _listening(server: RunningServer, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while server.server.peer_port is None:
        assert time.monotonic() < deadline, "the peer listener did not open"
        time.sleep(0.05)
    return server.server.peer_port


def test_join_list_and_remove_from_the_cli(tmp_path: Path) -> None:
    away = RunningServer(tmp_path / "away", peer_port=0)
    try:
        issued = away.server.peering.issue_code(system_actor("test"))
        _listening(away)
        joined = reelhouse(tmp_path / "home", "link", "join", issued.link)
        assert joined.returncode == 0, joined.stderr
        (theirs,) = away.server.peering.links()
        assert f"Safety number {theirs.safety_number}" in joined.stdout
        assert "Linked with " in joined.stdout
        away_id = away.server.peering.identity.server_id
    finally:
        away.stop()
    listed = reelhouse(tmp_path / "home", "link", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (mine,) = json.loads(listed.stdout)
    assert mine["server_id"] == away_id and mine["safety_number"] == theirs.safety_number
    assert mine["scopes_from_peer"] == ["identity", "manage", "status", "users"]
    removed = reelhouse(tmp_path / "home", "link", "remove", mine["id"])
    assert removed.returncode == 0, removed.stderr
    assert json.loads(reelhouse(tmp_path / "home", "link", "list", "--json").stdout) == []


def test_create_shows_a_link_the_running_server_answers(tmp_path: Path) -> None:
    port = free_port()
    away = RunningServer(tmp_path / "away", peer_port=port)
    home = RunningServer(tmp_path / "home", peer_port=0)
    try:
        assert away.server.peer_port is None
        started = time.monotonic()
        made = reelhouse(
            tmp_path / "away",
            "link",
            "create",
            env={"REELHOUSE_PEER_PORT": str(port), "REELHOUSE_HOST": "127.0.0.1"},
        )
        assert made.returncode == 0, made.stderr
        assert "warning" not in made.stderr, made.stderr
        assert away.server.peer_port == port
        assert time.monotonic() - started < 30
        lines = dict(line.split(": ", 1) for line in made.stdout.splitlines() if ": " in line)
        assert len(lines["Code"]) == 14 and lines["Link"].startswith(
            f"reelhouse-pair:v1?addr=127.0.0.1:{port}&"
        )
        link = home.server.peering.dial(system_actor("test"), lines["Link"])
        (theirs,) = away.server.peering.links()
        assert link.safety_number == theirs.safety_number
    finally:
        home.stop()
        away.stop()


def test_bad_input_is_an_error_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    unreachable = f"reelhouse-pair:v1?addr=127.0.0.1:{free_port()}&code=482177301195"
    for args in (
        ("link", "join", "not a link"),
        ("link", "join", unreachable),
        ("link", "remove", "no-such-link"),
    ):
        answer = reelhouse(tmp_path / "d", *args)
        assert answer.returncode != 0, args
        assert answer.stderr.startswith("error: "), answer.stderr
        assert "Traceback" not in answer.stderr + answer.stdout, answer.stderr
