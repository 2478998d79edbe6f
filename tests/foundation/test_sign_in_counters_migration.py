"""Migration 0036 adds the sign-in counters web nodes share to a database from 0035."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database


def test_upgrading_from_0035_adds_the_shared_sign_in_counters(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE sign_in_counters")
        conn.execute("UPDATE alembic_version SET version_num = '0035'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(sign_in_counters)")}
    conn.close()
    assert columns == {"key", "failures", "pending", "last", "pending_at"}
