"""Migration 0037 adds the HLS session table web nodes share to a database from 0036, and 0038 its fallback
reason (why a session's jobs go to CPU workers), which a node taking the session up reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database


def test_upgrading_from_0036_adds_the_hls_session_table(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE hls_sessions")
        conn.execute("UPDATE alembic_version SET version_num = '0036'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(hls_sessions)")}
    indexes = {r[1] for r in conn.execute("PRAGMA index_list(hls_sessions)")}
    conn.close()
    assert columns == {
        *("id", "user_id", "item_id", "file_path", "grant_session", "device", "plan", "subtitles", "origin"),
        *("job_id", "job", "job_start", "node", "worker", "created_at", "last_access", "fallback"),
    }
    assert "ix_hls_sessions_last_access" in indexes
