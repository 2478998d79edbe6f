"""Fixtures for the accounts tests: a running server, the CLI, direct reads of the database file, a trusted
proxy to play callers from anywhere, and a count of the server's password hash checks."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from reelhouse.domain.access import system_actor
from tests.cli_kit import run_verb, verb_env
from tests.harness import Answer, Client, RunningServer
from tests.postgres import database_env, exec_sql, raw_connection

PASSWORD = "correct horse battery"


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path / "data")
    yield server
    server.stop()


def cli(
    data_dir: Path, *args: str, stdin: str | None = None, columns: int = 300
) -> subprocess.CompletedProcess[str]:
    """The verb run in this process (tests/cli_kit.py), pointed at the chosen database."""
    env = verb_env(data_dir, columns, database_env())
    return run_verb([*args, "--data-dir", str(data_dir)], env, stdin)


def sql(data_dir: Path, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read or change the server's database behind its back, as an attacker or a clock would."""
    with raw_connection(data_dir) as conn:
        answer = exec_sql(conn, statement, *params)
        return [tuple(row) for row in answer] if answer.returns_rows else []


# A reverse proxy on the loopback that the server trusts: what it forwards decides where a caller is, so tests
# can play peers on the home network (192.168.x) and strangers on the internet (TEST-NET addresses).
PROXY = "127.0.0.9"


def behind_proxy(running: RunningServer) -> None:
    running.server.services.settings.apply(
        system_actor("test"), {"trusted_proxies": [f"{PROXY}/32"], "remote_access": True}
    )


def via_proxy(running: RunningServer, address: str, token: str | None = None) -> Client:
    return Client(
        running.port,
        token=token,
        source=PROXY,
        default_headers={"X-Forwarded-For": address, "X-Forwarded-Proto": "https"},
    )


def login(client: Client, username: str, password: str = PASSWORD) -> Answer:
    return client.post("/api/auth/login", {"username": username, "password": password})


class CountingHasher:
    """Stands in for the server's argon2 hasher: does the real work and notes each hash it verified against."""

    def __init__(self, real: PasswordHasher) -> None:
        self._real = real
        self._lock = threading.Lock()
        self.verified: list[str] = []

    def verify(self, stored: str, password: str) -> bool:
        with self._lock:
            self.verified.append(stored)
        return self._real.verify(stored, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def hash_checks(running: RunningServer) -> CountingHasher:
    """Every argon2 verification the running server does from now on."""
    passwords = running.server.services.accounts.passwords
    counting = CountingHasher(passwords._hasher)
    passwords._hasher = counting  # type: ignore[assignment]
    return counting
