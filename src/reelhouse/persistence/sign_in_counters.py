"""The sign-in throttle's counters in PostgreSQL, for web nodes that share them (`cluster` on, issue #19).

Every change is one statement that locks the rows it reads, so two nodes never both see an allowance as free:
an attempt locks all of its counters at once (in key order, so two attempts never wait on each other in a
circle), decides, and counts itself as pending before it commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.exc import OperationalError

from reelhouse.errors import DatabaseError
from reelhouse.persistence.cluster_schema import sign_in_counters
from reelhouse.persistence.database import Database

T = TypeVar("T")

# failures, pending, last failure's time
Counter = tuple[int, int, float]

# A deadlock or a serialisation failure is PostgreSQL asking for the transaction again.
_RETRY_STATES = {"40P01", "40001"}
_ATTEMPTS = 4


@contextmanager
def _transaction(db: Database) -> Iterator[Connection]:
    # Not Database.begin: row locks are the whole point here, and its write lock would queue every sign-in
    # behind a scan's writes.
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="READ COMMITTED")
        with conn.begin():
            yield conn


def run(db: Database, work: Callable[[Connection], T]) -> T:
    """``work`` in a transaction of its own, tried again when PostgreSQL chose it to break a deadlock."""
    for attempt in range(_ATTEMPTS):
        try:
            with _transaction(db) as conn:
                return work(conn)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) not in _RETRY_STATES or attempt == _ATTEMPTS - 1:
                raise DatabaseError(f"the sign-in counters could not be used: {exc.orig}") from None
    raise AssertionError("unreachable")


def _upsert(keys: list[str], first: int, now: float) -> Insert:
    # Rows in key order, which is the order their locks are taken in.
    return insert(sign_in_counters).values(
        [
            {"key": key, "failures": first, "pending": 0, "last": now, "pending_at": now}
            for key in sorted(keys)
        ]
    )


def hold(conn: Connection, keys: list[str], now: float, stale: float) -> dict[str, Counter]:
    """Lock the counters named (creating missing ones) until the transaction ends, and read them. Attempts
    pending for longer than ``stale`` seconds are taken to have died with their node. (Old failures need no
    forgetting here: their wait is long over, and the next failure counts afresh.)"""
    c = sign_in_counters.c
    found = conn.execute(
        _upsert(keys, 0, now)
        .on_conflict_do_update(
            index_elements=[c.key],
            set_={
                "pending": case((c.pending_at < now - stale, 0), else_=c.pending),
            },
        )
        .returning(c.key, c.failures, c.pending, c.last)
    )
    return {row.key: (row.failures, row.pending, row.last) for row in found}


def add_pending(conn: Connection, keys: list[str], now: float) -> None:
    c = sign_in_counters.c
    conn.execute(
        update(sign_in_counters).where(c.key.in_(keys)).values(pending=c.pending + 1, pending_at=now)
    )


def count_failures(conn: Connection, keys: list[str], now: float, forget: float) -> None:
    c = sign_in_counters.c
    conn.execute(
        _upsert(keys, 1, now).on_conflict_do_update(
            index_elements=[c.key],
            set_={"failures": case((c.last < now - forget, 1), else_=c.failures + 1), "last": now},
        )
    )


def settle(
    conn: Connection, held: list[str], failures: list[str], forgive: str | None, now: float, forget: float
) -> None:
    """An attempt ended: its places are given back, and it counts as a failure on ``failures`` or clears
    the ``forgive`` counter."""
    c = sign_in_counters.c
    conn.execute(
        select(c.key).where(c.key.in_(sorted({*held, *failures}))).order_by(c.key).with_for_update()
    ).all()
    conn.execute(
        update(sign_in_counters).where(c.key.in_(held)).values(pending=func.greatest(c.pending - 1, 0))
    )
    if failures:
        count_failures(conn, failures, now, forget)
    if forgive is not None:
        conn.execute(update(sign_in_counters).where(c.key == forgive).values(failures=0))


def read(conn: Connection, keys: list[str]) -> dict[str, Counter]:
    c = sign_in_counters.c
    found = conn.execute(select(c.key, c.failures, c.pending, c.last).where(c.key.in_(keys)))
    return {row.key: (row.failures, row.pending, row.last) for row in found}


def prune(conn: Connection, now: float, forget: float, stale: float) -> int:
    """Drop counters with nothing left to remember, so a flood of addresses does not grow the table for good."""
    c = sign_in_counters.c
    gone = conn.execute(
        delete(sign_in_counters).where(c.last < now - forget, or_(c.pending == 0, c.pending_at < now - stale))
    )
    return int(gone.rowcount or 0)


def take_slot(conn: Connection, slots: list[str], now: float, seconds: float) -> float:
    """A rate window of ``len(slots)`` events per ``seconds``: each slot's ``last`` is the time of one of the
    latest events. Locks every slot, and takes the oldest if it is older than the window: 0.0 then, else how
    long until it is. (A slot never used has ``last`` 0.0, and the throttle's prune drops it an hour on.)"""
    c = sign_in_counters.c
    found = conn.execute(
        insert(sign_in_counters)
        .values(
            [
                {"key": key, "failures": 0, "pending": 0, "last": 0.0, "pending_at": now}
                for key in sorted(slots)
            ]
        )
        .on_conflict_do_update(index_elements=[c.key], set_={"failures": c.failures})
        .returning(c.key, c.last)
    )
    oldest = min(found, key=lambda row: (row.last, row.key))
    if oldest.last > now - seconds:
        return float(oldest.last + seconds - now)
    conn.execute(update(sign_in_counters).where(c.key == oldest.key).values(last=now))
    return 0.0


def forget_slots(conn: Connection, prefix: str, before: float) -> int:
    """Drop a window's slots (keys starting ``prefix``) whose event left it before ``before``."""
    c = sign_in_counters.c
    gone = conn.execute(
        delete(sign_in_counters).where(c.key.startswith(prefix, autoescape=True), c.last < before)
    )
    return int(gone.rowcount or 0)
