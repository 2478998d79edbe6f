"""Password and PIN rules, and argon2id hashing with a bound on how many hashes run at once."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reelhouse.errors import InvalidInput

T = TypeVar("T")

COMMON_PASSWORDS = frozenset(
    """password password1 password123 123456789012 1234567890 qwertyuiop iloveyou123 letmein123
    welcome123 admin12345 administrator passw0rd123 qwerty123456 football123 monkey123456
    reelhouse reelhouse123 changeme123 111111111111 000000000000 abcdefghijkl 1234567890123
    qwertyuiop123 password1234 iloveyou1234 sunshine123 princess123 baseball123 trustno1234
    superman123 dragon12345 starwars123 whatever123 0123456789 9876543210 1q2w3e4r5t6y
    1qaz2wsx3edc zaq12wsxcde qwerty12345 asdfghjkl123 passwordpassword""".split()
)


def password_problems(password: str, username: str = "") -> list[str]:
    """Every rule the password breaks, so a form can say all of them at once rather than one per attempt."""
    found = []
    if len(password) < 10:
        found.append("A password needs at least 10 characters.")
    if len(password) > 256:
        found.append("A password can have at most 256 characters.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4 or (username and username.lower() in lowered):
        found.append("That password is too easy to guess.")
    return found


def check_password(password: str, username: str = "") -> None:
    found = password_problems(password, username)
    if found:
        raise InvalidInput(" ".join(found), "password")


def check_pin(pin: str) -> None:
    if not (4 <= len(pin) <= 8 and pin.isascii() and pin.isdigit()):
        raise InvalidInput("A PIN is 4 to 8 digits.", "pin")


class Passwords:
    """argon2id at OWASP's minimum (19 MiB, two passes, one lane) unless told otherwise.

    Hashes run on `at_once` threads of their own, the one used last taken first. A hash reads its 19 MiB
    many times over, so it is quicker on a core whose caches still hold the last hash's memory: a request
    thread, woken wherever the scheduler likes and busy with other work in between, lands on the other core
    about half the time, which made each check some 10% slower than the same check in a loop."""

    def __init__(self, time_cost: int = 2, memory_cost: int = 19456, parallelism: int = 1, at_once: int = 2):
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        # Each hash takes ~19 MiB and a core for tens of milliseconds: a flood must queue, not exhaust memory.
        # One worker per lane; their threads end when this object is collected (ThreadPoolExecutor's rule).
        self._idle = [ThreadPoolExecutor(1, thread_name_prefix="argon2") for _ in range(at_once)]
        self._freed = threading.Condition()
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def _on_lane(self, work: Callable[[], T]) -> T:
        with self._freed:
            self._freed.wait_for(lambda: self._idle)
            lane = self._idle.pop()
        try:
            return lane.submit(work).result()
        finally:
            with self._freed:
                self._idle.append(lane)
                self._freed.notify()

    def hash(self, password: str) -> str:
        return self._on_lane(lambda: self._hasher.hash(password))

    def verify(self, stored: str | None, password: str) -> bool:
        """Does the same work when there is no stored hash, so timing does not tell who exists."""
        return self._on_lane(lambda: self._check(stored, password))

    def _check(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return False
