"""Sign-in: uniform answers, throttling that stops guessers but not the owner, password rules, rehash."""

from __future__ import annotations

import statistics
import time

from argon2 import PasswordHasher

from reelhouse.domain.access import Role, system_actor
from reelhouse.errors import TooManyRequests
from reelhouse.services.throttle import Throttle
from tests.accounts.conftest import PASSWORD, sql
from tests.harness import RunningServer


def _login(
    running: RunningServer, username: str, password: str, source: str | None = None
) -> tuple[int, bytes]:
    answer = running.anonymous(source).post("/api/auth/login", {"username": username, "password": password})
    return answer.status, answer.body


def test_unknown_user_and_wrong_password_get_the_same_answer(running: RunningServer) -> None:
    running.create_user("bob")
    unknown = _login(running, "nobody", "wrong password!!", "127.0.0.21")
    wrong = _login(running, "bob", "wrong password!!", "127.0.0.22")
    assert unknown == wrong
    assert unknown[0] == 401


def test_unknown_user_takes_as_long_as_a_wrong_password(running: RunningServer) -> None:
    running.create_user("bob")

    def timed(username: str, source: str) -> float:
        start = time.perf_counter()
        _login(running, username, "wrong password!!", source)
        return time.perf_counter() - start

    unknown = statistics.median(timed(f"ghost{i}", f"127.0.1.{i}") for i in range(1, 6))
    known = statistics.median(timed("bob", f"127.0.2.{i}") for i in range(1, 6))
    # Both run one argon2id verify; without the dummy hash an unknown name answers ~100x faster.
    assert 0.5 < unknown / known < 2.0


def test_guesser_is_slowed_down_and_even_the_right_password_waits(running: RunningServer) -> None:
    running.create_user("owner", Role.OWNER)
    statuses = [_login(running, "owner", f"guess number {i}", "127.0.0.9")[0] for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    answer = running.anonymous("127.0.0.9").post(
        "/api/auth/login", {"username": "owner", "password": PASSWORD}
    )
    assert answer.status == 429
    assert int(answer.header("Retry-After") or 0) >= 1


def test_owner_still_signs_in_from_another_address_while_a_guesser_is_throttled(
    running: RunningServer,
) -> None:
    running.create_user("owner", Role.OWNER)
    for i in range(5):
        _login(running, "owner", f"guess number {i}", "127.0.0.9")
    assert _login(running, "owner", PASSWORD, "127.0.0.9")[0] == 429
    assert _login(running, "owner", PASSWORD, "127.0.0.1")[0] == 200


def test_spread_out_guessing_throttles_new_addresses_but_not_the_owners_known_one(
    running: RunningServer,
) -> None:
    running.create_user("owner", Role.OWNER)
    assert _login(running, "owner", PASSWORD, "127.0.0.1")[0] == 200
    for i in range(Throttle.FREE_PER_ACCOUNT):
        _login(running, "owner", f"guess number {i}", f"127.0.3.{i + 1}")
    assert _login(running, "owner", "guess again!!", "127.0.4.1")[0] == 429
    assert _login(running, "owner", PASSWORD, "127.0.0.1")[0] == 200


def test_throttle_delay_doubles_with_each_further_failure() -> None:
    now = [1000.0]
    throttle = Throttle(clock=lambda: now[0])
    waits = []
    for _ in range(Throttle.FREE_PER_PAIR + 3):
        throttle.failed("bob", "127.0.0.9")
        try:
            throttle.check("bob", "127.0.0.9")
            waits.append(0)
        except TooManyRequests as exc:
            waits.append(exc.retry_after)
    assert waits[-4:] == [1, 2, 4, 8]


def test_throttle_lets_the_caller_in_once_the_delay_has_passed() -> None:
    now = [1000.0]
    throttle = Throttle(clock=lambda: now[0])
    for _ in range(Throttle.FREE_PER_PAIR + 1):
        throttle.failed("bob", "127.0.0.9")
    now[0] += 2.5
    throttle.check("bob", "127.0.0.9")


def test_short_password_is_refused_with_the_field(running: RunningServer) -> None:
    answer = running.owner().post("/api/users", {"username": "bob", "password": "short"})
    assert answer.status == 422
    assert answer.json()["fields"] == {"password": "A password needs at least 10 characters."}


def test_common_password_is_refused(running: RunningServer) -> None:
    answer = running.owner().post("/api/users", {"username": "bob", "password": "password123"})
    assert answer.status == 422
    assert answer.json()["fields"] == {"password": "That password is too easy to guess."}


def test_password_containing_the_username_is_refused(running: RunningServer) -> None:
    answer = running.owner().post("/api/users", {"username": "bobby", "password": "bobby-the-great"})
    assert answer.json()["fields"] == {"password": "That password is too easy to guess."}


def test_weaker_hash_is_upgraded_at_sign_in(running: RunningServer) -> None:
    running.create_user("bob")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    sql(running.data_dir, "UPDATE users SET password_hash = ? WHERE username = 'bob'", weak)
    assert _login(running, "bob", PASSWORD)[0] == 200
    stored = sql(running.data_dir, "SELECT password_hash FROM users WHERE username = 'bob'")[0][0]
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_sign_in_is_audited_with_the_address(running: RunningServer) -> None:
    running.create_user("bob")
    _login(running, "bob", "wrong password!!", "127.0.0.7")
    _login(running, "bob", PASSWORD, "127.0.0.8")
    entries = running.server.services.audit.entries(system_actor(), "auth.")
    assert ("auth.login", "127.0.0.8") in [(e.action, e.address) for e in entries]
    assert ("auth.login_failed", "127.0.0.7") in [(e.action, e.address) for e in entries]
