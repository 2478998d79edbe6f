"""The remote-administration outbox and the keys of changes received over links: SQL only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from reelhouse.persistence.peer_schema import peer_outbox, peer_received


class PeerOutboxRepository:
    def add(self, conn: Connection, **row: Any) -> None:
        conn.execute(insert(peer_outbox).values(**row))

    def entry(self, conn: Connection, entry_id: str) -> Any:
        return conn.execute(select(peer_outbox).where(peer_outbox.c.id == entry_id)).first()

    def entries(self, conn: Connection, link_id: str) -> list[Any]:
        return list(
            conn.execute(
                select(peer_outbox)
                .where(peer_outbox.c.link_id == link_id)
                .order_by(peer_outbox.c.created_at.desc(), peer_outbox.c.id)
                .limit(200)
            )
        )

    def pending(self, conn: Connection, link_id: str, kinds: tuple[str, ...]) -> list[Any]:
        """The entries of these kinds waiting for the link, oldest first."""
        return list(
            conn.execute(
                select(peer_outbox)
                .where(
                    peer_outbox.c.link_id == link_id,
                    peer_outbox.c.state == "pending",
                    peer_outbox.c.kind.in_(kinds),
                )
                .order_by(peer_outbox.c.created_at, peer_outbox.c.id)
            )
        )

    def pending_counts(self, conn: Connection, kinds: tuple[str, ...]) -> dict[str, int]:
        """How many entries of these kinds wait, per link (links with none are left out)."""
        rows = conn.execute(
            select(peer_outbox.c.link_id, func.count())
            .where(peer_outbox.c.state == "pending", peer_outbox.c.kind.in_(kinds))
            .group_by(peer_outbox.c.link_id)
        )
        return {str(link_id): int(count) for link_id, count in rows}

    def links_waiting(self, conn: Connection, kinds: tuple[str, ...]) -> list[str]:
        return list(
            conn.execute(
                select(peer_outbox.c.link_id)
                .where(peer_outbox.c.state == "pending", peer_outbox.c.kind.in_(kinds))
                .distinct()
            ).scalars()
        )

    def expire(self, conn: Connection, now: float, kinds: tuple[str, ...] = ("settings",)) -> int:
        """Only settings changes expire: a revocation waits for its server however long it is away."""
        done = conn.execute(
            update(peer_outbox)
            .where(
                peer_outbox.c.state == "pending",
                peer_outbox.c.expires_at <= now,
                peer_outbox.c.kind.in_(kinds),
            )
            .values(state="expired", finished_at=now)
        )
        return int(done.rowcount or 0)

    def finish(self, conn: Connection, entry_id: str, from_state: str, **values: Any) -> bool:
        """Move an entry on only from the state the caller saw: a cancel and a delivery racing each other
        cannot both win."""
        done = conn.execute(
            update(peer_outbox)
            .where(peer_outbox.c.id == entry_id, peer_outbox.c.state == from_state)
            .values(**values)
        )
        return done.rowcount == 1

    def received(self, conn: Connection, link_id: str, key: str) -> Any:
        return conn.execute(
            select(peer_received).where(
                peer_received.c.link_id == link_id, peer_received.c.idempotency_key == key
            )
        ).first()

    def note_received(self, conn: Connection, **row: Any) -> None:
        conn.execute(insert(peer_received).values(**row))
