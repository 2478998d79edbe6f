"""Sign-in: uniform answers, throttling that stops guessers but not the owner, password rules, rehash.

How long sign-in takes (unknown name against wrong password) is measured in benchmarks/bench_auth.py; here
the mechanism behind it is checked: one argon2 verification per attempt, against a dummy hash when the name
is unknown."""

from __future__ import annotations

from argon2 import PasswordHasher

from reelhouse.domain.access import Role, system_actor
from reelhouse.errors import TooManyRequests
from reelhouse.services.throttle import Throttle
from tests.accounts.conftest import PASSWORD, CountingHasher, behind_proxy, login, sql, via_proxy
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


def test_unknown_user_costs_one_hash_check_against_a_dummy_hash_of_the_same_cost(
    running: RunningServer, hash_checks: CountingHasher
) -> None:
    running.create_user("bob")
    stored = sql(running.data_dir, "SELECT password_hash FROM users WHERE username = 'bob'")[0][0]
    assert _login(running, "ghost", "wrong password!!", "127.0.1.1")[0] == 401
    assert len(hash_checks.verified) == 1
    dummy = hash_checks.verified[0]
    # Same algorithm, version and cost parameters as a real hash, so it takes as long; nobody's real hash.
    assert dummy.rsplit("$", 2)[0] == stored.rsplit("$", 2)[0]
    assert dummy not in {row[0] for row in sql(running.data_dir, "SELECT password_hash FROM users")}


def test_wrong_password_costs_one_hash_check_against_the_users_hash(
    running: RunningServer, hash_checks: CountingHasher
) -> None:
    running.create_user("bob")
    stored = sql(running.data_dir, "SELECT password_hash FROM users WHERE username = 'bob'")[0][0]
    assert _login(running, "bob", "wrong password!!", "127.0.2.1")[0] == 401
    assert hash_checks.verified == [stored]


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


def test_spread_out_guessing_throttles_new_remote_addresses_but_not_the_owners_known_one(
    running: RunningServer,
) -> None:
    running.create_user("owner", Role.OWNER)
    behind_proxy(running)
    assert login(via_proxy(running, "203.0.113.7"), "owner").status == 200
    for i in range(Throttle.FREE_PER_ACCOUNT):
        login(via_proxy(running, f"198.51.100.{i + 1}"), "owner", f"guess number {i}")
    assert login(via_proxy(running, "198.51.100.200"), "owner", "guess again!!").status == 429
    assert login(via_proxy(running, "203.0.113.7"), "owner").status == 200


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
