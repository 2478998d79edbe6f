"""Settings saved by another process (the CLI) reach a running server without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import RunningServer
from tests.postgres import database_env


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path / "data")
    yield server
    server.stop()


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELHOUSE_")} | database_env()
    return subprocess.run(
        [sys.executable, "-m", "reelhouse.cli.main", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_settings_change_applies_to_the_running_server(running: RunningServer) -> None:
    owner = running.owner()
    assert owner.get("/api/settings").json()["values"]["server_name"] == "Reelhouse"
    assert _cli(running.data_dir, "settings", "set", "server_name=Den").returncode == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if owner.get("/api/server").json()["name"] == "Den":
            break
        time.sleep(0.2)
    assert owner.get("/api/server").json()["name"] == "Den"


def test_remote_access_turned_off_from_the_cli_refuses_remote_clients(running: RunningServer) -> None:
    owner = running.owner()
    answer = owner.request(
        "PATCH",
        "/api/settings",
        body={"values": {"lan_networks": ["127.0.0.1/32"], "remote_access": True}},
    )
    assert answer.status == 200, answer.body
    remote = running.anonymous(source="127.0.0.9")
    # Over plain HTTP a remote client is refused for want of TLS while remote access is on...
    assert remote.get("/api/setup").body == b"HTTPS required\n"
    assert _cli(running.data_dir, "settings", "set", "remote_access=false").returncode == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and remote.get("/api/setup").body != b"Forbidden\n":
        time.sleep(0.2)
    # ...and for being remote at all once the CLI turned remote access off.
    assert remote.get("/api/setup").body == b"Forbidden\n"
