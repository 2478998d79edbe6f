"""Federated principals and the nonces and token ids of federated sign-in: SQL only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from reelhouse.persistence.peer_schema import federated_principals, federation_shares, federation_used
from reelhouse.persistence.schema import users


class FederationRepository:
    def principal(self, conn: Connection, issuer: str, subject: str) -> Any:
        return conn.execute(
            select(federated_principals, users.c.username)
            .join(users, users.c.id == federated_principals.c.user_id)
            .where(federated_principals.c.issuer == issuer, federated_principals.c.subject == subject)
        ).first()

    def add_principal(
        self, conn: Connection, issuer: str, subject: str, user_id: str, link_id: str, now: float
    ) -> None:
        conn.execute(
            insert(federated_principals).values(
                issuer=issuer, subject=subject, user_id=user_id, link_id=link_id, created_at=now
            )
        )

    def set_revoked(self, conn: Connection, issuer: str, subject: str, at: float | None) -> None:
        conn.execute(
            update(federated_principals)
            .where(federated_principals.c.issuer == issuer, federated_principals.c.subject == subject)
            .values(revoked_at=at)
        )

    def set_seq(self, conn: Connection, issuer: str, subject: str, seq: int, link_id: str) -> None:
        """The change numbered ``seq`` over ``link_id`` is the newest applied to this principal."""
        conn.execute(
            update(federated_principals)
            .where(federated_principals.c.issuer == issuer, federated_principals.c.subject == subject)
            .values(seq=seq, link_id=link_id)
        )

    def add_nonce(self, conn: Connection, nonce: str, now: float, keep: float) -> None:
        conn.execute(delete(federation_used).where(federation_used.c.created_at < now - keep))
        conn.execute(insert(federation_used).values(value=nonce, kind="nonce", created_at=now))

    def open_nonces(self, conn: Connection, since: float) -> int:
        return int(
            conn.execute(
                select(func.count())
                .select_from(federation_used)
                .where(
                    federation_used.c.kind == "nonce",
                    federation_used.c.used_at.is_(None),
                    federation_used.c.created_at > since,
                )
            ).scalar_one()
        )

    def use_nonce(self, conn: Connection, nonce: str, now: float, lifetime: float) -> bool:
        """Mark a nonce this server issued as used, in the statement that checks it: of two sign-ins with
        one nonce, exactly one gets it."""
        done = conn.execute(
            update(federation_used)
            .where(
                and_(
                    federation_used.c.value == nonce,
                    federation_used.c.kind == "nonce",
                    federation_used.c.used_at.is_(None),
                    federation_used.c.created_at > now - lifetime,
                )
            )
            .values(used_at=now)
        )
        return done.rowcount == 1

    def use_jti(self, conn: Connection, jti: str, now: float) -> bool:
        """Record an accepted token id; False when it was accepted before. Kept as long as nonces are, which
        outlives any token (five minutes and two of leeway)."""
        seen = conn.execute(
            select(federation_used.c.value).where(
                federation_used.c.value == jti, federation_used.c.kind == "jti"
            )
        ).first()
        if seen is not None:
            return False
        conn.execute(insert(federation_used).values(value=jti, kind="jti", created_at=now, used_at=now))
        return True

    def subjects_of(self, conn: Connection, link_id: str) -> list[Any]:
        return list(
            conn.execute(select(federated_principals).where(federated_principals.c.link_id == link_id))
        )

    def set_share(self, conn: Connection, link_id: str, user_id: str, libraries: str, now: float) -> None:
        conn.execute(
            delete(federation_shares).where(
                federation_shares.c.link_id == link_id, federation_shares.c.user_id == user_id
            )
        )
        conn.execute(
            insert(federation_shares).values(
                link_id=link_id, user_id=user_id, libraries=libraries, shared_at=now
            )
        )

    def drop_share(self, conn: Connection, link_id: str, user_id: str) -> None:
        conn.execute(
            delete(federation_shares).where(
                federation_shares.c.link_id == link_id, federation_shares.c.user_id == user_id
            )
        )

    def is_shared(self, conn: Connection, link_id: str, user_id: str) -> bool:
        found = conn.execute(
            select(federation_shares.c.link_id).where(
                federation_shares.c.link_id == link_id, federation_shares.c.user_id == user_id
            )
        ).first()
        return found is not None

    def shared_links(self, conn: Connection, user_id: str) -> list[str]:
        rows = conn.execute(select(federation_shares.c.link_id).where(federation_shares.c.user_id == user_id))
        return [r.link_id for r in rows]
