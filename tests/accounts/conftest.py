"""Fixtures for the accounts tests: a running server, the CLI, and direct reads of the database file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import RunningServer

PASSWORD = "correct horse battery"


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path / "data")
    yield server
    server.stop()


def cli(
    data_dir: Path, *args: str, stdin: str | None = None, columns: int = 300
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELHOUSE_")}
    env.update(
        {"REELHOUSE_DEMO_LIBRARY": "false", "XDG_CONFIG_HOME": str(data_dir / "xdg"), "COLUMNS": str(columns)}
    )
    return subprocess.run(
        [sys.executable, "-m", "reelhouse.cli.main", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def sql(data_dir: Path, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read or change the server's SQLite file behind its back, as an attacker or a clock would."""
    with sqlite3.connect(data_dir / "reelhouse.db") as conn:
        rows = list(conn.execute(statement, params))
        conn.commit()
    return rows
