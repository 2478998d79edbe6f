"""With `cluster` on, the per-address limit on starting Sign in with Home is counted in PostgreSQL
(services/shared_throttle.py: SharedWindow), so starts spread over the nodes meet one limit in all (issue #19)."""

from __future__ import annotations

import threading

import psycopg
import pytest

from reelhouse.errors import TooManyRequests
from reelhouse.persistence.cluster import libpq_url
from reelhouse.persistence.database import Database
from reelhouse.services.home_sign_in import STARTS_PER_MINUTE
from reelhouse.services.shared_throttle import SharedWindow
from tests.harness import RunningServer

pytestmark = pytest.mark.cluster


def test_starts_spread_over_two_nodes_meet_the_limit_at_the_same_total(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    strangers = [node.anonymous("127.0.0.57") for node in nodes]
    statuses = [
        strangers[n % 2].post("/api/auth/home/start", {"server": f"guess {n}"}).status
        for n in range(STARTS_PER_MINUTE + 1)
    ]
    # Each guess names no home server (422) until the address has started ten, on whichever node.
    assert statuses == [422] * STARTS_PER_MINUTE + [429]
    refused = strangers[0].post("/api/auth/home/start", {"server": "again"})
    assert refused.status == 429
    assert 1 <= int(refused.header("Retry-After") or 0) <= 60
    assert "wait a minute" in refused.json()["message"]
    # Another address has its own count.
    assert nodes[1].anonymous("127.0.0.58").post("/api/auth/home/start", {"server": "x"}).status == 422


def test_concurrent_starts_on_two_nodes_take_only_the_free_slots_and_slots_free_as_the_window_moves(
    postgres_url: str,
) -> None:
    db = Database(postgres_url)
    db.migrate()
    now = [1_000_000.0]
    on_a, on_b = (
        SharedWindow(db, "home-start", STARTS_PER_MINUTE, 60.0, "wait", clock=lambda: now[0]) for _ in "ab"
    )
    try:
        passed: list[int] = []
        begin = threading.Barrier(3 * STARTS_PER_MINUTE)

        def start(n: int) -> None:
            begin.wait(10)
            try:
                (on_a, on_b)[n % 2].hit("192.0.2.7")
                passed.append(n)
            except TooManyRequests:
                pass

        threads = [threading.Thread(target=start, args=(n,)) for n in range(3 * STARTS_PER_MINUTE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(passed) == STARTS_PER_MINUTE
        # A sliding window: the earliest start leaves it a minute later, freeing one slot, not ten.
        now[0] += 59.5
        with pytest.raises(TooManyRequests) as early:
            on_b.hit("192.0.2.7")
        assert early.value.retry_after == 1
        now[0] += 1.0
        on_a.hit("192.0.2.7")
        now[0] += 5.0
        on_b.hit("192.0.2.7")  # all ten of the burst left the window together
        # A minute after its last start, an address's slots are forgotten by the next node that prunes.
        now[0] += 61.0
        on_a.hit("198.51.100.1")
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as conn:
            kept = [
                r[0] for r in conn.execute("SELECT key FROM sign_in_counters WHERE key LIKE '%192.0.2.7%'")
            ]
        assert kept == []
    finally:
        db.close()
