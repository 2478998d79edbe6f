"""Migration 0035 drops pending Quick Connect requests, whose codes were stored as a bare SHA-256 that a copy of
the database reverses by trying the million codes."""

from __future__ import annotations

import hashlib
import importlib
import sqlite3
import time
from pathlib import Path

from reelhouse.persistence.database import Database

MIGRATION = importlib.import_module(
    "reelhouse.persistence.migrations.versions.0035_quick_connect_keyed_codes"
)


def test_upgrading_drops_requests_whose_code_a_bare_hash_names(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    now = time.time()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO quick_connect (secret_hash, code_hash, client, device, device_id, created_at,"
            " expires_at) VALUES (?, ?, 'app', 'phone', 'd1', ?, ?)",
            ("a" * 64, hashlib.sha256(b"123456").hexdigest(), now, now + 300),
        )
        conn.execute("UPDATE alembic_version SET version_num = ?", (MIGRATION.down_revision,))
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    left = conn.execute("SELECT count(*) FROM quick_connect").fetchone()
    conn.close()
    assert left == (0,)
