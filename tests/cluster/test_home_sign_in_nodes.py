"""With `cluster` on, Sign in with Home's flows under way live in PostgreSQL: a friend's browser may start
signing in on one web node and come back from home to another (issue #19)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from reelhouse.errors import TooManyRequests
from reelhouse.persistence.cluster import libpq_url
from reelhouse.persistence.database import Database
from reelhouse.services import home_sign_in_shared
from reelhouse.services.home_sign_in_shared import SharedKept
from tests.harness import RunningServer
from tests.peers.federation_kit import OWNER, World, libraries, pair, share
from tests.peers.test_home_sign_in import approve, callback, redirect_of, session_of, start

pytestmark = pytest.mark.cluster


@pytest.fixture
def two_node_world(tmp_path: Path, postgres_url: str) -> Iterator[tuple[World, RunningServer]]:
    """Home (one server) linked with a cluster whose node A paired; node B shares A's database and peer key,
    as every node of a cluster must."""
    a = RunningServer(tmp_path / "a", database_url=postgres_url, cluster=True, peer_port=0)
    home = RunningServer(tmp_path / "home", peer_port=0)
    servers = [home, a]
    try:
        on_home, on_away = pair(home, a)
        shutil.copytree(tmp_path / "a" / "peer", tmp_path / "b" / "peer")
        b = RunningServer(tmp_path / "b", database_url=postgres_url, cluster=True)
        servers.append(b)
        shared, private = libraries(a, tmp_path / "media")
        home.server.services.settings.apply(OWNER, {"public_urls": [f"http://127.0.0.1:{home.port}"]})
        frank_id = home.create_user("frank")
        world = World(
            home, a, on_home, on_away, home.owner(), home.sign_in("frank"), frank_id, shared, private
        )
        assert share(world, [shared]).status == 200
        yield world, b
    finally:
        for server in reversed(servers):
            server.stop()


def test_a_sign_in_with_home_started_on_one_node_finishes_on_the_other(
    two_node_world: tuple[World, RunningServer],
) -> None:
    world, b = two_node_world
    state, params = start(world)  # on node A
    back = redirect_of(approve(world, params))
    on_b = replace(world, away=b)
    there = session_of(on_b, callback(on_b, back, state))
    assert there is not None
    assert [lib["name"] for lib in there.get("/api/session").json()["libraries"]] == ["Shared Films"]
    # Used up on B, so A refuses the same answer from home.
    assert session_of(world, callback(world, back, state)) is None


def test_shared_entries_are_single_use_expire_and_are_bounded_per_link(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(home_sign_in_shared, "MAX_PENDING", 3)
    db = Database(postgres_url)
    db.migrate()
    try:
        # Two nodes' tables of flows.
        on_a, on_b = SharedKept(db, "flow"), SharedKept(db, "flow")
        for n in range(4):
            on_a.put(f"state-{n}", {"n": n}, 600, group="link-1")
        on_a.put("elsewhere", {"n": 9}, 600, group="link-2")
        assert on_b.peek("state-0") is None  # the link's oldest gave way; another link's entry did not
        assert on_b.peek("state-1") == {"n": 1}
        assert on_b.take("state-1") == {"n": 1}
        assert on_a.take("state-1") is None
        assert on_b.take("elsewhere") == {"n": 9}
        # Codes have no link: a full table refuses rather than drop one.
        codes = SharedKept(db, "code")
        for n in range(3):
            codes.put(f"code-{n}", {}, 60)
        with pytest.raises(TooManyRequests):
            codes.put("code-3", {}, 60)
        requests = SharedKept(db, "request")
        requests.put("expired", {"n": 1}, 0.0, group="link-1")
        assert requests.take("expired") is None
        # What browsers carry is not readable from the database.
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as conn:
            stored = conn.execute("SELECT key_hash FROM home_sign_ins").fetchall()
        assert stored and not any(row[0].startswith(("state", "code")) for row in stored)
    finally:
        db.close()
