"""Throttling is atomic: an attempt holds its place before the password hash is checked, so a burst of
concurrent guesses gets no more hash checks than sequential ones would."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from reelhouse.domain.access import Role
from reelhouse.errors import TooManyRequests
from reelhouse.services.throttle import Throttle
from tests.accounts.conftest import CountingHasher, behind_proxy, login, via_proxy
from tests.harness import Answer, Client, RunningServer

BURST = 40


def _burst(calls: list[Callable[[], Answer]]) -> list[int]:
    """Run the calls on their own threads, released together so the server sees them at once."""
    start = threading.Barrier(len(calls))
    statuses: list[int] = []
    lock = threading.Lock()

    def run(call: Callable[[], Answer]) -> None:
        start.wait()
        status = call().status
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return sorted(statuses)


def _guess(client: Client, number: int) -> Callable[[], Answer]:
    return lambda: login(client, "bob", f"guess number {number}")


def test_concurrent_guesses_from_one_address_get_only_the_free_hash_checks(
    running: RunningServer, hash_checks: CountingHasher
) -> None:
    running.create_user("bob")
    guesser = running.anonymous("127.0.0.44")
    statuses = _burst([_guess(guesser, i) for i in range(BURST)])
    assert len(hash_checks.verified) == Throttle.FREE_PER_PAIR
    assert statuses == [401] * Throttle.FREE_PER_PAIR + [429] * (BURST - Throttle.FREE_PER_PAIR)


def test_concurrent_guesses_spread_over_remote_addresses_get_only_the_accounts_free_hash_checks(
    running: RunningServer, hash_checks: CountingHasher
) -> None:
    running.create_user("bob", Role.OWNER)
    behind_proxy(running)
    statuses = _burst([_guess(via_proxy(running, f"198.51.100.{i + 1}"), i) for i in range(BURST)])
    assert len(hash_checks.verified) == Throttle.FREE_PER_ACCOUNT
    assert statuses == [401] * Throttle.FREE_PER_ACCOUNT + [429] * (BURST - Throttle.FREE_PER_ACCOUNT)


def test_attempts_in_flight_use_up_the_allowance_until_they_finish() -> None:
    now = [1000.0]
    throttle = Throttle(clock=lambda: now[0])
    throttle.QUEUE_SECONDS = 0.2
    held = [throttle.attempt("bob", "127.0.0.9") for _ in range(Throttle.FREE_PER_PAIR)]
    with pytest.raises(TooManyRequests):
        throttle.attempt("bob", "127.0.0.9")
    for attempt in held:
        attempt.succeeded()
    throttle.attempt("bob", "127.0.0.9").succeeded()


@pytest.mark.parametrize("outcome", ["failed", "succeeded"])
def test_a_waiting_attempt_is_judged_on_how_the_ones_in_flight_ended(outcome: str) -> None:
    throttle = Throttle()
    held = [throttle.attempt("bob", "127.0.0.9") for _ in range(Throttle.FREE_PER_PAIR)]
    result: list[str] = []

    def wait_for_a_turn() -> None:
        try:
            throttle.attempt("bob", "127.0.0.9").release()
            result.append("let through")
        except TooManyRequests:
            result.append("refused")

    waiter = threading.Thread(target=wait_for_a_turn)
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive(), "the fourth attempt must wait for the three in flight"
    for attempt in held:
        getattr(attempt, outcome)()
    waiter.join(10)
    assert result == (["refused"] if outcome == "failed" else ["let through"])


def test_leaving_an_attempt_without_an_outcome_counts_nothing() -> None:
    throttle = Throttle()
    for _ in range(Throttle.FREE_PER_PAIR * 4):
        with throttle.attempt("bob", "127.0.0.9"):
            pass
    throttle.check("bob", "127.0.0.9")
