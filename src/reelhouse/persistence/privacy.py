"""Reads the privacy report needs: who may connect from outside, and how many invitations are open."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, inspect, select, text

from reelhouse.persistence.schema import users


class PrivacyRepository:
    def remote_accounts(self, conn: Connection) -> list[dict[str, Any]]:
        """Enabled accounts whose grants let them connect remotely (absent grant means allowed)."""
        out: list[dict[str, Any]] = []
        for row in conn.execute(select(users.c.username, users.c.role, users.c.disabled, users.c.grants)):
            if row.disabled:
                continue
            try:
                grants = json.loads(row.grants or "{}")
            except json.JSONDecodeError:
                grants = {}
            if bool(grants.get("may_connect_remotely", True)):
                out.append({"username": row.username, "role": row.role})
        return out

    def home_only_accounts(self, conn: Connection) -> list[dict[str, Any]]:
        """Enabled members and admins whose grants keep them on the home network (managed profiles always
        stay home, so they are not listed: nothing can change that)."""
        out: list[dict[str, Any]] = []
        for row in conn.execute(select(users.c.username, users.c.role, users.c.disabled, users.c.grants)):
            if row.disabled or row.role in ("owner", "managed"):
                continue
            try:
                grants = json.loads(row.grants or "{}")
            except json.JSONDecodeError:
                grants = {}
            if not bool(grants.get("may_connect_remotely", True)):
                out.append({"username": row.username, "role": row.role})
        return out

    def open_invitations(self, conn: Connection) -> int:
        # The invitations table arrives with the accounts work; until then there are none to count.
        if not inspect(conn).has_table("invitations"):
            return 0
        columns = {c["name"] for c in inspect(conn).get_columns("invitations")}
        clauses = [f"{c} IS NULL" for c in ("used_at", "redeemed_at", "revoked_at") if c in columns]
        if {"uses", "max_uses"} <= columns:
            clauses.append("uses < max_uses")
        if "expires_at" in columns:
            clauses.append("(expires_at IS NULL OR expires_at > :now)")
        where = " AND ".join(clauses) or "1=1"
        # Column names come from the fixed tuple above, never from input.
        count = conn.execute(text(f"SELECT count(*) FROM invitations WHERE {where}"), {"now": time.time()})  # noqa: S608
        return int(count.scalar_one())
