"""Migration 0005 brings a database from before label masks up to date: column, indexes and masks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.domain.access import label_mask
from reelhouse.persistence.database import Database
from reelhouse.persistence.schema import BROWSE_INDEX_COLUMNS

OLD_INDEX = "CREATE INDEX {name} ON items (library_id, kind, {column}, id, rating_rank, top_id)"


def _as_before_0005(path: Path) -> None:
    """Turn a head database into what version 0004 made: no label_mask, browse indexes without it."""
    conn = sqlite3.connect(path)
    with conn:
        # 0021's timeline index covers label_mask too; a database this old has neither.
        conn.execute("DROP INDEX ix_items_browse_taken")
        for name, column in BROWSE_INDEX_COLUMNS.items():
            conn.execute(f"DROP INDEX {name}")
            conn.execute(OLD_INDEX.format(name=name, column=column))
        conn.execute("ALTER TABLE items DROP COLUMN label_mask")
        conn.execute(
            "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('lib', 'Shows', 'shows', 'shows', 0)"
        )
        for item_id, parent, top in (("show", None, "show"), ("ep1", "show", "show"), ("film", None, "film")):
            conn.execute(
                "INSERT INTO items (id, library_id, kind, parent_id, top_id, title, sort_title, extra, missing,"
                " added_at, updated_at) VALUES (?, 'lib', 'show', ?, ?, ?, ?, '{}', 0, 0, 0)",
                (item_id, parent, top, item_id, item_id),
            )
        conn.executemany(
            "INSERT INTO item_tags (item_id, tag) VALUES (?, ?)", [("show", "kids"), ("show", "4k")]
        )
        conn.execute("UPDATE alembic_version SET version_num = '0004'")
    conn.close()


def test_upgrading_from_0004_adds_masks_and_covering_indexes(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    _as_before_0005(path)
    db = Database(f"sqlite:///{path}")
    assert db.migrate(backup_dir=tmp_path / "backups") is not None
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    masks = dict(conn.execute("SELECT id, label_mask FROM items"))
    assert masks == {"show": label_mask(["kids", "4k"]), "ep1": label_mask(["kids", "4k"]), "film": 0}
    for name in BROWSE_INDEX_COLUMNS:
        columns = [row[2] for row in conn.execute(f"PRAGMA index_info({name})")]
        assert "label_mask" in columns
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
