"""With `cluster` on, the sign-in throttle's counters live in PostgreSQL (services/shared_throttle.py): wrong
passwords spread over two nodes meet the same limit as on one, and a burst split between the nodes gets no
more password checks than the rules allow."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from reelhouse.errors import TooManyRequests
from reelhouse.persistence.cluster import libpq_url
from reelhouse.persistence.database import Database
from reelhouse.services.shared_throttle import SharedThrottle
from reelhouse.services.throttle import Throttle
from tests.accounts.conftest import CountingHasher, login
from tests.accounts.test_signin_throttle import _burst
from tests.harness import RunningServer

pytestmark = pytest.mark.cluster

BURST = 40


@pytest.fixture(autouse=True)
def patient(request: pytest.FixtureRequest) -> None:
    """The first wait is a minute rather than a second, so a slow machine never sees it end mid-test."""
    if "nodes" in request.fixturenames:
        for node in request.getfixturevalue("nodes"):
            node.server.services.accounts.throttle.BASE_SECONDS = 60.0


def _counting(*nodes: RunningServer) -> list[CountingHasher]:
    hashers = []
    for node in nodes:
        passwords = node.server.services.accounts.passwords
        hashers.append(CountingHasher(passwords._hasher))
        passwords._hasher = hashers[-1]  # type: ignore[assignment]
    return hashers


def test_wrong_passwords_spread_over_two_nodes_meet_one_nodes_limit(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    a, b = nodes
    a.create_user("bob")
    guessers = [node.anonymous("127.0.0.44") for node in nodes]
    statuses = [login(guessers[n % 2], "bob", f"guess {n}").status for n in range(Throttle.FREE_PER_PAIR + 1)]
    assert statuses == [401] * Throttle.FREE_PER_PAIR + [429]
    # Both nodes now make this guesser wait, the one that saw fewer of its guesses too.
    assert [login(guesser, "bob", "again").status for guesser in guessers] == [429, 429]
    # Another address still gets its own allowance (the per-account one is far from used up).
    assert login(b.anonymous("127.0.0.45"), "bob", "elsewhere").status == 401


def test_concurrent_guesses_over_both_nodes_get_only_the_free_hash_checks(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    a, b = nodes
    a.create_user("bob")
    hashers = _counting(a, b)
    guessers = [node.anonymous("127.0.0.46") for node in nodes]
    statuses = _burst(
        [lambda n=n: login(guessers[n % 2], "bob", f"guess number {n}") for n in range(BURST)]  # type: ignore[misc]
    )
    assert sum(len(h.verified) for h in hashers) == Throttle.FREE_PER_PAIR
    assert statuses == [401] * Throttle.FREE_PER_PAIR + [429] * (BURST - Throttle.FREE_PER_PAIR)


def test_a_right_password_clears_the_pair_counter_on_every_node(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    a, b = nodes
    a.create_user("bob")
    on_a, on_b = a.anonymous("127.0.0.47"), b.anonymous("127.0.0.47")
    assert [login(on_b, "bob", f"typo {n}").status for n in range(2)] == [401, 401]
    assert login(on_a, "bob").status == 200
    # Forgiven on A, so B lets this address make its three mistakes again before waiting.
    assert [login(on_b, "bob", f"typo {n}").status for n in range(4)] == [401, 401, 401, 429]


def test_an_attempt_pending_on_a_node_that_died_is_given_back(postgres_url: str, tmp_path: Path) -> None:
    node = RunningServer(tmp_path / "a", database_url=postgres_url, cluster=True)
    try:
        throttle = node.server.services.accounts.throttle
        assert isinstance(throttle, SharedThrottle)
        throttle.QUEUE_SECONDS = 0.2
        for _ in range(Throttle.FREE_PER_PAIR):
            throttle.attempt("carol", "127.0.0.48")  # never settled: their node died mid-check
        with pytest.raises(TooManyRequests, match="at once"):
            throttle.attempt("carol", "127.0.0.48")
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as admin:
            admin.execute(
                "UPDATE sign_in_counters SET pending_at = pending_at - %s", (throttle.STALE_SECONDS,)
            )
        throttle.attempt("carol", "127.0.0.48").failed()
    finally:
        node.stop()


def test_failures_an_hour_old_are_forgotten_and_their_counters_pruned(postgres_url: str) -> None:
    db = Database(postgres_url)
    db.migrate()
    now = [1_000_000.0]
    throttle = SharedThrottle(db, "sign-in", clock=lambda: now[0])
    try:
        for _ in range(Throttle.FREE_PER_PAIR):
            throttle.attempt("bob", "127.0.0.9").failed()
        with pytest.raises(TooManyRequests):
            throttle.attempt("bob", "127.0.0.9")
        with pytest.raises(TooManyRequests):
            throttle.check("bob", "127.0.0.9")
        # Failures counted without an attempt (an invitation code guessed wrong) count alike.
        for _ in range(Throttle.FREE_PER_PAIR):
            throttle.check("#invite", "127.0.0.11")
            throttle.failed("#invite", "127.0.0.11")
        with pytest.raises(TooManyRequests):
            throttle.check("#invite", "127.0.0.11")
        now[0] += Throttle.FORGET_AFTER + 1
        throttle.check("bob", "127.0.0.9")
        throttle.attempt("bob", "127.0.0.9").failed()  # counted afresh: one failure, far from the allowance
        throttle.attempt("bob", "127.0.0.9").failed()
        now[0] += Throttle.FORGET_AFTER + 1
        throttle.attempt("carol", "127.0.0.10").release()  # a minute has passed: this node prunes
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as conn:
            kept = [row[0] for row in conn.execute("SELECT key FROM sign_in_counters ORDER BY key")]
        assert kept and all("carol" in key or "127.0.0.10" in key for key in kept), kept
    finally:
        db.close()
