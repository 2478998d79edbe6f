"""Recording and reading the audit log."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from reelhouse.domain.access import Action, Actor, can
from reelhouse.errors import PermissionDenied
from reelhouse.persistence.audit import AuditRepository
from reelhouse.persistence.database import Database


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: float
    actor: str | None
    action: str
    target: str | None
    detail: str
    address: str | None


class AuditService:
    PRUNE_EVERY = 3600.0

    def __init__(self, db: Database, repo: AuditRepository) -> None:
        self._db = db
        self._repo = repo
        self._retention_days: Callable[[], int] = lambda: 0
        self._pruned_at = 0.0

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
        self._repo.append(
            conn,
            actor.user_id if actor else None,
            actor.username if actor else None,
            action,
            target,
            detail or {},
            address,
        )

    def entries(
        self, actor: Actor, action_prefix: str | None = None, limit: int = 100, before: int | None = None
    ) -> list[AuditEntry]:
        if not can(actor, Action.VIEW_AUDIT):
            raise PermissionDenied("Only admins can read the audit log.")
        with self._db.read() as conn:
            rows = self._repo.entries(conn, action_prefix, max(1, min(limit, 1000)), before)
        return [AuditEntry(r.seq, r.at, r.actor_name, r.action, r.target, r.detail, r.address) for r in rows]

    def verify(self) -> int | None:
        with self._db.read() as conn:
            return self._repo.verify(conn)

    def prune(self, retention_days: int) -> None:
        if retention_days <= 0:
            return
        with self._db.begin() as conn:
            self._repo.prune(conn, time.time() - retention_days * 86400)
