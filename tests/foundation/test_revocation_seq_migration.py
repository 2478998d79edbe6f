"""Migration 0027 numbers changes of federated users: a database from 0026 gains peer_links.revocation_seq and
federated_principals.seq, both 0 for the rows it already has."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelhouse.persistence.database import Database


def test_upgrading_from_0026_adds_the_sequence_columns(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("ALTER TABLE peer_links DROP COLUMN revocation_seq")
        conn.execute("ALTER TABLE federated_principals DROP COLUMN seq")
        conn.execute(
            "INSERT INTO peer_links (id, fingerprint, server_id, name, spki, addresses, scopes_to_peer,"
            " scopes_from_peer, state, role, paired_at, proto) VALUES"
            " ('l1', 'F', 'S', 'Away', '00', '[]', '[]', '[]', 'active', 'dialed', 1.0, 1)"
        )
        conn.execute("UPDATE alembic_version SET version_num = '0026'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    links = {r[1] for r in conn.execute("PRAGMA table_info(peer_links)")}
    principals = {r[1] for r in conn.execute("PRAGMA table_info(federated_principals)")}
    (seq,) = conn.execute("SELECT revocation_seq FROM peer_links WHERE id = 'l1'").fetchone()
    conn.close()
    assert "revocation_seq" in links and "seq" in principals and seq == 0
