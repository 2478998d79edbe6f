"""CLI verbs describe the running server (its live listeners), not the ports the config file names."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.services.listener_record import record_path, write_record
from reelhouse.services.privacy import Listener
from tests.cli.test_cli import reelhouse
from tests.verification.process import free_port


def _env(data_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("REELHOUSE_")}
    base.update(
        {"REELHOUSE_DEMO_LIBRARY": "false", "XDG_CONFIG_HOME": str(data_dir / "xdg"), "COLUMNS": "300"}
    )
    return base


def start_serve(data_dir: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reelhouse.cli.main", "serve", "--data-dir", str(data_dir), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(data_dir),
    )


def wait_for_record(proc: subprocess.Popen[str], data_dir: Path, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"serve exited with {proc.returncode}: {err[-2000:]}")
        try:
            document: dict[str, object] = json.loads(record_path(data_dir).read_text())
            return document
        except (OSError, ValueError):
            time.sleep(0.05)
    raise AssertionError("the server never recorded its listeners")


@pytest.fixture
def ports() -> tuple[int, int]:
    return free_port(), free_port()


@pytest.fixture
def running(tmp_path: Path, ports: tuple[int, int]) -> Iterator[subprocess.Popen[str]]:
    http_port, https_port = ports
    proc = start_serve(
        tmp_path / "d", "--host", "127.0.0.1", "--port", str(http_port), "--https-port", str(https_port)
    )
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=30)


def _listeners(data_dir: Path) -> tuple[set[tuple[str, int]], subprocess.CompletedProcess[str]]:
    result = reelhouse(data_dir, "privacy", "--json")
    assert result.returncode == 0, result.stderr
    facts = {f["topic"]: f for f in json.loads(result.stdout)}
    found = {(i["scheme"], i["port"]) for i in facts["listeners"]["detail"]["listeners"]}
    return found, result


def test_cli_verbs_read_the_listeners_of_a_server_started_with_ports_on_its_command_line(
    tmp_path: Path, ports: tuple[int, int], running: subprocess.Popen[str]
) -> None:
    data = tmp_path / "d"
    http_port, https_port = ports
    document = wait_for_record(running, data)
    assert document["pid"] == running.pid
    assert stat.S_IMODE(record_path(data).stat().st_mode) == 0o600

    found, _ = _listeners(data)
    assert found == {("http", http_port), ("https", https_port)}
    doctor = reelhouse(data, "doctor")
    assert doctor.returncode == 0, doctor.stderr
    assert f"http://127.0.0.1:{http_port}" in doctor.stdout
    assert f"https://127.0.0.1:{https_port}" in doctor.stdout
    assert "8096" not in doctor.stdout

    # No public URL: the link carries the live HTTP listener's address, which a home browser can open.
    invite = reelhouse(data, "invite", "create", "--libraries", "all")
    assert invite.returncode == 0, invite.stderr
    assert invite.stdout.startswith(f"http://127.0.0.1:{http_port}/invite#"), invite.stdout
    assert "not running" not in invite.stdout
    assert reelhouse(data, "settings", "set", "public_urls=https://media.example:8920").returncode == 0
    invite = reelhouse(data, "invite", "create", "--libraries", "all")
    assert invite.stdout.startswith("https://media.example:8920/invite#"), invite.stdout

    # kill -9: no clean shutdown, so the record stays behind and must be recognised as stale.
    running.send_signal(signal.SIGKILL)
    running.wait(30)
    assert record_path(data).exists()
    found, result = _listeners(data)
    assert found == set()
    assert "not running" in result.stderr
    doctor = reelhouse(data, "doctor")
    assert "not running" in doctor.stdout and f"127.0.0.1:{http_port}" not in doctor.stdout
    invite = reelhouse(data, "invite", "create", "--libraries", "all")
    assert invite.returncode == 0, invite.stderr
    assert "The server is not running" in invite.stdout and "reelhouse serve" in invite.stdout


def test_a_clean_shutdown_removes_the_record(tmp_path: Path, running: subprocess.Popen[str]) -> None:
    wait_for_record(running, tmp_path / "d")
    running.send_signal(signal.SIGTERM)
    assert running.wait(30) == 0
    assert not record_path(tmp_path / "d").exists()


def test_a_record_whose_pid_is_some_other_process_is_stale(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    # This test process is alive but is not `reelhouse serve`: a pid reused after a crash looks like this.
    write_record(data, [Listener("http", "127.0.0.1", free_port())], pid=os.getpid())
    found, result = _listeners(data)
    assert found == set()
    assert "The server is not running" in result.stderr
    invite = reelhouse(data, "invite", "create", "--libraries", "all")
    assert "The server is not running" in invite.stdout


@pytest.mark.parametrize("setting", ["port", "https_port"])
def test_a_taken_port_is_one_error_line_naming_its_setting(tmp_path: Path, setting: str) -> None:
    http_port, https_port = free_port(), free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", http_port if setting == "port" else https_port))
        taken.listen()
        proc = start_serve(
            tmp_path / "d", "--host", "127.0.0.1", "--port", str(http_port), "--https-port", str(https_port)
        )
        _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert f"'{setting}'" in err and "already in use" in err.lower(), err
    assert "Traceback" not in err
    assert not record_path(tmp_path / "d").exists()
