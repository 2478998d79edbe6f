"""Migration 0032 adds the deny list of peer keys to a database from 0031."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database


def test_upgrading_from_0031_adds_the_peer_key_deny_list(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE peer_denied_keys")
        conn.execute("UPDATE alembic_version SET version_num = '0031'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(peer_denied_keys)")}
    conn.close()
    assert columns == {"fingerprint", "server_id", "reason", "denied_at"}
