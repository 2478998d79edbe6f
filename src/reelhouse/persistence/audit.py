"""The append-only, hash-chained audit log: its rows, their hashes and the walk that checks them."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, delete, func, insert, select

from reelhouse.persistence.schema import audit_log

GENESIS = "0" * 64
# Written by pruning ("kind": "pruned") and by migration 0007 ("kind": "format"); see walk().
CHECKPOINT = "audit.checkpoint"
# The last entry of a copy written by `reelhouse backup`, so that restoring it can be told from a truncation.
BACKUP = "audit.backup"
# An admin continued the recorded head from a restored backup; the backup entry before it is settled.
RESTORE_ACCEPTED = "audit.restore_accepted"
FORMAT = 2
# The newest entry, which the next one chains to; built once, as every audited change reads it.
_NEWEST = select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)


def digest(
    seq: int,
    at: float,
    actor_id: str | None,
    actor_name: str | None,
    address: str | None,
    action: str,
    target: str | None,
    detail: str,
    prev_hash: str,
) -> str:
    """Every stored field, as one JSON object with sorted keys: strings are quoted and escaped, so no two
    different rows share an encoding, and None stays distinct from "" (a joined string would not)."""
    material = json.dumps(
        {
            "format": FORMAT,
            "seq": seq,
            "at": repr(at),
            "actor_id": actor_id,
            "actor_name": actor_name,
            "address": address,
            "action": action,
            "target": target,
            "detail": detail,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def legacy_digest(
    prev_hash: str, at: float, actor_id: str | None, action: str, target: str | None, detail: str
) -> str:
    """The hash before migration 0007. It left out the actor's name, the address and the seq; rows written
    with it are checked with it, and the checkpoint 0007 wrote vouches for where they end."""
    material = json.dumps([prev_hash, repr(at), actor_id, action, target, detail], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


def row_digest(row: Any) -> str:
    return digest(
        row.seq,
        row.at,
        row.actor_id,
        row.actor_name,
        row.address,
        row.action,
        row.target,
        row.detail,
        row.prev_hash,
    )


@dataclass(frozen=True)
class Link:
    """One point of the chain: an entry's seq and hash."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Walk:
    """What reading the whole log found: the first broken point, or where the chain ends."""

    broken_seq: int | None
    reason: str | None
    end: Link
    first_seq: int | None
    # The newest entry written by `reelhouse backup` into its copy, if the log has one.
    backup: Link | None
    backup_at: float | None


class AuditRepository:
    def append(
        self,
        conn: Connection,
        actor_id: str | None,
        actor_name: str | None,
        action: str,
        target: str | None,
        detail: dict[str, Any],
        address: str | None,
    ) -> Link:
        row = conn.execute(_NEWEST).first()
        # Writers hold the write lock (BEGIN IMMEDIATE), so the newest row cannot change under us.
        last = Link(int(row.seq), str(row.hash)) if row else Link(0, GENESIS)
        return self._append_after(conn, last, actor_id, actor_name, action, target, detail, address)

    def _append_after(
        self,
        conn: Connection,
        last: Link,
        actor_id: str | None,
        actor_name: str | None,
        action: str,
        target: str | None,
        detail: dict[str, Any],
        address: str | None,
    ) -> Link:
        values: dict[str, Any] = {
            "seq": last.seq + 1,
            "at": time.time(),
            "actor_id": actor_id,
            "actor_name": actor_name,
            "action": action,
            "target": target,
            "detail": json.dumps(detail, sort_keys=True, default=str),
            "address": address,
            "prev_hash": last.hash,
        }
        values["hash"] = digest(**values)
        # Values as parameters, not baked into the statement: every append then shares one cached statement
        # instead of coercing and cache-keying each value (a large part of a sign-in's time beside its hash).
        conn.execute(insert(audit_log), values)
        return Link(last.seq + 1, values["hash"])

    def entries(
        self, conn: Connection, action_prefix: str | None, limit: int, before: int | None
    ) -> list[Any]:
        stmt = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
        if action_prefix:
            stmt = stmt.where(audit_log.c.action.startswith(action_prefix, autoescape=True))
        if before is not None:
            stmt = stmt.where(audit_log.c.seq < before)
        return list(conn.execute(stmt))

    def hash_at(self, conn: Connection, seq: int) -> str | None:
        found = conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == seq)).scalar()
        return str(found) if found is not None else None

    def first_seq(self, conn: Connection) -> int | None:
        found = conn.execute(select(func.min(audit_log.c.seq))).scalar()
        return int(found) if found is not None else None

    def walk(self, conn: Connection) -> Walk:
        """Check every row: its hash, its link to the one before, no gap in seq, and how the log starts.

        A log starts at seq 1 from the genesis hash, or right after the newest prune checkpoint (which names
        the seq and hash it pruned through); anything else means its oldest entries were deleted. Rows up to
        the format checkpoint of migration 0007 are checked with the legacy hash, and their start is not
        checked: the old code pruned without a checkpoint."""
        starts: dict[int, str] = {}
        legacy_through = 0
        for row in conn.execute(select(audit_log).where(audit_log.c.action == CHECKPOINT)):
            claim = _claim(row.detail)
            if claim is None:
                continue
            kind, through, through_hash = claim
            if kind == "pruned":
                starts[through] = through_hash
            elif kind == "format" and row.seq == through + 1:
                legacy_through = max(legacy_through, through)
        prev: Any = None
        backup: Link | None = None
        backup_at: float | None = None
        first: int | None = None
        for row in conn.execute(select(audit_log).order_by(audit_log.c.seq)):
            seq = int(row.seq)
            problem = _problem(row, prev, starts, legacy_through)
            if problem is not None:
                return Walk(seq, problem, _end(prev), first, backup, backup_at)
            if first is None:
                first = seq
            if row.action == BACKUP:
                backup, backup_at = Link(seq, row.hash), float(row.at)
            elif row.action == RESTORE_ACCEPTED:
                backup, backup_at = None, None
            prev = row
        return Walk(None, None, _end(prev), first, backup, backup_at)

    def prune(self, conn: Connection, older_than: float) -> Link | None:
        """Drop the oldest entries and append a checkpoint naming the last one dropped.

        Only a prefix goes (everything up to the newest entry older than the cut), so the chain that stays
        is whole even if the clock once went backwards."""
        through = conn.execute(select(func.max(audit_log.c.seq)).where(audit_log.c.at < older_than)).scalar()
        if through is None:
            return None
        pruned = Link(int(through), self.hash_at(conn, int(through)) or GENESIS)
        newest = conn.execute(
            select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).one()
        conn.execute(delete(audit_log).where(audit_log.c.seq <= pruned.seq))
        detail = {"kind": "pruned", "through": pruned.seq, "hash": pruned.hash}
        # After the newest entry even when every entry went: SQLite would hand out seq 1 again otherwise.
        last = Link(int(newest.seq), str(newest.hash))
        return self._append_after(conn, last, None, None, CHECKPOINT, None, detail, None)

    def mark_backup(self, copy: Path) -> None:
        """End a backup copy's log with an entry saying it is one: a database restored from it can then be
        told from one whose newest entries were deleted."""
        engine = create_engine(f"sqlite:///{copy}")
        try:
            with engine.begin() as conn:
                self.append(conn, None, None, BACKUP, None, {"copy": copy.name}, None)
        finally:
            engine.dispose()


def _claim(detail: str) -> tuple[str, int, str] | None:
    try:
        parsed = json.loads(detail)
        return str(parsed["kind"]), int(parsed["through"]), str(parsed["hash"])
    except (ValueError, TypeError, KeyError):
        return None


def _end(row: Any) -> Link:
    return Link(int(row.seq), str(row.hash)) if row is not None else Link(0, GENESIS)


def _problem(row: Any, prev: Any, starts: dict[int, str], legacy_through: int) -> str | None:
    seq = int(row.seq)
    legacy = seq <= legacy_through
    if prev is None and not legacy:
        if seq == 1:
            expected = GENESIS
        elif seq - 1 in starts:
            expected = starts[seq - 1]
        else:
            return f"the log starts at seq {seq}, and no checkpoint says the entries before it were pruned"
        if row.prev_hash != expected:
            return "the oldest entry does not follow the checkpoint it starts from"
    if prev is not None:
        if not legacy and seq != int(prev.seq) + 1:
            return f"entries {int(prev.seq) + 1} to {seq - 1} are missing"
        if row.prev_hash != prev.hash:
            return f"it does not follow entry {int(prev.seq)}: an entry was removed, moved or changed"
    if legacy:
        expected_hash = legacy_digest(row.prev_hash, row.at, row.actor_id, row.action, row.target, row.detail)
    else:
        expected_hash = row_digest(row)
    if row.hash != expected_hash:
        return "its stored fields do not match its hash: the entry was changed"
    return None
