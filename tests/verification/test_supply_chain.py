"""Supply chain: known vulnerabilities in the pinned dependencies (pip-audit) and high-severity
findings in our own code (bandit)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _pins() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    assert all("==" in pin for pin in pins), "every dependency is pinned with =="
    return pins


def test_pinned_dependencies_have_no_known_vulnerabilities(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(_pins()) + "\n")
    # --no-deps --disable-pip: audit exactly the pinned versions, without resolving or installing anything.
    exact = ["--no-deps", "--disable-pip", "--format", "json", "--progress-spinner", "off"]
    run = subprocess.run(
        [str(BIN / "pip-audit"), "-r", str(requirements), *exact, "--cache-dir", str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=240,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.skip(f"pip-audit could not run its audit: {run.stderr.strip().splitlines()[-1:]}")
    dependencies = report["dependencies"]
    vulnerable = {
        f"{d['name']} {d['version']}": [v["id"] for v in d.get("vulns", [])]
        for d in dependencies
        if d.get("vulns")
    }
    assert vulnerable == {}, f"known vulnerabilities in pinned dependencies: {vulnerable}"
    skipped = {d["name"]: d["skip_reason"] for d in dependencies if d.get("skip_reason")}
    if skipped:
        first = next(iter(skipped.values()))
        pytest.skip(
            f"pip-audit could not audit {len(skipped)} of {len(dependencies)} pins; its vulnerability "
            f"service (the PyPI JSON API) is not reachable from here. First reason: {first}"
        )


def test_bandit_finds_no_high_severity_issue_in_src() -> None:
    run = subprocess.run(
        [str(BIN / "bandit"), "-r", str(ROOT / "src"), "-lll", "-f", "json", "-q"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    report = json.loads(run.stdout)
    assert report["results"] == [], [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]
    ]
    assert report["metrics"]["_totals"]["loc"] > 1000, "bandit scanned the source tree"
