"""Migration 0022 adds libraries.seek_previews: on for the existing film, show and home video libraries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database


def test_upgrading_from_0021_turns_seek_previews_on_for_video_libraries_only(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("ALTER TABLE libraries DROP COLUMN seek_previews")
        for kind in ("movies", "shows", "home_videos", "music", "photos"):
            conn.execute(
                "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES (?, ?, ?, ?, 0)",
                (kind, kind, kind, kind),
            )
        conn.execute("UPDATE alembic_version SET version_num = '0021'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    rows = dict(conn.execute("SELECT kind, seek_previews FROM libraries").fetchall())
    conn.close()
    assert rows == {"movies": 1, "shows": 1, "home_videos": 1, "music": 0, "photos": 0}
