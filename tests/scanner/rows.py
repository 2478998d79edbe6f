"""Reading what a scan wrote, straight from the tables, so tests check the database and not a service."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from reelhouse.persistence.database import Database


def rows(db: Database, sql: str, **params: Any) -> list[dict[str, Any]]:
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def items(db: Database, kind: str | None = None) -> list[dict[str, Any]]:
    found = rows(db, "SELECT * FROM items ORDER BY kind, parent_idx, idx, sort_title")
    for row in found:
        row["extra"] = json.loads(row["extra"] or "{}")
    return [r for r in found if kind is None or r["kind"] == kind]


def one(db: Database, kind: str) -> dict[str, Any]:
    found = items(db, kind)
    assert len(found) == 1, [r["title"] for r in found]
    return found[0]


def settled(path: Path) -> Path:
    """Backdate a file's mtime past the scanner's settle time: a broken file just written would otherwise be
    taken for one still being copied in, and tried again later instead of reported."""
    old = time.time() - 60
    os.utime(path, (old, old))
    return path
