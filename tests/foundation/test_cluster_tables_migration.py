"""Migration 0036 adds the tables web nodes share (sign-in counters, scans and home sign-ins under way) to a database from 0035."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database


def test_upgrading_from_0035_adds_the_cluster_tables(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE sign_in_counters")
        conn.execute("DROP TABLE pending_scans")
        conn.execute("DROP TABLE home_sign_ins")
        conn.execute("UPDATE alembic_version SET version_num = '0035'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    counters = {r[1] for r in conn.execute("PRAGMA table_info(sign_in_counters)")}
    scans = {r[1] for r in conn.execute("PRAGMA table_info(pending_scans)")}
    flows = {r[1] for r in conn.execute("PRAGMA table_info(home_sign_ins)")}
    conn.close()
    assert counters == {"key", "failures", "pending", "last", "pending_at"}
    assert scans == {"library_id", "node", "started_at"}
    assert flows == {"kind", "key_hash", "value", "grp", "created_at", "expires_at"}
