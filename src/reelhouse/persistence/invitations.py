"""Invitations (stored by the hash of their code) and who redeemed them."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, insert, select, update

from reelhouse.domain.ids import new_id
from reelhouse.persistence.schema import invitation_redemptions, invitations


class InvitationRepository:
    def add(
        self,
        conn: Connection,
        code_hash: str,
        created_by: str | None,
        expires_at: float,
        max_uses: int,
        role: str,
        note: str | None,
        grants: dict[str, Any],
        message: str | None = None,
    ) -> str:
        invitation_id = new_id()
        conn.execute(
            insert(invitations).values(
                id=invitation_id,
                code_hash=code_hash,
                created_by=created_by,
                created_at=time.time(),
                expires_at=expires_at,
                max_uses=max_uses,
                uses=0,
                role=role,
                note=note,
                message=message,
                grants=json.dumps(grants, sort_keys=True),
            )
        )
        return invitation_id

    def by_code(self, conn: Connection, code_hash: str) -> Any:
        return conn.execute(select(invitations).where(invitations.c.code_hash == code_hash)).first()

    def by_id(self, conn: Connection, invitation_id: str) -> Any:
        return conn.execute(select(invitations).where(invitations.c.id == invitation_id)).first()

    def all(self, conn: Connection) -> list[Any]:
        return list(conn.execute(select(invitations).order_by(invitations.c.created_at.desc())))

    def redemptions(self, conn: Connection) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        stmt = select(invitation_redemptions).order_by(invitation_redemptions.c.at)
        for row in conn.execute(stmt):
            out.setdefault(row.invitation_id, []).append(row.username)
        return out

    def claim(self, conn: Connection, invitation_id: str, now: float) -> bool:
        """Take one use, atomically, only while the invitation is live: two redeemers cannot both win."""
        result = conn.execute(
            update(invitations)
            .where(
                invitations.c.id == invitation_id,
                invitations.c.revoked_at.is_(None),
                invitations.c.expires_at > now,
                invitations.c.uses < invitations.c.max_uses,
            )
            .values(uses=invitations.c.uses + 1)
        )
        return bool(result.rowcount)

    def record_redemption(self, conn: Connection, invitation_id: str, user_id: str, username: str) -> None:
        conn.execute(
            insert(invitation_redemptions).values(
                invitation_id=invitation_id, user_id=user_id, username=username, at=time.time()
            )
        )

    def revoke(self, conn: Connection, invitation_id: str) -> bool:
        result = conn.execute(
            update(invitations)
            .where(invitations.c.id == invitation_id, invitations.c.revoked_at.is_(None))
            .values(revoked_at=time.time())
        )
        return bool(result.rowcount)
