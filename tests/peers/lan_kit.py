"""Run inside a fresh network namespace (tests/peers/test_lan_discovery.py starts it with ``unshare --net``):
two real servers, one announcing its waiting pairing code over mDNS and one listing it through
GET /api/links/nearby. Multicast stays in the namespace: the host's interfaces are not there to join.

Prints one JSON object of observations for the test to judge."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright

from tests.harness import Client, RunningServer
from tests.webapp.conftest import CHROMIUM, CHROMIUM_ARGS

ADDRESS = "10.77.0.1"
PASSWORD = "correct horse battery"


def _wire_namespace() -> None:
    # A veth pair is the smallest multicast-capable link (no dummy module is guaranteed); loopback alone
    # carries no multicast.
    for command in (
        "ip link set lo up",
        "ip link add rh0 type veth peer name rh1",
        f"ip addr add {ADDRESS}/24 dev rh0",
        "ip link set rh0 multicast on up",
        "ip link set rh1 up",
        "ip route add 224.0.0.0/4 dev rh0",
    ):
        subprocess.run(command.split(), check=True)


def _settings(owner: Client, values: dict[str, Any]) -> None:
    answer = owner.request("PATCH", "/api/settings", body={"values": values})
    assert answer.status == 200, answer.body


def _nearby(owner: Client) -> dict[str, Any]:
    answer = owner.get("/api/links/nearby")
    assert answer.status == 200, answer.body
    found: dict[str, Any] = answer.json()
    return found


def _until_announcing(server: RunningServer, wanted: bool) -> float:
    """The settings tick (2 s) moves the announcement; wait for it rather than sleep a guess."""
    start = time.monotonic()
    while server.server.lan.announcing is not wanted and time.monotonic() - start < 10:
        time.sleep(0.1)
    return time.monotonic() - start


def _pick_in_browser(home: RunningServer, token: str, code: str) -> dict[str, Any]:
    """Settings → Linked servers: look nearby, pick the suggestion, type the code after it, add the server."""
    base = f"http://127.0.0.1:{home.port}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.set_default_timeout(15_000)
            context.add_cookies([{"name": "reelhouse", "value": token, "url": base}])
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/#/settings/links")
            join = page.get_by_role("form", name="Add server")
            join.get_by_role("button", name="Look for servers nearby").click()
            suggestions = join.get_by_role("list", name="Servers nearby").get_by_role("button")
            expect(suggestions).to_have_count(1)
            label = suggestions.inner_text()
            suggestions.click()
            field = join.get_by_label("Link from the other server")
            filled = field.input_value()
            field.press_sequentially(code)
            join.get_by_label("Your password").fill(PASSWORD)
            join.get_by_role("button", name="Add server").click()
            expect(join.get_by_role("status")).to_have_text(
                re.compile(r"^Linked with Holiday flat\. Safety number")
            )
            return {"label": label, "filled": filled, "errors": errors}
        finally:
            browser.close()


def main() -> None:
    _wire_namespace()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        away = RunningServer(root / "away", peer_port=0, host=ADDRESS)
        home = RunningServer(root / "home", peer_port=0)
        try:
            away_owner, home_owner = away.owner(), home.owner()
            _settings(away_owner, {"server_name": "Holiday flat", "lan_discovery": True})
            out["off_here"] = _nearby(home_owner)
            _settings(home_owner, {"lan_discovery": True})

            made = away_owner.post("/api/links/code", {"password": PASSWORD})
            assert made.status == 201, made.body
            _until_announcing(away, True)
            out["peer_port"] = away.server.peer_port
            out["server_id"] = away.server.peering.identity.server_id
            out["while_waiting"] = _nearby(home_owner)

            # The suggestion carries only the address; the typed code is what pairs (and it uses the code up).
            out["browser"] = _pick_in_browser(home, home_owner.token or "", made.json()["code"])
            _until_announcing(away, False)
            out["after_used"] = _nearby(home_owner)
            out["linked"] = [link.name for link in home.server.peering.links()]

            made = away_owner.post("/api/links/code", {"password": PASSWORD})
            assert made.status == 201, made.body
            _until_announcing(away, True)

            withdrawn = away_owner.request("DELETE", "/api/links/code")
            assert withdrawn.status == 204, withdrawn.body
            _until_announcing(away, False)
            out["after_withdrawn"] = _nearby(home_owner)

            _settings(away_owner, {"lan_discovery": False})
            made = away_owner.post("/api/links/code", {"password": PASSWORD})
            assert made.status == 201, made.body
            # Two settings ticks: long enough for an announcement that should not happen.
            time.sleep(4.5)
            out["announcing_with_setting_off"] = away.server.lan.announcing
            out["setting_off"] = _nearby(home_owner)
        finally:
            home.stop()
            away.stop()
    print("LAN-KIT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
