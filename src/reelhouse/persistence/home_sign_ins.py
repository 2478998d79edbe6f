"""Sign in with Home's entries under way, kept in PostgreSQL so that web nodes share them (`cluster` on, issue
#19). Each is single-use: taking one deletes it in the statement that reads it, so two nodes never both use it.
Adding one takes a transaction-level advisory lock per kind, so the per-link bound is kept across nodes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, delete, func, insert, select, text
from sqlalchemy.exc import OperationalError

from reelhouse.errors import DatabaseError
from reelhouse.persistence.cluster_schema import home_sign_ins
from reelhouse.persistence.database import Database

T = TypeVar("T")

# The two-key advisory lock space for adding entries (persistence/cluster.py uses 0x52480001 and 0x52480002).
PUT_SPACE = 0x52480003
_KINDS = {"flow": 1, "request": 2, "code": 3}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def run(db: Database, work: Callable[[Connection], T]) -> T:
    try:
        with db.engine.begin() as conn:
            return work(conn)
    except OperationalError as exc:
        raise DatabaseError(f"the sign-ins under way could not be read: {exc.orig}") from None


def put(
    conn: Connection,
    kind: str,
    key: str,
    value: str,
    group: str | None,
    now: float,
    expires_at: float,
    most: int,
) -> bool:
    """Add an entry, first dropping expired ones and, when ``group`` already has ``most``, its oldest. False
    (nothing added) when an entry without a group would make more than ``most`` of them."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(:space, :kind)"), {"space": PUT_SPACE, "kind": _KINDS[kind]}
    )
    c = home_sign_ins.c
    conn.execute(delete(home_sign_ins).where(c.kind == kind, c.expires_at <= now))
    same = c.grp.is_(None) if group is None else c.grp == group
    count = conn.execute(select(func.count()).where(c.kind == kind, same)).scalar_one()
    if count >= most:
        if group is None:
            return False
        oldest = (
            select(c.key_hash)
            .where(c.kind == kind, same)
            .order_by(c.created_at, c.key_hash)
            .limit(count - most + 1)
        )
        conn.execute(delete(home_sign_ins).where(c.kind == kind, c.key_hash.in_(oldest)))
    conn.execute(
        insert(home_sign_ins).values(
            kind=kind, key_hash=key_hash(key), value=value, grp=group, created_at=now, expires_at=expires_at
        )
    )
    return True


def take(conn: Connection, kind: str, key: str, now: float) -> str | None:
    c = home_sign_ins.c
    found = conn.execute(
        delete(home_sign_ins)
        .where(c.kind == kind, c.key_hash == key_hash(key))
        .returning(c.value, c.expires_at)
    ).first()
    return None if found is None or found.expires_at <= now else str(found.value)


def peek(conn: Connection, kind: str, key: str, now: float) -> str | None:
    c = home_sign_ins.c
    found = conn.execute(
        select(c.value).where(c.kind == kind, c.key_hash == key_hash(key), c.expires_at > now)
    ).first()
    return None if found is None else str(found.value)
