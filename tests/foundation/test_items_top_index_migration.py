"""Migration 0019 adds the (top_id, kind) index that counting a show's episodes or an artist's tracks uses."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database


def test_upgrading_from_0018_adds_the_index_and_the_count_uses_it(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP INDEX ix_items_top")
        conn.execute("UPDATE alembic_version SET version_num = '0018'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT top_id, count(*) FROM items WHERE top_id IN ('a', 'b')"
        " AND kind IN ('episode', 'track') GROUP BY top_id"
    ).fetchall()
    conn.close()
    assert "ix_items_top" in " ".join(str(step) for step in plan)
