"""Migration 0017 adds playlists and play queues to a database from before them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database

TABLES = ("play_queue_entries", "play_queues", "playlist_entries", "playlists")


def test_upgrading_from_0015_adds_playlists_and_play_queues(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        for table in TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE alembic_version SET version_num = '0015'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(TABLES) <= names
    entries = {row[1] for row in conn.execute("PRAGMA table_info(playlist_entries)")}
    assert entries == {"playlist_id", "position", "item_id"}
    conn.close()
