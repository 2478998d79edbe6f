"""Migration 0018 adds people, collections and lyrics tables and keeps every existing row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database

_NEW = ("item_lyrics", "item_collections", "collections", "item_people", "people")


def test_upgrading_from_0017_adds_the_tables_and_keeps_items(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        for table in _NEW:
            conn.execute(f"DROP TABLE {table}")
        conn.execute(
            "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('lib', 'Films', 'films', 'movies', 0)"
        )
        conn.execute(
            "INSERT INTO items (id, library_id, kind, top_id, title, sort_title, extra, missing, added_at,"
            " updated_at) VALUES ('film', 'lib', 'movie', 'film', 'Film', 'film', '{\"extra_type\":\"x\"}', 0, 0, 5)"
        )
        conn.execute("UPDATE alembic_version SET version_num = '0017'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT id, title, extra, updated_at FROM items").fetchall() == [
        ("film", "Film", '{"extra_type":"x"}', 5.0)
    ]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(_NEW) <= tables
    conn.close()
