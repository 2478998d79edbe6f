"""Recording, reading and checking the audit log."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection

from reelhouse.domain.access import Action, Actor, can
from reelhouse.errors import Conflict, PermissionDenied
from reelhouse.persistence.audit import RESTORE_ACCEPTED, AuditRepository, Link
from reelhouse.persistence.database import Database
from reelhouse.services.audit_head import AuditHead

ChainState = Literal["intact", "broken", "restored", "unanchored"]


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: float
    actor: str | None
    action: str
    target: str | None
    detail: str
    address: str | None


@dataclass(frozen=True)
class ChainReport:
    """intact; broken at `seq` for `reason`; restored from a backup (the database ends at `seq`, older than
    the recorded head); or unanchored (no head file yet, so missing newest entries cannot be seen)."""

    state: ChainState
    seq: int | None
    reason: str | None
    head_seq: int | None


class AuditService:
    PRUNE_EVERY = 3600.0

    def __init__(self, db: Database, repo: AuditRepository, head: AuditHead | None = None) -> None:
        self._db = db
        self._repo = repo
        self._head = head
        self._retention_days: Callable[[], int] = lambda: 0
        self._pruned_at = 0.0
        # Every change is audited inside its own transaction, so this is where other web nodes are told of it
        # (services/cluster.py): whatever is said here commits with the change, or not at all.
        self.on_record: Callable[[Connection, str, str | None, str | None], None] | None = None

    def keep_for(self, retention_days: Callable[[], int]) -> None:
        """Where the retention comes from (the audit_retention_days setting); 0 keeps everything."""
        self._retention_days = retention_days
        self._pruned_at = 0.0

    def record(
        self,
        conn: Connection,
        actor: Actor | None,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        address: str | None = None,
    ) -> None:
        """Append inside the caller's transaction, so the entry and the change commit together."""
        now = time.time()
        if now - self._pruned_at > self.PRUNE_EVERY:
            # Retention is applied as the log grows rather than by a timer: no background task to own.
            self._pruned_at = now
            days = self._retention_days()
            if days > 0:
                self._repo.prune(conn, now - days * 86400)
        link = self._repo.append(
            conn,
            actor.user_id if actor else None,
            actor.username if actor else None,
            action,
            target,
            detail or {},
            address,
        )
        self._after_commit(conn, link)
        if self.on_record is not None:
            self.on_record(conn, action, actor.user_id if actor else None, target)

    def entries(
        self, actor: Actor, action_prefix: str | None = None, limit: int = 100, before: int | None = None
    ) -> list[AuditEntry]:
        if not can(actor, Action.VIEW_AUDIT):
            raise PermissionDenied("Only admins can read the audit log.")
        with self._db.read() as conn:
            rows = self._repo.entries(conn, action_prefix, max(1, min(limit, 1000)), before)
        return [AuditEntry(r.seq, r.at, r.actor_name, r.action, r.target, r.detail, r.address) for r in rows]

    def check(self, actor: Actor) -> ChainReport:
        if not can(actor, Action.VIEW_AUDIT):
            raise PermissionDenied("Only admins can read the audit log.")
        return self.verify()

    def verify(self) -> ChainReport:
        """The first broken point of the chain, comparing its end with the head recorded outside it."""
        self.flush_head()
        head = self._head.read() if self._head is not None else None
        with self._db.read() as conn:
            walk = self._repo.walk(conn)
            at_head = self._repo.hash_at(conn, head.seq) if head is not None and head.seq > 0 else None
        head_seq = head.seq if head is not None else None
        if walk.broken_seq is not None:
            return ChainReport("broken", walk.broken_seq, walk.reason, head_seq)
        end = walk.end
        if head is None:
            if end.seq == 0:
                return ChainReport("intact", None, None, None)
            return ChainReport(
                "unanchored",
                None,
                "no head file was recorded yet: deleted newest entries cannot be seen",
                None,
            )
        if head.seq < 0:
            return ChainReport("broken", None, f"the head file {self._head_name()} is unreadable", None)
        if at_head == head.hash:
            return ChainReport("intact", None, None, head_seq)
        if (
            head.seq <= end.seq
            and at_head is None
            and walk.first_seq is not None
            and head.seq < walk.first_seq
        ):
            # Pruned past a head that lagged behind: nothing left to compare it with.
            return ChainReport("intact", None, None, head_seq)
        if walk.backup is not None and head.seq >= walk.backup.seq:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(walk.backup_at or 0))
            return ChainReport(
                "restored",
                end.seq,
                f"the database is older than the last recorded head (seq {head.seq}): restored from a backup? "
                f"It holds the copy written at {when} (entry {walk.backup.seq}); entries the server recorded "
                "after that copy are not in it. Run `reelhouse audit --accept-restore` to continue from here.",
                head_seq,
            )
        if head.seq > end.seq:
            return ChainReport(
                "broken",
                end.seq + 1,
                f"entries {end.seq + 1} to {head.seq} are missing: the last recorded head is seq {head.seq}, "
                f"and the log ends at seq {end.seq}",
                head_seq,
            )
        return ChainReport(
            "broken",
            head.seq,
            f"entry {head.seq} is not the one recorded as the head: the log was rewritten at or before it",
            head_seq,
        )

    def accept_restore(self, actor: Actor, address: str | None = None) -> ChainReport:
        """Continue the recorded head from a restored backup, and say so in the log itself."""
        if not can(actor, Action.VIEW_AUDIT):
            raise PermissionDenied("Only admins can accept a restored audit log.")
        report = self.verify()
        if report.state != "restored" or self._head is None:
            raise Conflict("the audit log is not a restored backup, so there is nothing to accept")
        with self._db.begin() as conn:
            link = self._repo.append(
                conn,
                actor.user_id,
                actor.username,
                RESTORE_ACCEPTED,
                None,
                {"recorded_head": report.head_seq, "database_ended_at": report.seq},
                address,
            )
            head = self._head
            self._db.after_commit(conn, lambda: head.replace(link), key=head)
        return self.verify()

    def mark_backup(self, copy: Path) -> None:
        """End a backup copy's log with an entry saying it is one (the live log is not changed)."""
        self._repo.mark_backup(copy)

    def prune(self, retention_days: int) -> None:
        if retention_days <= 0:
            return
        with self._db.begin() as conn:
            link = self._repo.prune(conn, time.time() - retention_days * 86400)
            if link is not None:
                self._after_commit(conn, link)

    def _after_commit(self, conn: Connection, link: Link) -> None:
        if self._head is None:
            return
        head = self._head
        self._db.after_commit(conn, lambda: head.advance_soon(link, self._extends), key=head)

    def _extends(self, recorded: Link) -> bool:
        """Whether the recorded head is on this database's chain (or was pruned away from it)."""
        with self._db.read() as conn:
            found = self._repo.hash_at(conn, recorded.seq)
            if found is None:
                first = self._repo.first_seq(conn)
                return first is not None and recorded.seq < first
        return found == recorded.hash

    def flush_head(self) -> None:
        """Write the queued head now: before the database closes, and before anyone compares with it."""
        if self._head is not None:
            self._head.flush()

    def _head_name(self) -> str:
        return self._head.path.name if self._head is not None else "?"


def head_file(data_dir: Path) -> AuditHead:
    return AuditHead(data_dir / "audit-head.json")
