"""Supply chain: known vulnerabilities in the pinned dependencies (pip-audit, else PyPI's advisories for the
newest release) and high-severity findings in our own code (bandit). A pin that no source can vouch for fails,
unless HELD_BACK says why it cannot move; the run prints how many pins were really audited."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

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


@dataclass(frozen=True)
class Held:
    """A pin reviewed as unable to be the newest release, and so not auditable where only the newest is."""

    version: str
    reason: str
    # The Python whose support would let the newest release in; None when the package index is the obstacle.
    needs_python: str | None = None


# Reviewed: each entry must still be true (the pin, the reason) or the test below fails and asks for a bump.
HELD_BACK = {
    "av": Held("18.1.0", "PyAV 19 requires Python 3.12 and this project runs on 3.11", needs_python="3.12"),
}


@dataclass(frozen=True)
class Audit:
    pin: str
    source: str | None  # "pip-audit", "project JSON", "per-version JSON"; None: not auditable here
    advisories: tuple[str, ...] = ()


def _open_json(url: str, accept: str = "application/json") -> Any:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


@functools.cache
def _project(name: str) -> Any:
    return _open_json(f"{PYPI}/{name}/json")


def _version_json(name: str, version: str) -> Any | None:
    try:
        return _open_json(f"{PYPI}/{name}/{version}/json")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def _ids(vulnerabilities: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(vuln["id"] for vuln in vulnerabilities)


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
        pytest.fail(f"pip-audit could not run its audit: {run.stderr.strip().splitlines()[-1:]}")
    return {_normal(d["name"]): d for d in report["dependencies"]}


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _audit(pin: str, pip_audit: dict[str, dict[str, Any]]) -> Audit:
    """pip-audit's per-version answer where it has one; else PyPI's project JSON, which lists the advisories
    of the newest release only and so answers for a pin only when the pin is the newest."""
    name, version = _split(pin)
    found = pip_audit.get(_normal(name))
    assert found is not None, f"pip-audit reported nothing for {pin}"
    if not found.get("skip_reason"):
        assert found["version"] == version
        return Audit(pin, "pip-audit", _ids(found.get("vulns", [])))
    project = _project(name)
    newest = project["info"]["version"]
    if newest == version:
        return Audit(pin, "project JSON", _ids(project.get("vulnerabilities", [])))
    assert name in HELD_BACK, (
        f"{pin} is not the newest release ({newest}), so no advisory source here can vouch for it: "
        "bump the pin, or add it to HELD_BACK with the reason it cannot move"
    )
    per_version = _version_json(name, version)
    if per_version is None:
        return Audit(pin, None)
    return Audit(pin, "per-version JSON", _ids(per_version.get("vulnerabilities", [])))


def test_the_project_json_lookup_reports_a_release_with_known_advisories() -> None:
    # pycrypto's last release (2.6.1, abandoned in 2013) carries public advisories: the lookup must see them.
    project = _project("pycrypto")
    assert project["info"]["version"] == "2.6.1"
    assert _ids(project["vulnerabilities"]) != ()


@pytest.mark.parametrize("pin", [pin for pin in _pins() if _split(pin)[0] not in HELD_BACK])
def test_pinned_dependency_has_no_known_vulnerability(pin: str, pip_audit: dict[str, dict[str, Any]]) -> None:
    audit = _audit(pin, pip_audit)
    assert audit.advisories == (), f"known vulnerabilities in {pin}: {list(audit.advisories)}"


@pytest.mark.parametrize("name", sorted(HELD_BACK))
def test_a_held_back_pin_still_has_its_reason(name: str, pip_audit: dict[str, dict[str, Any]]) -> None:
    held = HELD_BACK[name]
    pinned = dict(_split(pin) for pin in _pins())
    assert pinned.get(name) == held.version, (
        f"HELD_BACK reviews {name} {held.version}, the pin is {pinned.get(name)}"
    )
    newest = _project(name)["info"]["version"]
    assert newest != held.version, f"{name} {held.version} is the newest release now: drop it from HELD_BACK"
    if held.needs_python is not None:
        required = _project(name)["info"]["requires_python"] or ""
        running = ".".join(str(part) for part in sys.version_info[:3])
        assert not SpecifierSet(required).contains(running), (
            f"{name} {newest} installs on Python {running} ({required}): bump the pin"
        )
    else:
        simple = _open_json(f"https://pypi.org/simple/{name}/", "application/vnd.pypi.simple.v1+json")
        assert newest not in simple["versions"], f"the index serves {name} {newest} now: bump the pin"
    audit = _audit(f"{name}=={held.version}", pip_audit)
    assert audit.advisories == (), f"known vulnerabilities in held-back {audit.pin}: {list(audit.advisories)}"


def test_audit_covers_every_pin(
    pip_audit: dict[str, dict[str, Any]], request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    audits = [_audit(pin, pip_audit) for pin in _pins()]
    done = [audit for audit in audits if audit.source is not None]
    by = {source: sum(audit.source == source for audit in done) for source in ("pip-audit", "project JSON")}
    others = len(done) - sum(by.values())
    missing = [audit.pin for audit in audits if audit.source is None]
    summary = (
        f"supply chain: audited {len(done)} of {len(audits)} pins ({by['pip-audit']} by pip-audit, "
        f"{by['project JSON']} by the project JSON, {others} by per-version JSON); not auditable: "
        + (", ".join(f"{pin} ({HELD_BACK[_split(pin)[0]].reason})" for pin in missing) or "none")
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    # Past the capture, so the count shows in every run's log, not only when the test fails.
    with capsys.disabled():
        reporter.write_line("\n" + summary)
    # Only a reviewed hold may go unaudited; anything else failed in _audit above.
    assert {_split(pin)[0] for pin in missing} <= set(HELD_BACK), summary
    assert all(audit.advisories == () for audit in done), summary


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
