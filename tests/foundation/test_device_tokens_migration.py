"""Migration 0014 gives tokens a device and an app, adds Quick Connect requests, and keeps every token."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database


def _as_before_0014(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE quick_connect")
        conn.execute("ALTER TABLE auth_tokens DROP COLUMN device_id")
        conn.execute("ALTER TABLE auth_tokens DROP COLUMN client")
        conn.execute(
            "INSERT INTO users (id, username, username_key, role, disabled, created_at, grants)"
            " VALUES ('u', 'ann', 'ann', 'member', 0, 0, '{}')"
        )
        conn.execute(
            "INSERT INTO auth_tokens (id, token_hash, user_id, kind, name, scopes, created_at, last_seen_at)"
            " VALUES ('t', 'h', 'u', 'session', 'web', 'read', 1, 2)"
        )
        conn.execute("UPDATE alembic_version SET version_num = '0013'")
    conn.close()


def test_upgrading_from_0013_adds_devices_and_quick_connect_and_keeps_tokens(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    _as_before_0014(path)
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT id, kind, device_id, client FROM auth_tokens").fetchall() == [
        ("t", "session", None, None)
    ]
    columns = {row[1] for row in conn.execute("PRAGMA table_info(quick_connect)")}
    assert {"secret_hash", "code_hash", "device_id", "user_id", "expires_at"} <= columns
    conn.close()
