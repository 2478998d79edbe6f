"""Migration 0025 adds the federated principals, the used nonces and token ids, and the home side's shares to a
database from 0024."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database

TABLES = ("federated_principals", "federation_used", "federation_shares")


def test_upgrading_from_0024_adds_the_federation_tables(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        for table in TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE alembic_version SET version_num = '0024'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    columns = {r[1] for r in conn.execute("PRAGMA table_info(federated_principals)")}
    conn.close()
    assert set(TABLES) <= tables
    assert {"issuer", "subject", "user_id", "revoked_at"} <= columns
