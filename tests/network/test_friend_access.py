"""Remote Access works with the README's command, and the privacy report says what still stops a friend."""

from __future__ import annotations

import http.client
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

from reelhouse.config import DEFAULT_HTTPS_PORT, load_config
from reelhouse.domain.access import Role, system_actor
from reelhouse.services.privacy import Listener, friend_access
from tests.cli.test_cli import reelhouse
from tests.cli.test_running_server import start_serve
from tests.harness import RunningServer
from tests.network.conftest import REMOTE, configure
from tests.verification.process import free_port


def test_https_is_on_by_default_at_the_documented_port_and_off_only_when_asked(tmp_path: Path) -> None:
    empty = tmp_path / "config.toml"
    empty.write_text("")
    assert load_config(empty, environ={}).https_port == DEFAULT_HTTPS_PORT == 8920
    assert load_config(empty, environ={"REELHOUSE_HTTPS_PORT": "off"}).https_port is None
    empty.write_text('https_port = "off"\n')
    assert load_config(empty, environ={}).https_port is None


def test_remote_access_on_lets_a_client_outside_the_home_network_reach_sign_in_over_https(
    tmp_path: Path,
) -> None:
    """The issue's acceptance point: the README's serve command (no HTTPS option), then Remote Access on."""
    data = tmp_path / "d"
    changed = reelhouse(data, "settings", "set", "remote_access=true", "lan_networks=127.0.0.1/32")
    assert changed.returncode == 0, changed.stderr
    http_port = free_port()
    proc = start_serve(data, "--host", "127.0.0.1", "--port", str(http_port))
    try:
        _wait_for_listeners(proc, http_port, DEFAULT_HTTPS_PORT)
        outside = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30, source_address=(REMOTE, 0))
        outside.request("GET", "/")
        moved = outside.getresponse()
        moved.read()
        outside.close()
        assert moved.status == 308
        assert moved.getheader("Location") == f"https://127.0.0.1:{DEFAULT_HTTPS_PORT}/"
        # Verified for real: the chain against the server's own CA, and the name against the address.
        trust = ssl.create_default_context(cafile=str(data / "certificates" / "ca.pem"))
        secure = http.client.HTTPSConnection(
            "127.0.0.1", DEFAULT_HTTPS_PORT, timeout=30, context=trust, source_address=(REMOTE, 0)
        )
        secure.request("GET", "/")
        page = secure.getresponse()
        body = page.read().decode()
        secure.close()
        assert page.status == 200
        assert "/static/app.js" in body
        secure = http.client.HTTPSConnection(
            "127.0.0.1", DEFAULT_HTTPS_PORT, timeout=30, context=trust, source_address=(REMOTE, 0)
        )
        secure.request("GET", "/api/setup")
        assert secure.getresponse().status == 200
        secure.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def _wait_for_listeners(proc: subprocess.Popen[str], *ports: int) -> None:
    deadline = time.monotonic() + 60
    waiting = list(ports)
    while waiting and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        try:
            with socket.create_connection(("127.0.0.1", waiting[0]), timeout=1):
                waiting.pop(0)
        except OSError:
            time.sleep(0.05)
    assert not waiting, f"serve never opened a listener on port {waiting[0]}"


def _friend(server: RunningServer) -> dict[str, object]:
    facts = server.owner().get("/api/privacy").json()["facts"]
    found: dict[str, object] = next(f for f in facts if f["topic"] == "friend_access")
    return found


def _checks(fact: dict[str, object]) -> dict[str, str]:
    detail = fact["detail"]
    assert isinstance(detail, dict)
    return {b["check"]: b["sentence"] for b in detail["blockers"]}


def test_the_report_says_what_stops_a_friend_on_a_server_without_https(server: RunningServer) -> None:
    user_id = server.create_user("stayhome", Role.MEMBER)
    users = server.server.services.users
    assert users is not None
    users.update(system_actor("test"), user_id, grants={"may_connect_remotely": False})
    # The harness binds plain HTTP itself; note the listener as open_listeners would.
    server.server.listeners.append(Listener("http", "127.0.0.1", server.port))
    checks = _checks(_friend(server))
    assert set(checks) == {
        "remote_access",
        "https_listener",
        "public_url",
        "port_forward",
        "remote_permission",
    }
    assert "Enable remote access" in checks["remote_access"]
    assert (
        "No HTTPS listener is open" in checks["https_listener"] and "https_port" in checks["https_listener"]
    )
    assert "Public URLs" in checks["public_url"]
    assert "forward TCP port 8920" in checks["port_forward"]
    assert "1 account (stayhome)" in checks["remote_permission"]
    configure(server, remote_access=True)
    facts = {f["topic"]: f for f in server.owner().get("/api/privacy").json()["facts"]}
    # On, but nothing outside can be served: the report no longer claims that it is.
    assert facts["remote_access"]["finding"].startswith("on, but no HTTPS listener is open")
    assert "remote_access" not in _checks(facts["friend_access"])


def test_the_report_names_an_https_listener_on_this_machine_only(tls_server: RunningServer) -> None:
    configure(tls_server, remote_access=True, public_urls=["https://media.example:8920"])
    checks = _checks(_friend(tls_server))
    assert set(checks) == {"https_listener", "port_forward"}
    assert "this machine only" in checks["https_listener"] and "0.0.0.0" in checks["https_listener"]
    assert f"forward TCP port {tls_server.https_port}" in checks["port_forward"]


def test_nothing_stops_a_friend_once_every_step_is_done() -> None:
    values = {
        "remote_access": True,
        "public_urls": ("https://media.example:8920",),
        "trusted_proxies": (),
        "port_mapping": True,
    }
    listeners = [Listener("http", "0.0.0.0", 8096), Listener("https", "0.0.0.0", 8920)]
    ready = friend_access(values, listeners, forwarded=True, router="forwarded", home_only=[])
    assert ready.detail == {"ready": True, "blockers": []}
    assert "https://media.example:8920" in ready.finding
    stopped = friend_access(values, [], forwarded=False, router="", home_only=[])
    assert [b["check"] for b in stopped.detail["blockers"]] == ["not_running", "port_forward"]
