"""Rows of peer_denied_keys: the key fingerprints of servers whose link ended."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from reelhouse.persistence.peer_schema import peer_denied_keys


class PeerDenylistRepository:
    def deny(self, conn: Connection, fingerprint: str, server_id: str, reason: str, now: float) -> None:
        conn.execute(delete(peer_denied_keys).where(peer_denied_keys.c.fingerprint == fingerprint))
        conn.execute(
            insert(peer_denied_keys).values(
                fingerprint=fingerprint, server_id=server_id, reason=reason, denied_at=now
            )
        )

    def denied(self, conn: Connection, fingerprints: list[str]) -> list[str]:
        rows = conn.execute(
            select(peer_denied_keys.c.fingerprint).where(peer_denied_keys.c.fingerprint.in_(fingerprints))
        )
        return [str(r.fingerprint) for r in rows]

    def clear(self, conn: Connection, fingerprint: str) -> None:
        conn.execute(delete(peer_denied_keys).where(peer_denied_keys.c.fingerprint == fingerprint))
