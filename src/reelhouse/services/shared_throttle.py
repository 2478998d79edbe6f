"""The sign-in throttle kept in PostgreSQL, so web nodes sharing it give a guesser one allowance in all
(`cluster` on, issue #19); a single machine keeps `Throttle`'s counters in memory.

The rules are `Throttle`'s, unchanged: the same counters, allowances and doubling waits, and an attempt holds
its place as pending before its password is checked. What the in-memory lock and condition did, row locks and
polling do: an attempt locks its counters, decides and counts itself pending in one transaction, and one that
must wait for attempts in flight (on any node) looks again shortly.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

from sqlalchemy import Connection

from reelhouse.errors import TooManyRequests
from reelhouse.persistence import sign_in_counters as counters
from reelhouse.persistence.database import Database
from reelhouse.services.throttle import Attempt, Key, Throttle, _Counter


class SharedThrottle(Throttle):
    # How often an attempt queued behind others in flight looks again: a password check takes tens of ms.
    POLL_SECONDS = 0.02
    # An attempt pending this long died with its node (a check takes tens of ms); its place is given back.
    STALE_SECONDS = 60.0
    PRUNE_SECONDS = 60.0

    def __init__(self, db: Database, namespace: str, clock: Callable[[], float] = time.time) -> None:
        # The wall clock, not a monotonic one: the times are compared across machines.
        super().__init__(clock)
        self._db = db
        self._namespace = namespace
        self._pruned = 0.0

    def _name(self, key: Key) -> str:
        return json.dumps([self._namespace, *key])

    def attempt(self, account: str, address: str | None, known: bool = False) -> Attempt:
        keys = self._keys(account, address, known)
        names = [self._name(key) for key, _free in keys]
        give_up = time.monotonic() + self.QUEUE_SECONDS
        while True:
            now = self._clock()

            def decide(conn: Connection, now: float = now) -> tuple[float, bool]:
                found = counters.hold(conn, names, now, self.STALE_SECONDS)
                wait, queued = 0.0, False
                for name, (_key, free) in zip(names, keys, strict=True):
                    failures, pending, last = found[name]
                    if failures + pending < free:
                        continue
                    wait = max(wait, self._wait(_Counter(failures, last, pending), free, now))
                    queued = queued or pending > 0
                if wait == 0 and not queued:
                    counters.add_pending(conn, names, now)
                return wait, queued

            wait, queued = counters.run(self._db, decide)
            if wait > 0:
                raise self._refuse(wait)
            if not queued:
                break
            if time.monotonic() >= give_up:
                raise TooManyRequests("Too many attempts at once; try again in a moment.", 1)
            time.sleep(self.POLL_SECONDS)
        self._prune(now)
        return Attempt(self, account, address, [key for key, _free in keys])

    def _settle(
        self, account: str, address: str | None, held: list[Key], failed: bool, forgive: bool
    ) -> None:
        now = self._clock()
        failures = [self._name(key) for key, _free in self._keys(account, address, False)] if failed else []
        pair = self._name(("pair", account, address or "?")) if forgive else None
        held_names = [self._name(key) for key in held]
        counters.run(
            self._db,
            lambda conn: counters.settle(conn, held_names, failures, pair, now, self.FORGET_AFTER),
        )

    def check(self, account: str, address: str | None, known: bool = False) -> None:
        now = self._clock()
        keys = self._keys(account, address, known)
        found = counters.run(self._db, lambda conn: counters.read(conn, [self._name(k) for k, _f in keys]))
        wait = 0.0
        for key, free in keys:
            row = found.get(self._name(key))
            if row is not None:
                wait = max(wait, self._wait(_Counter(row[0], row[2], row[1]), free, now))
        if wait > 0:
            raise self._refuse(wait)

    def failed(self, account: str, address: str | None) -> None:
        now = self._clock()
        names = [self._name(key) for key, _free in self._keys(account, address, False)]
        counters.run(self._db, lambda conn: counters.count_failures(conn, names, now, self.FORGET_AFTER))

    def _prune(self, now: float) -> None:
        if now - self._pruned >= self.PRUNE_SECONDS:
            self._pruned = now
            counters.run(
                self._db, lambda conn: counters.prune(conn, now, self.FORGET_AFTER, self.STALE_SECONDS)
            )


class SharedWindow:
    """`Window`'s limit (at most ``limit`` events per key in any ``seconds``) counted in PostgreSQL, so web nodes
    sharing it allow that many in all. A key's latest events are ``limit`` slot rows of `sign_in_counters`, all
    locked by each event, so concurrent events on several nodes never both take the last free slot."""

    PRUNE_SECONDS = 60.0

    def __init__(
        self,
        db: Database,
        namespace: str,
        limit: int,
        seconds: float,
        message: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self._db = db
        self._namespace = namespace
        self._seconds = seconds
        self._message = message
        # The wall clock, not a monotonic one: the times are compared across machines.
        self._clock = clock
        self._pruned = 0.0

    def hit(self, key: str) -> None:
        """Count one event for the key, or raise TooManyRequests saying when the oldest one leaves the window."""
        now = self._clock()
        slots = [json.dumps([self._namespace, key, n]) for n in range(self.limit)]
        wait = counters.run(self._db, lambda conn: counters.take_slot(conn, slots, now, self._seconds))
        if now - self._pruned >= self.PRUNE_SECONDS:
            self._pruned = now
            prefix = json.dumps([self._namespace])[:-1] + ","
            counters.run(self._db, lambda conn: counters.forget_slots(conn, prefix, now - self._seconds))
        if wait > 0:
            raise TooManyRequests(self._message, max(1, math.ceil(wait)))
