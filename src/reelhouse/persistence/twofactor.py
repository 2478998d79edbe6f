"""Two-factor secrets and hashed one-time recovery codes."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from reelhouse.persistence.schema import recovery_codes, second_factors


class TwoFactorRepository:
    def get(self, conn: Connection, user_id: str) -> Any:
        return conn.execute(select(second_factors).where(second_factors.c.user_id == user_id)).first()

    def confirmed_users(self, conn: Connection) -> set[str]:
        rows = conn.execute(
            select(second_factors.c.user_id).where(second_factors.c.confirmed_at.is_not(None))
        )
        return {str(r[0]) for r in rows}

    def start(self, conn: Connection, user_id: str, secret: str) -> None:
        self.remove(conn, user_id)
        conn.execute(insert(second_factors).values(user_id=user_id, secret=secret, created_at=time.time()))

    def confirm(self, conn: Connection, user_id: str, step: int, code_hashes: list[str]) -> None:
        conn.execute(
            update(second_factors)
            .where(second_factors.c.user_id == user_id)
            .values(confirmed_at=time.time(), last_step=step)
        )
        conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
        conn.execute(insert(recovery_codes), [{"code_hash": h, "user_id": user_id} for h in code_hashes])

    def use_step(self, conn: Connection, user_id: str, step: int) -> bool:
        """Atomically move last_step forward; False when this step (or a later one) was already used."""
        result = conn.execute(
            update(second_factors)
            .where(second_factors.c.user_id == user_id, second_factors.c.last_step < step)
            .values(last_step=step)
        )
        return bool(result.rowcount)

    def use_recovery_code(self, conn: Connection, user_id: str, code_hash: str) -> bool:
        result = conn.execute(
            update(recovery_codes)
            .where(
                recovery_codes.c.user_id == user_id,
                recovery_codes.c.code_hash == code_hash,
                recovery_codes.c.used_at.is_(None),
            )
            .values(used_at=time.time())
        )
        return bool(result.rowcount)

    def recovery_left(self, conn: Connection, user_id: str) -> int:
        stmt = select(func.count()).where(
            recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None)
        )
        return int(conn.execute(stmt).scalar_one())

    def remove(self, conn: Connection, user_id: str) -> None:
        conn.execute(delete(second_factors).where(second_factors.c.user_id == user_id))
        conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
