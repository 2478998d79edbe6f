"""Quick Connect requests: an app's pending sign-in, found by its code's hash or its secret's hash."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from reelhouse.persistence.schema import quick_connect


class QuickConnectRepository:
    def add(
        self, conn: Connection, secret_hash: str, code_hash: str, app: dict[str, str], **row: Any
    ) -> None:
        conn.execute(insert(quick_connect).values(secret_hash=secret_hash, code_hash=code_hash, **app, **row))

    def forget_expired(self, conn: Connection, now: float) -> None:
        conn.execute(delete(quick_connect).where(quick_connect.c.expires_at <= now))

    def pending_from(self, conn: Connection, address: str | None, now: float) -> int:
        where = quick_connect.c.address.is_(None) if address is None else quick_connect.c.address == address
        stmt = select(func.count()).select_from(quick_connect).where(where, quick_connect.c.expires_at > now)
        return int(conn.execute(stmt).scalar_one())

    def pending(self, conn: Connection, now: float) -> int:
        stmt = select(func.count()).select_from(quick_connect).where(quick_connect.c.expires_at > now)
        return int(conn.execute(stmt).scalar_one())

    def by_code(self, conn: Connection, code_hash: str, now: float) -> Any:
        """The live request showing this code, approved or not."""
        return conn.execute(
            select(quick_connect).where(
                quick_connect.c.code_hash == code_hash, quick_connect.c.expires_at > now
            )
        ).first()

    def by_secret(self, conn: Connection, secret_hash: str, now: float) -> Any:
        return conn.execute(
            select(quick_connect).where(
                quick_connect.c.secret_hash == secret_hash, quick_connect.c.expires_at > now
            )
        ).first()

    def approve(self, conn: Connection, secret_hash: str, user_id: str) -> None:
        conn.execute(
            update(quick_connect).where(quick_connect.c.secret_hash == secret_hash).values(user_id=user_id)
        )

    def remove(self, conn: Connection, secret_hash: str) -> bool:
        done = conn.execute(delete(quick_connect).where(quick_connect.c.secret_hash == secret_hash))
        return bool(done.rowcount)
