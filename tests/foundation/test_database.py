"""The database: migrations at start, durable pragmas, backups, and refusing a newer schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from reelhouse.errors import DatabaseError
from reelhouse.persistence.database import Database


def _db(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'r.db'}")


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_fresh_database_migrates_to_head_without_backup(tmp_path: Path) -> None:
    db = _db(tmp_path)
    assert db.migrate(backup_dir=tmp_path / "backups") is None
    assert db.current_revision() == db.head_revision()
    assert not (tmp_path / "backups").exists()


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    db = _db(tmp_path)
    db.migrate()
    with db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_existing_database_is_backed_up_before_migrating(tmp_path: Path) -> None:
    db = _db(tmp_path)
    db.migrate()
    with db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    backup = db.migrate(backup_dir=tmp_path / "backups")
    assert backup is not None and Path(backup).is_file()
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    copy.close()


def test_database_from_a_newer_version_is_refused_and_untouched(tmp_path: Path) -> None:
    db = _db(tmp_path)
    db.migrate()
    with db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    db.close()
    before = _dump(tmp_path / "r.db")
    again = _db(tmp_path)
    with pytest.raises(DatabaseError, match="newer version"):
        again.migrate(backup_dir=tmp_path / "backups")
    again.close()
    assert _dump(tmp_path / "r.db") == before


def test_online_backup_is_a_whole_database(tmp_path: Path) -> None:
    db = _db(tmp_path)
    db.migrate()
    db.backup_to(tmp_path / "out" / "copy.db")
    copy = sqlite3.connect(tmp_path / "out" / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT count(*) FROM libraries").fetchone() == (0,)
    copy.close()
    assert not list((tmp_path / "out").glob("*.partial"))


def test_unusable_database_url_is_a_clear_error() -> None:
    with pytest.raises(DatabaseError, match="database_url"):
        Database("nosuchdialect://x")
