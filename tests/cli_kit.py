"""Running `reelhouse` verbs in tests: inside this process through Typer's runner, or as a real process.

A new Python process spends over a second importing the server before a verb does anything, and the suite runs
a verb more than a hundred times; most tests only ask what the verb did, so they run it here (`run_verb`). What
only a real process shows (its exit status and streams as a shell sees them, another process's view of a
running server) keeps `run_verb_process`. Both answer a `CompletedProcess`, so a test reads either alike."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path

from typer.testing import CliRunner

# What `python -m reelhouse.cli.main` calls itself in a usage line.
PROG_NAME = "python -m reelhouse.cli.main"


def verb_env(data_dir: Path, columns: int = 300, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any REELHOUSE_ setting, as a verb run by a test should see it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELHOUSE_")}
    env.update(
        {"REELHOUSE_DEMO_LIBRARY": "false", "XDG_CONFIG_HOME": str(data_dir / "xdg"), "COLUMNS": str(columns)}
    )
    env.update(extra or {})
    return env


def run_verb_process(
    args: Sequence[str], env: Mapping[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reelhouse.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=120,
        check=False,
    )


def run_verb(
    args: Sequence[str], env: Mapping[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The verb run in this process, answered as its own process would: exit status, stdout, and stderr with
    its log lines and, for an exception the verb let escape, the traceback Python would have printed."""
    from reelhouse.cli import common
    from reelhouse.cli.main import app

    changed: dict[str, str | None] = {k: None for k in os.environ if k not in env}
    changed.update({k: v for k, v in env.items() if os.environ.get(k) != v})
    # The consoles were made at import, before this verb's COLUMNS: give them its width as a new process would.
    width = int(env.get("COLUMNS", "80"))
    common.console.width = width
    common.errors.width = width
    # The verb configures logging to its stderr; this process's handlers stand aside meanwhile, so that
    # basicConfig takes effect as in a fresh process and pytest's own handlers are put back afterwards.
    root = logging.getLogger()
    alembic = logging.getLogger("alembic")
    saved = (root.handlers[:], root.level, alembic.level)
    root.handlers.clear()
    try:
        result = CliRunner().invoke(app, list(args), input=stdin, env=changed, prog_name=PROG_NAME)
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        alembic.setLevel(saved[2])
    stderr = result.stderr
    code = result.exit_code
    # The runner keeps an escaped exception instead of printing it; an exit, even with status 0, is not one.
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
        code = 1
    return subprocess.CompletedProcess([PROG_NAME, *args], code, result.stdout, stderr)
