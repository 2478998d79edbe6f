"""Two web nodes on one throwaway PostgreSQL, both listening for the other's changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import RunningServer


@pytest.fixture
def nodes(tmp_path: Path, postgres_url: str) -> Iterator[tuple[RunningServer, RunningServer]]:
    a = RunningServer(tmp_path / "a", database_url=postgres_url, cluster=True)
    try:
        b = RunningServer(tmp_path / "b", database_url=postgres_url, cluster=True)
    except BaseException:
        a.stop()
        raise
    try:
        for node in (a, b):
            assert node.server.cluster is not None
            assert node.server.cluster.listener.listening.wait(5)
        yield a, b
    finally:
        b.stop()
        a.stop()
