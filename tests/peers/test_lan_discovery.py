"""LAN discovery (issue 18, design: "mDNS only suggests addresses, never identity"). The two servers run in
a network namespace of their own (tests/peers/lan_kit.py under ``unshare --net``), so no multicast from this
test reaches the host's network and this process joins no multicast group."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reelhouse.services.lan_discovery import LanAnnouncer

# The kit drives Chromium (inside the namespace) for the Settings → Linked servers step.
pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]


def _run_kit() -> dict[str, Any]:
    done = subprocess.run(
        ["unshare", "--net", sys.executable, "-m", "tests.peers.lan_kit"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("LAN-KIT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    observed: dict[str, Any] = json.loads(lines[-1].removeprefix("LAN-KIT "))
    return observed


def test_a_waiting_code_is_suggested_on_the_lan_only_while_it_waits_and_only_when_allowed() -> None:
    seen = _run_kit()

    # The listing side with lan_discovery off does not even ask the network.
    assert seen["off_here"] == {"enabled": False, "servers": []}

    # While the code waits: the chosen name and the peer listener's address, and nothing that identifies.
    assert seen["while_waiting"]["servers"] == [
        {"name": "Holiday flat", "address": f"10.77.0.1:{seen['peer_port']}"}
    ]
    assert seen["server_id"] not in json.dumps(seen["while_waiting"])

    # Settings → Linked servers lists it; a pick fills in the address alone (no fingerprint, no trust), and
    # the code typed after it pairs. The code used up, the announcement is gone.
    address = f"10.77.0.1:{seen['peer_port']}"
    assert seen["browser"] == {
        "label": f"Holiday flat ({address})",
        "filled": f"reelhouse-pair:v1?addr={address}&code=",
        "errors": [],
    }
    assert seen["linked"] == ["Holiday flat"]
    assert seen["after_used"] == {"enabled": True, "servers": []}

    # Withdrawn: the goodbye records went out and a fresh browse finds nothing.
    assert seen["after_withdrawn"] == {"enabled": True, "servers": []}

    # With the setting off on the announcing side, a new code is not announced at all.
    assert seen["announcing_with_setting_off"] is False
    assert seen["setting_off"] == {"enabled": True, "servers": []}


def test_an_address_a_neighbour_cannot_reach_is_never_announced() -> None:
    # Nothing usable is left, so no mDNS socket is even opened here on the host.
    announcer = LanAnnouncer()
    announcer.sync(True, "Home", 8443, ["127.0.0.1", "::1", "0.0.0.0", "224.0.0.251", "not an address"])
    assert announcer.announcing is False
