"""Migration 0013 adds favourites and ratings to play state and keeps every existing row's progress."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database


def _as_before_0013(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("ALTER TABLE play_state DROP COLUMN favourite_at")
        conn.execute("ALTER TABLE play_state DROP COLUMN rating")
        conn.execute(
            "INSERT INTO users (id, username, username_key, role, disabled, created_at, grants)"
            " VALUES ('u', 'ann', 'ann', 'member', 0, 0, '{}')"
        )
        conn.execute(
            "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('lib', 'Films', 'films', 'movies', 0)"
        )
        conn.execute(
            "INSERT INTO items (id, library_id, kind, top_id, title, sort_title, extra, missing, added_at,"
            " updated_at) VALUES ('film', 'lib', 'movie', 'film', 'Film', 'film', '{}', 0, 0, 0)"
        )
        conn.execute(
            "INSERT INTO play_state (user_id, item_id, position, watched, play_count, updated_at)"
            " VALUES ('u', 'film', 41.5, 0, 2, 7)"
        )
        conn.execute("UPDATE alembic_version SET version_num = '0010'")
    conn.close()


def test_upgrading_from_0010_adds_marks_and_keeps_progress(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    _as_before_0013(path)
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    row = conn.execute("SELECT position, play_count, favourite_at, rating FROM play_state").fetchone()
    assert row == (41.5, 2, None, None)
    conn.close()
