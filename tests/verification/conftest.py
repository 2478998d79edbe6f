"""Shared fixtures: one populated server per module, with an owner, an admin, a member and real media."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reelhouse.domain.access import Role
from tests.harness import Client, RunningServer
from tests.verification import media


@dataclass
class World:
    server: RunningServer
    owner: Client
    admin: Client
    member: Client
    library_id: str
    item_ids: list[str]
    media_root: Path


def wait_for_scan(client: Client, library_id: str, timeout: float = 60.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get(f"/api/libraries/{library_id}/scan")
        assert answer.status == 200, (answer.status, answer.body[:300])
        state = answer.json()
        if not state["running"]:
            return state  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"scan of {library_id} did not finish in {timeout}s")


def populate(server: RunningServer, media_root: Path) -> World:
    owner = server.owner()
    server.create_user("admin1", Role.ADMIN)
    server.create_user("member1", Role.MEMBER)
    admin = server.sign_in("admin1")
    member = server.sign_in("member1")
    template = media.movie(media_root / "Big Test (2001)" / "Big Test (2001).mp4")
    media.copies(template, [media_root / "Other Film (1999)" / "Other Film (1999).mp4"])
    answer = owner.post("/api/libraries", {"name": "Films", "kind": "movies", "paths": [str(media_root)]})
    assert answer.status == 201, answer.body
    library_id = answer.json()["id"]
    wait_for_scan(owner, library_id)
    items = owner.get(f"/api/libraries/{library_id}/items").json()["items"]
    return World(server, owner, admin, member, library_id, [i["id"] for i in items], media_root)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("world")
    server = RunningServer(base / "data")
    try:
        yield populate(server, base / "media")
    finally:
        server.stop()
