"""Migration 0024 adds the remote-administration outbox and the received keys to a database from 0023."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database


def test_upgrading_from_0023_adds_the_outbox_and_received_keys(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE peer_outbox")
        conn.execute("DROP TABLE peer_received")
        conn.execute("UPDATE alembic_version SET version_num = '0023'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    columns = {r[1] for r in conn.execute("PRAGMA table_info(peer_outbox)")}
    conn.close()
    assert {"peer_outbox", "peer_received"} <= tables
    assert {"idempotency_key", "created_at", "expires_at", "state"} <= columns
