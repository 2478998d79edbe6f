"""Sign-in throttling: growing delays per client address, per account and address, and per account."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from reelhouse.errors import TooManyRequests


@dataclass
class _Counter:
    failures: int
    last: float


class Throttle:
    """Failures beyond a free allowance double the wait before the next attempt is even checked.

    Three counters, because each alone fails somebody: per address stops one guesser trying many
    names; per (account, address) stops one guesser on one name; per account stops a guesser spread
    over many addresses. The per-account counter never applies to an address the account has signed
    in from before, so a stranger cannot lock the owner out of their own devices."""

    FREE_PER_ADDRESS = 10
    FREE_PER_PAIR = 3
    FREE_PER_ACCOUNT = 20
    BASE_SECONDS = 1.0
    CAP_SECONDS = 900.0
    FORGET_AFTER = 3600.0
    MAX_KEYS = 100_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, ...], _Counter] = {}

    def _keys(self, account: str, address: str | None, known: bool) -> list[tuple[tuple[str, ...], int]]:
        where = address or "?"
        keys = [(("address", where), self.FREE_PER_ADDRESS), (("pair", account, where), self.FREE_PER_PAIR)]
        if not known:
            keys.append((("account", account), self.FREE_PER_ACCOUNT))
        return keys

    def _wait(self, counter: _Counter | None, free: int, now: float) -> float:
        if counter is None or counter.failures < free:
            return 0.0
        delay = min(self.CAP_SECONDS, self.BASE_SECONDS * 2.0 ** (counter.failures - free))
        return max(0.0, counter.last + delay - now)

    def check(self, account: str, address: str | None, known: bool = False) -> None:
        """Raise TooManyRequests while any counter still makes this caller wait."""
        now = self._clock()
        with self._lock:
            wait = max(
                self._wait(self._counters.get(key), free, now)
                for key, free in self._keys(account, address, known)
            )
        if wait > 0:
            raise TooManyRequests(
                "Too many failed attempts; wait before trying again.", max(1, math.ceil(wait))
            )

    def failed(self, account: str, address: str | None) -> None:
        now = self._clock()
        with self._lock:
            if len(self._counters) >= self.MAX_KEYS:
                self._forget(now)
            for key, _free in self._keys(account, address, known=False):
                counter = self._counters.get(key)
                if counter is None or counter.last + self.FORGET_AFTER < now:
                    self._counters[key] = _Counter(1, now)
                else:
                    counter.failures += 1
                    counter.last = now

    def succeeded(self, account: str, address: str | None) -> None:
        with self._lock:
            self._counters.pop(("pair", account, address or "?"), None)

    def _forget(self, now: float) -> None:
        stale = [k for k, c in self._counters.items() if c.last + self.FORGET_AFTER < now]
        for key in stale:
            del self._counters[key]
        if len(self._counters) >= self.MAX_KEYS:
            # Under a flood of distinct addresses, keep the newest half rather than grow without bound.
            newest = sorted(self._counters.items(), key=lambda kv: kv[1].last)[len(self._counters) // 2 :]
            self._counters = dict(newest)
