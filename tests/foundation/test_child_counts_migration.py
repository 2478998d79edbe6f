"""Migration 0033 adds items.child_count to an older database, counts what is there, and keeps it by triggers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.domain.library import LibraryKind
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository

_TRIGGERS = ("items_child_added", "items_child_count_given", "items_child_removed", "items_child_moved")
_ROW = (
    "INSERT INTO items (id, library_id, kind, parent_id, top_id, title, sort_title, extra, missing, added_at, "
    "updated_at) VALUES (?, ?, ?, ?, 'ar', ?, ?, '{}', 0, 0, 0)"
)


def test_upgrading_from_0032_counts_every_items_children(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    with db.begin() as conn:
        library = LibraryRepository().add(conn, "Music", LibraryKind.MUSIC, [str(tmp_path)])
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        for name in _TRIGGERS:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("ALTER TABLE items DROP COLUMN child_count")
        rows = [("ar", "artist", None), ("al1", "album", "ar"), ("al2", "album", "ar")]
        rows += [(f"t{n}", "track", "al1") for n in range(3)] + [("t9", "track", "al2")]
        conn.executemany(_ROW, [(i, library.id, kind, parent, i, i) for i, kind, parent in rows])
        conn.execute("UPDATE alembic_version SET version_num = '0032'")
    conn.close()

    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        counts = dict(conn.execute("SELECT id, child_count FROM items WHERE kind != 'track'").fetchall())
        assert counts == {"ar": 2, "al1": 3, "al2": 1}
        # And from here on the triggers keep it.
        conn.execute(_ROW, ("t10", library.id, "track", "al2", "t10", "t10"))
        conn.execute("UPDATE items SET parent_id = 'al2' WHERE id = 't0'")
        conn.execute("DELETE FROM items WHERE id = 't1'")
        counts = dict(conn.execute("SELECT id, child_count FROM items WHERE kind != 'track'").fetchall())
    conn.close()
    assert counts == {"ar": 2, "al1": 1, "al2": 3}
