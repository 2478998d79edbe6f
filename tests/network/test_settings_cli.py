"""`reelhouse settings set` is all or nothing and lists every problem, contradictions included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def reelhouse(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELHOUSE_")}
    env.update(
        {"REELHOUSE_DEMO_LIBRARY": "false", "XDG_CONFIG_HOME": str(data_dir / "xdg"), "COLUMNS": "300"}
    )
    return subprocess.run(
        [sys.executable, "-m", "reelhouse.cli.main", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


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
