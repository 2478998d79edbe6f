"""Migration 0021 adds the photo timeline's sort key (taken_key, undated lowest) and the index its pages seek in."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database


def test_upgrading_from_0020_adds_the_key_and_the_timeline_pages_through_its_index(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP INDEX ix_items_browse_taken")
        conn.execute("ALTER TABLE items DROP COLUMN taken_key")
        conn.execute(
            "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('L', 'Photos', 'photos', 'photos', 0)"
        )
        for item_id, taken in (("dated", 1_700_000_000.0), ("undated", None)):
            conn.execute(
                "INSERT INTO items (id, library_id, kind, top_id, title, sort_title, taken_at, extra, missing,"
                " added_at, updated_at) VALUES (?, 'L', 'photo', ?, ?, ?, ?, '{}', 0, 0, 0)",
                (item_id, item_id, item_id, item_id, taken),
            )
        conn.execute("UPDATE alembic_version SET version_num = '0020'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT id FROM items WHERE library_id = 'L' ORDER BY taken_key DESC, id DESC"
    ).fetchall()
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM items WHERE library_id = 'L' AND kind IN ('photo')"
        " ORDER BY taken_key DESC, id DESC LIMIT 50"
    ).fetchall()
    conn.close()
    assert [r[0] for r in rows] == ["dated", "undated"]
    steps = " ".join(str(step) for step in plan)
    assert "ix_items_browse_taken" in steps and "TEMP B-TREE" not in steps
