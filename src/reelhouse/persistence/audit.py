"""The append-only, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from reelhouse.persistence.schema import audit_log

GENESIS = "0" * 64


def _digest(
    prev_hash: str, at: float, actor_id: str | None, action: str, target: str | None, detail: str
) -> str:
    material = json.dumps([prev_hash, repr(at), actor_id, action, target, detail], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


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
    ) -> None:
        prev = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).scalar()
        prev_hash = prev or GENESIS
        at = time.time()
        detail_text = json.dumps(detail, sort_keys=True, default=str)
        conn.execute(
            insert(audit_log).values(
                at=at,
                actor_id=actor_id,
                actor_name=actor_name,
                action=action,
                target=target,
                detail=detail_text,
                address=address,
                prev_hash=prev_hash,
                hash=_digest(prev_hash, at, actor_id, action, target, detail_text),
            )
        )

    def entries(
        self, conn: Connection, action_prefix: str | None, limit: int, before: int | None
    ) -> list[Any]:
        stmt = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
        if action_prefix:
            stmt = stmt.where(audit_log.c.action.startswith(action_prefix, autoescape=True))
        if before is not None:
            stmt = stmt.where(audit_log.c.seq < before)
        return list(conn.execute(stmt))

    def verify(self, conn: Connection) -> int | None:
        """The seq of the first entry whose chain is broken, or None when the whole log is intact."""
        prev_hash: str | None = None
        for row in conn.execute(select(audit_log).order_by(audit_log.c.seq)):
            if prev_hash is not None and row.prev_hash != prev_hash:
                return int(row.seq)
            if row.hash != _digest(row.prev_hash, row.at, row.actor_id, row.action, row.target, row.detail):
                return int(row.seq)
            prev_hash = row.hash
        return None

    def prune(self, conn: Connection, older_than: float) -> None:
        # Pruning drops the oldest links only; the chain from the first kept entry still verifies.
        conn.execute(delete(audit_log).where(audit_log.c.at < older_than))
