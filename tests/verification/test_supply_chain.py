"""Supply chain: known vulnerabilities in the pinned dependencies (pip-audit) and high-severity
findings in our own code (bandit)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


PYPI = "https://pypi.org/pypi"


def _pins() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    assert all("==" in pin for pin in pins), "every dependency is pinned with =="
    return pins


def _split(pin: str) -> tuple[str, str]:
    name, version = pin.split("==")
    return name.split("[")[0].strip(), version.strip()


def test_every_dependency_is_pinned_exactly() -> None:
    assert len(_pins()) > 20


@pytest.fixture(scope="module")
def pip_audit(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """pip-audit's finding for each pin, by normalised name: one run for all of them."""
    tmp = tmp_path_factory.mktemp("pip-audit")
    requirements = tmp / "requirements.txt"
    requirements.write_text("\n".join(_pins()) + "\n")
    # --no-deps --disable-pip: audit exactly the pinned versions, without resolving or installing anything.
    exact = ["--no-deps", "--disable-pip", "--format", "json", "--progress-spinner", "off"]
    run = subprocess.run(
        [str(BIN / "pip-audit"), "-r", str(requirements), *exact, "--cache-dir", str(tmp / "cache")],
        capture_output=True,
        text=True,
        timeout=240,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.skip(f"pip-audit could not run its audit: {run.stderr.strip().splitlines()[-1:]}")
    return {_normal(d["name"]): d for d in report["dependencies"]}


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _newest_release_advisories(name: str, version: str) -> list[str]:
    """Where PyPI's per-version JSON is not served (pip-audit's source), the project's JSON still lists
    the advisories that affect its newest release; that answers for a pin only when the pin is the newest."""
    try:
        with urllib.request.urlopen(f"{PYPI}/{name}/json", timeout=30) as answer:
            project = json.load(answer)
    except OSError as exc:
        pytest.skip(f"{name} {version}: pip-audit could not reach PyPI, nor could the project JSON ({exc}).")
    newest = project["info"]["version"]
    if newest != version:
        pytest.skip(
            f"{name} {version} not audited: this registry serves advisories only for the newest release "
            f"({newest}), and pip-audit's per-version lookup is unavailable here."
        )
    return [vuln["id"] for vuln in project.get("vulnerabilities", [])]


def test_the_project_json_lookup_reports_a_release_with_known_advisories() -> None:
    # pycrypto's last release (2.6.1, abandoned in 2013) carries public advisories: the lookup must see them.
    assert _newest_release_advisories("pycrypto", "2.6.1") != []


@pytest.mark.parametrize("pin", _pins())
def test_pinned_dependency_has_no_known_vulnerability(pin: str, pip_audit: dict[str, dict[str, Any]]) -> None:
    name, version = _split(pin)
    found = pip_audit.get(_normal(name))
    assert found is not None, f"pip-audit reported nothing for {pin}"
    if found.get("skip_reason"):
        advisories = _newest_release_advisories(name, version)
    else:
        assert found["version"] == version
        advisories = [vuln["id"] for vuln in found.get("vulns", [])]
    assert advisories == [], f"known vulnerabilities in {pin}: {advisories}"


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
