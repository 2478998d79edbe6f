"""Stored runtime settings: one row per setting that differs from its default."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from reelhouse.persistence.schema import settings


class SettingsRepository:
    def load(self, conn: Connection) -> dict[str, Any]:
        return {row.name: json.loads(row.value) for row in conn.execute(select(settings))}

    def save(self, conn: Connection, values: dict[str, Any], actor_id: str | None) -> None:
        now = time.time()
        for name, value in values.items():
            conn.execute(delete(settings).where(settings.c.name == name))
            conn.execute(
                insert(settings).values(
                    name=name, value=json.dumps(value), updated_at=now, updated_by=actor_id
                )
            )
