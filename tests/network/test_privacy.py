"""The privacy report states what the server checked: listeners, TLS, remote accounts, invitations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from reelhouse.domain.access import Role
from tests.harness import RunningServer
from tests.network.conftest import configure


def _facts(client_answer: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(f["topic"]): f for f in client_answer}


def test_privacy_report_states_listeners_tls_and_remote_accounts(tls_server: RunningServer) -> None:
    owner = tls_server.owner()
    tls_server.create_user("guest", Role.MEMBER)
    facts = _facts(owner.get("/api/privacy").json()["facts"])
    assert str(facts["remote_access"]["finding"]).startswith("off")
    listeners = facts["listeners"]["detail"]["listeners"]  # type: ignore[index]
    assert {(item["scheme"], item["port"]) for item in listeners} == {
        ("http", tls_server.port),
        ("https", tls_server.https_port),
    }
    assert facts["listeners"]["detail"]["reachable_beyond_this_machine"] is False  # type: ignore[index]
    fingerprint = owner.get("/api/certificate").json()["fingerprint_sha256"]
    assert fingerprint in str(facts["tls"]["finding"])
    names = {a["username"] for a in facts["remote_accounts"]["detail"]["accounts"]}  # type: ignore[index]
    assert names == {"owner", "guest"}
    assert facts["open_invitations"]["detail"]["count"] == 0  # type: ignore[index]
    configure(tls_server, remote_access=True, public_urls=["https://media.example"])
    facts = _facts(owner.get("/api/privacy").json()["facts"])
    assert str(facts["remote_access"]["finding"]).startswith("on")
    assert "https://media.example" in str(facts["public_urls"]["finding"])


def test_privacy_report_is_for_admins_only(server: RunningServer) -> None:
    server.create_user("member", Role.MEMBER)
    assert server.sign_in("member").get("/api/privacy").status == 403
    assert server.anonymous().get("/api/privacy").status == 401


def test_privacy_cli_reports_no_listener_when_the_server_is_not_running(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELHOUSE_")}
    env.update(
        {"REELHOUSE_DEMO_LIBRARY": "false", "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "REELHOUSE_PORT": "1"}
    )
    result = subprocess.run(
        [sys.executable, "-m", "reelhouse.cli.main", "privacy", "--json", "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    facts = {f["topic"]: f for f in json.loads(result.stdout)}
    assert facts["listeners"]["finding"] == "no listener is open"
    assert facts["remote_access"]["finding"].startswith("off")
