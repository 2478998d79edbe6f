"""The npm `subsonic-api` package (pinned in tests/clients/package.json), run by Node as web and Node music apps
run it: with an apiKey over POST forms, and with token auth and an app password over GET."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.compat.subsonic.conftest import World

CLIENTS = Path(__file__).resolve().parents[2] / "clients"
NODE = shutil.which("node") or "/usr/bin/node"


def _node(world: World, *credentials: str) -> dict[str, Any]:
    run = subprocess.run(
        [NODE, str(CLIENTS / "subsonic_api.mjs"), f"http://127.0.0.1:{world.server.port}", *credentials],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    found: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize("how", ["apiKey", "token"])
def test_the_npm_client_browses_searches_streams_stars_scrobbles_and_keeps_playlists(
    world: World, how: str
) -> None:
    credentials = (world.keys["member"],) if how == "apiKey" else ("member", world.app_passwords["member"])
    seen = _node(world, *credentials)
    assert seen["ping"] is True
    # The member's music folders only: not the private music library, not the film library.
    assert seen["folders"] == ["Music"]
    assert seen["artists"] == ["Ana", "The Zeds"]
    assert seen["albums"] == ["Blue"] and seen["albumCreatedIsDate"] is True
    assert seen["songs"] == ["First Light", "Second Wind"]
    assert seen["search"] == ["Second Wind"]
    original = next(world.root.rglob("01 First.mp3")).read_bytes()
    assert seen["stream"]["sha256"] == hashlib.sha256(original).hexdigest()
    assert seen["stream"]["length"] == len(original)
    assert seen["cover"]["type"].startswith("image/") and seen["cover"]["length"] > 100
    assert "First Light" in seen["starred"]
    assert seen["playCount"] >= 1
    assert seen["playlist"] == {"name": "From Node", "songs": ["First Light", "Second Wind"], "count": 2}
    assert seen["deletedCode"] == 70
