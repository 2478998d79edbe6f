"""Sign in with Home's entries under way in PostgreSQL, so that a sign-in started on one web node finishes on
another (`cluster` on, issue #19). The same rules as the in-memory table (services/home_sign_in.py `_Kept`):
single-use, expiring, and bounded per link by dropping that link's oldest entry, or refusing for entries
without a link. Times are the wall clock, compared across nodes."""

from __future__ import annotations

import json
import time
from typing import Any

from reelhouse.errors import TooManyRequests
from reelhouse.persistence import home_sign_ins as rows
from reelhouse.persistence.database import Database
from reelhouse.services.home_sign_in import MAX_PENDING


class SharedKept:
    def __init__(self, db: Database, kind: str) -> None:
        self._db = db
        self._kind = kind

    def put(self, key: str, value: dict[str, Any], seconds: float, group: str | None = None) -> None:
        now = time.time()
        encoded = json.dumps(value, sort_keys=True)
        added = rows.run(
            self._db,
            lambda conn: rows.put(conn, self._kind, key, encoded, group, now, now + seconds, MAX_PENDING),
        )
        if not added:
            raise TooManyRequests("Too many sign-ins are under way; try again in a minute.", 60)

    def take(self, key: str) -> dict[str, Any] | None:
        found = rows.run(self._db, lambda conn: rows.take(conn, self._kind, key, time.time()))
        return None if found is None else dict(json.loads(found))

    def peek(self, key: str) -> dict[str, Any] | None:
        found = rows.run(self._db, lambda conn: rows.peek(conn, self._kind, key, time.time()))
        return None if found is None else dict(json.loads(found))
