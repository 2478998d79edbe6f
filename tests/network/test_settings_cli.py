"""`reelhouse settings set` is all or nothing and lists every problem, contradictions included."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli_kit import run_verb, verb_env


def reelhouse(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The verb run in this process (tests/cli_kit.py)."""
    return run_verb([*args, "--data-dir", str(data_dir)], verb_env(data_dir))


def test_every_invalid_value_is_listed_and_nothing_is_saved(tmp_path: Path) -> None:
    result = reelhouse(
        tmp_path, "settings", "set", "server_name=Den", "lan_networks=10.0.0.0/33", "secure_connections=maybe",
        "nonsense=1",
    )  # fmt: skip
    assert result.returncode != 0
    out = result.stdout + result.stderr
    for name in ("lan_networks", "secure_connections", "nonsense"):
        assert name in out, out
    shown = reelhouse(tmp_path, "settings", "show").stdout
    assert "Den" not in shown


def test_contradictory_combination_is_refused_whole(tmp_path: Path) -> None:
    result = reelhouse(tmp_path, "settings", "set", "remote_access=true", "secure_connections=disabled")
    assert result.returncode != 0
    assert "secure connections" in result.stdout + result.stderr
    shown = reelhouse(tmp_path, "settings", "show").stdout
    assert "disabled" not in shown


def test_valid_batch_is_saved_together(tmp_path: Path) -> None:
    result = reelhouse(
        tmp_path,
        "settings",
        "set",
        "remote_access=true",
        "trusted_proxies=127.0.0.9",
        "lan_networks=127.0.0.1/32",
    )
    assert result.returncode == 0, result.stderr
    shown = reelhouse(tmp_path, "settings", "show").stdout
    assert "127.0.0.9/32" in shown and "127.0.0.1/32" in shown
