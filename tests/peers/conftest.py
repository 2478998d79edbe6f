"""Fixtures shared by the linked-server tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import RunningServer
from tests.peers.federation_kit import World, libraries, pair


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    away = RunningServer(tmp_path / "away", peer_port=0)
    home = RunningServer(tmp_path / "home", peer_port=0)
    try:
        on_home, on_away = pair(home, away)
        shared, private = libraries(away, tmp_path / "media")
        owner = home.owner()
        frank_id = home.create_user("frank")
        yield World(home, away, on_home, on_away, owner, home.sign_in("frank"), frank_id, shared, private)
    finally:
        home.stop()
        away.stop()


@pytest.fixture
def linked(tmp_path: Path) -> Iterator[tuple[RunningServer, RunningServer, str, str]]:
    """home and away, paired; the ids of away's link on home and home's link on away."""
    away = RunningServer(tmp_path / "away", peer_port=0)
    home = RunningServer(tmp_path / "home", peer_port=0)
    try:
        on_home, on_away = pair(home, away)
        yield home, away, on_home, on_away
    finally:
        home.stop()
        away.stop()
