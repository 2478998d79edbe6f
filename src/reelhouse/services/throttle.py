"""Sign-in throttling: growing delays per client address, per account and address, and per account."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from reelhouse.errors import TooManyRequests

Key = tuple[str, ...]


@dataclass
class _Counter:
    failures: int = 0
    last: float = 0.0
    # Attempts let through whose hash check has not finished: each may yet be a failure.
    pending: int = 0


class Attempt:
    """One attempt holding its place in the counters until its outcome is known.

    Used as a context manager: leaving it without `failed()` or `succeeded()` (a missing second factor,
    an error) gives the place back without counting anything."""

    def __init__(self, throttle: Throttle, account: str, address: str | None, held: list[Key]) -> None:
        self._throttle = throttle
        self._account = account
        self._address = address
        self._held = held
        self._open = True

    def failed(self) -> None:
        self._settle(failed=True, forgive=False)

    def succeeded(self) -> None:
        self._settle(failed=False, forgive=True)

    def release(self) -> None:
        self._settle(failed=False, forgive=False)

    def _settle(self, *, failed: bool, forgive: bool) -> None:
        if self._open:
            self._open = False
            self._throttle._settle(self._account, self._address, self._held, failed, forgive)

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class Throttle:
    """Failures beyond a free allowance double the wait before the next attempt is even checked.

    Three counters, because each alone fails somebody: per address stops one guesser trying many
    names; per (account, address) stops one guesser on one name; per account stops a guesser spread
    over many addresses. The per-account counter does not apply to an address the account has signed
    in from before, nor to the home network, so a stranger cannot lock the owner out of their own devices.

    An attempt is counted as pending before its password is checked, so concurrent guesses cannot all
    pass the check before the first failure is recorded: once failures and pending attempts together
    use up an allowance, the next caller waits for the pending ones to finish, then is judged on what
    they turned out to be."""

    FREE_PER_ADDRESS = 10
    FREE_PER_PAIR = 3
    FREE_PER_ACCOUNT = 20
    BASE_SECONDS = 1.0
    CAP_SECONDS = 900.0
    FORGET_AFTER = 3600.0
    MAX_KEYS = 100_000
    # A password check takes tens of milliseconds; waiting longer than this for others' means overload.
    QUEUE_SECONDS = 10.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._counters: dict[Key, _Counter] = {}

    def _keys(self, account: str, address: str | None, known: bool) -> list[tuple[Key, int]]:
        where = address or "?"
        keys: list[tuple[Key, int]] = [
            (("address", where), self.FREE_PER_ADDRESS),
            (("pair", account, where), self.FREE_PER_PAIR),
        ]
        if not known:
            keys.append((("account", account), self.FREE_PER_ACCOUNT))
        return keys

    def _wait(self, counter: _Counter | None, free: int, now: float) -> float:
        if counter is None or counter.failures < free:
            return 0.0
        delay = min(self.CAP_SECONDS, self.BASE_SECONDS * 2.0 ** (counter.failures - free))
        return max(0.0, counter.last + delay - now)

    @staticmethod
    def _refuse(wait: float) -> TooManyRequests:
        return TooManyRequests("Too many failed attempts; wait before trying again.", max(1, math.ceil(wait)))

    def attempt(self, account: str, address: str | None, known: bool = False) -> Attempt:
        """Let one attempt through and count it as pending, or raise TooManyRequests."""
        keys = self._keys(account, address, known)
        give_up = time.monotonic() + self.QUEUE_SECONDS
        with self._changed:
            while True:
                now = self._clock()
                wait, queued = 0.0, False
                for key, free in keys:
                    counter = self._counters.get(key)
                    if counter is None or counter.failures + counter.pending < free:
                        continue
                    wait = max(wait, self._wait(counter, free, now))
                    queued = queued or counter.pending > 0
                if wait > 0:
                    raise self._refuse(wait)
                if not queued:
                    break
                left = give_up - time.monotonic()
                if left <= 0:
                    raise TooManyRequests("Too many attempts at once; try again in a moment.", 1)
                self._changed.wait(left)
            if len(self._counters) >= self.MAX_KEYS:
                self._forget(now)
            for key, _free in keys:
                self._counters.setdefault(key, _Counter(last=now)).pending += 1
        return Attempt(self, account, address, [key for key, _free in keys])

    def _settle(
        self, account: str, address: str | None, held: list[Key], failed: bool, forgive: bool
    ) -> None:
        now = self._clock()
        with self._changed:
            for key in held:
                counter = self._counters.get(key)
                if counter is not None and counter.pending > 0:
                    counter.pending -= 1
            if failed:
                self._count_failure(account, address, now)
            if forgive:
                pair = self._counters.get(("pair", account, address or "?"))
                if pair is not None:
                    pair.failures = 0
            self._changed.notify_all()

    def _count_failure(self, account: str, address: str | None, now: float) -> None:
        # Counted on every counter, the per-account one too: a known address is exempt from it, not invisible.
        for key, _free in self._keys(account, address, known=False):
            counter = self._counters.setdefault(key, _Counter(last=now))
            if counter.last + self.FORGET_AFTER < now:
                counter.failures = 0
            counter.failures += 1
            counter.last = now

    def check(self, account: str, address: str | None, known: bool = False) -> None:
        """Raise TooManyRequests while any counter still makes this caller wait (no place is held)."""
        now = self._clock()
        with self._lock:
            wait = max(
                self._wait(self._counters.get(key), free, now)
                for key, free in self._keys(account, address, known)
            )
        if wait > 0:
            raise self._refuse(wait)

    def failed(self, account: str, address: str | None) -> None:
        now = self._clock()
        with self._changed:
            if len(self._counters) >= self.MAX_KEYS:
                self._forget(now)
            self._count_failure(account, address, now)
            self._changed.notify_all()

    def _forget(self, now: float) -> None:
        stale = [k for k, c in self._counters.items() if c.pending == 0 and c.last + self.FORGET_AFTER < now]
        for key in stale:
            del self._counters[key]
        if len(self._counters) >= self.MAX_KEYS:
            # Under a flood of distinct addresses, keep the newest half rather than grow without bound;
            # a counter with attempts in flight stays, or its waiters would never be woken.
            ordered = sorted(self._counters.items(), key=lambda kv: kv[1].last)
            dropped = {k for k, c in ordered[: len(ordered) // 2] if c.pending == 0}
            self._counters = {k: c for k, c in ordered if k not in dropped}


class Window:
    """At most `limit` events per key in any `seconds`: for public routes whose every call costs something,
    honest or not, so there is no failure to count (the Throttle above waits for failures)."""

    MAX_KEYS = 4096

    def __init__(
        self, limit: int, seconds: float, message: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self._seconds = seconds
        self._message = message
        self._clock = clock
        self._lock = threading.Lock()
        self._events: dict[str, list[float]] = {}

    def hit(self, key: str) -> None:
        """Count one event for the key, or raise TooManyRequests saying when the oldest one leaves the window."""
        now = self._clock()
        with self._lock:
            recent = [t for t in self._events.get(key, ()) if now - t < self._seconds]
            if len(recent) >= self.limit:
                self._events[key] = recent
                raise TooManyRequests(self._message, max(1, math.ceil(recent[0] + self._seconds - now)))
            recent.append(now)
            self._events[key] = recent
            if len(self._events) > self.MAX_KEYS:
                self._events = {k: t for k, t in self._events.items() if now - t[-1] < self._seconds}
            if len(self._events) > self.MAX_KEYS:
                # A flood of distinct keys: keep the busiest half, whose limits matter, rather than grow.
                busiest = sorted(self._events.items(), key=lambda kv: len(kv[1]), reverse=True)
                self._events = dict(busiest[: self.MAX_KEYS // 2])
