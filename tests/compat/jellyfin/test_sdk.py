"""Jellyfin's own TypeScript SDK (@jellyfin/sdk, as the TypeScript apps use it) against a real server:
discovery, sign-in by name, views, items, PlaybackInfo, and the stream URL it builds, played by ffprobe."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.jellyfin.media_world import World, build

CLIENTS = Path(__file__).resolve().parents[2] / "clients"
NODE = shutil.which("node") or "/usr/bin/node"
FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build(tmp_path_factory.mktemp("jellyfin-sdk"))
    yield made
    made.server.stop()


def _sdk(world: World, username: str, password: str = "correct horse battery") -> dict[str, object]:
    run = subprocess.run(
        [NODE, str(CLIENTS / "jellyfin_sdk.mjs"), world.url, username, password],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    found: dict[str, object] = json.loads(run.stdout.strip().splitlines()[-1])
    return found


def test_the_sdk_signs_in_browses_negotiates_and_plays(world: World) -> None:
    seen = _sdk(world, "member")
    assert seen["discovered"] == world.url
    assert seen["product"] == "Jellyfin Server"
    # Apps keep a sign-in only when its server id is the one discovery reported.
    assert seen["authServerId"] == seen["serverId"]
    assert seen["user"] == "member"
    assert sorted(seen["views"]) == [["Films", "movies"], ["Music", "music"]]  # type: ignore[type-var]
    # The member is not given the private library: its film is not listed.
    assert seen["items"] == ["Film", "Other"] and seen["total"] == 2
    assert seen["directPlay"] is True and seen["container"] == "mp4"
    probe = subprocess.run(
        [FFPROBE, "-v", "error", "-print_format", "json", "-show_streams", str(seen["streamUrl"])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert {s["codec_name"] for s in json.loads(probe.stdout)["streams"]} >= {"h264", "aac"}


def test_a_wrong_password_fails_in_the_sdk(world: World) -> None:
    run = subprocess.run(
        [NODE, str(CLIENTS / "jellyfin_sdk.mjs"), world.url, "member", "not it"],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0 and "401" in run.stderr
