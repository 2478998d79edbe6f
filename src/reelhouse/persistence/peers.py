"""Pairing codes and peer links: SQL only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from reelhouse.persistence.peer_schema import pairing_codes, peer_links, peer_nonces
from reelhouse.persistence.schema import items, libraries


class PeerRepository:
    def add_code(self, conn: Connection, **row: Any) -> None:
        conn.execute(insert(pairing_codes).values(**row))

    def void_open_codes(self, conn: Connection) -> int:
        """One code at a time: a new code, or a cancel, voids the one before it."""
        done = conn.execute(
            update(pairing_codes)
            .where(pairing_codes.c.state.in_(("open", "claimed")))
            .values(state="cancelled")
        )
        return int(done.rowcount or 0)

    def claim_open_code(self, conn: Connection, now: float) -> Any:
        """The live code, moved from open to claimed in the same statement that finds it: of two attempts at
        once, exactly one gets it."""
        row = conn.execute(
            select(pairing_codes).where(pairing_codes.c.state == "open", pairing_codes.c.expires_at > now)
        ).first()
        if row is None:
            return None
        claimed = conn.execute(
            update(pairing_codes)
            .where(pairing_codes.c.id == row.id, pairing_codes.c.state == "open")
            .values(state="claimed")
        )
        return row if claimed.rowcount == 1 else None

    def latest_code(self, conn: Connection) -> Any:
        return conn.execute(
            select(pairing_codes).order_by(pairing_codes.c.created_at.desc()).limit(1)
        ).first()

    def set_code_state(self, conn: Connection, code_id: str, state: str) -> None:
        conn.execute(update(pairing_codes).where(pairing_codes.c.id == code_id).values(state=state))

    def add_link(self, conn: Connection, **row: Any) -> None:
        conn.execute(insert(peer_links).values(**row))

    def links(self, conn: Connection, include_removed: bool = False) -> list[Any]:
        stmt = select(peer_links).order_by(peer_links.c.paired_at)
        if not include_removed:
            stmt = stmt.where(peer_links.c.state != "removed")
        return list(conn.execute(stmt))

    def link(self, conn: Connection, link_id: str) -> Any:
        return conn.execute(select(peer_links).where(peer_links.c.id == link_id)).first()

    def link_by_fingerprint(self, conn: Connection, fingerprint: str) -> Any:
        return conn.execute(
            select(peer_links).where(peer_links.c.fingerprint == fingerprint, peer_links.c.state != "removed")
        ).first()

    def update_link(self, conn: Connection, link_id: str, **values: Any) -> None:
        conn.execute(update(peer_links).where(peer_links.c.id == link_id).values(**values))

    def next_revocation_seq(self, conn: Connection, link_id: str) -> int:
        """The next number in the link's sequence of federated-user changes (inside the write transaction)."""
        conn.execute(
            update(peer_links)
            .where(peer_links.c.id == link_id)
            .values(revocation_seq=peer_links.c.revocation_seq + 1)
        )
        found = conn.execute(
            select(peer_links.c.revocation_seq).where(peer_links.c.id == link_id)
        ).scalar_one()
        return int(found)

    def note_nonce(self, conn: Connection, nonce: str, link_id: str, now: float, keep: float) -> bool:
        """Record a signed request's nonce; False when it was seen within ``keep`` seconds (a replay)."""
        conn.execute(delete(peer_nonces).where(peer_nonces.c.seen_at < now - keep))
        # Called inside the write transaction (BEGIN IMMEDIATE): no other writer runs between the two.
        if conn.execute(select(peer_nonces.c.nonce).where(peer_nonces.c.nonce == nonce)).first() is not None:
            return False
        conn.execute(insert(peer_nonces).values(nonce=nonce, link_id=link_id, seen_at=now))
        return True

    def counts(self, conn: Connection) -> tuple[int, int]:
        """Libraries, and items present in them: what a linked server's status shows, nothing more."""
        library_count = conn.execute(select(func.count()).select_from(libraries)).scalar_one()
        item_count = conn.execute(
            select(func.count()).select_from(items).where(items.c.missing.is_(False))
        ).scalar_one()
        return int(library_count), int(item_count)
