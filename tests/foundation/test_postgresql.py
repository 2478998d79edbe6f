"""PostgreSQL: the migrations build the same tables as on SQLite, writers queue, and the SQLite-only tools say so."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from reelhouse.errors import DatabaseError
from reelhouse.persistence.database import Database
from reelhouse.persistence.schema import metadata
from tests import postgres


def test_migrations_run_from_empty_to_head_on_postgresql(postgres_empty_url: str) -> None:
    db = Database(postgres_empty_url)
    try:
        assert db.is_postgresql and db.current_revision() is None
        assert db.migrate() is None
        assert db.current_revision() == db.head_revision()
        with db.read() as conn:
            tables = set(inspect(conn).get_table_names())
            assert set(metadata.tables) <= tables
            # The photo timeline's key is generated there too (stored: PostgreSQL has no virtual columns).
            row = conn.execute(text("SELECT is_generated FROM information_schema.columns "
                                    "WHERE table_name = 'items' AND column_name = 'taken_key'")).scalar()  # fmt: skip
            assert row == "ALWAYS"
        # Migrating again is a no-op.
        assert db.migrate() is None
    finally:
        db.close()


def test_a_plain_postgresql_url_uses_psycopg_3(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql://")
    db = Database(postgres_url)
    try:
        assert db.engine.dialect.driver == "psycopg"
    finally:
        db.close()


def test_writers_take_turns_as_on_sqlite(postgres_url: str) -> None:
    """Two write transactions never overlap: code written for SQLite's one writer reads, then writes."""
    db = Database(postgres_url)
    inside = threading.Event()
    order: list[str] = []

    def second() -> None:
        inside.wait(5)
        with db.begin():
            order.append("second")

    other = threading.Thread(target=second)
    other.start()
    try:
        with db.begin() as conn:
            conn.execute(text("SELECT 1"))
            inside.set()
            time.sleep(0.3)
            order.append("first")
        other.join(5)
        assert order == ["first", "second"]
    finally:
        db.close()


def test_sqlite_only_tools_say_what_they_do_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    db = Database(postgres_url)
    try:
        with pytest.raises(DatabaseError, match="pg_dump"):
            db.backup_to(tmp_path / "copy.db")
        assert not (tmp_path / "copy.db").exists()
        assert db.integrity_check() == "ok"
        with db.begin() as conn:
            conn.execute(text("DROP INDEX ix_items_search"))
        assert db.integrity_check() == "the search index (ix_items_search) is missing"
        with db.walk() as conn:
            assert conn.execute(text("SELECT count(*) FROM items")).scalar() == 0
    finally:
        db.close()


def test_missing_postgresql_binaries_fail_with_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(postgres.glob, "glob", lambda _pattern: [])
    with pytest.raises(RuntimeError, match="apt-get install postgresql"):
        postgres.PostgresServer()


def test_json_patch_merges_as_sqlites_does(postgres_url: str, tmp_path: Path) -> None:
    """The scanner merges items.extra with json_patch, which PostgreSQL gets from migration 0034."""
    target = '{"a":1,"keep":"x","ids":{"imdb":"tt1","tmdb":"2"},"gone":true}'
    patch = '{"a":2,"ids":{"tmdb":"3","tvdb":"4"},"gone":null,"new":[1,2]}'
    answers = []
    for url in (postgres_url, f"sqlite:///{tmp_path / 'r.db'}"):
        db = Database(url)
        try:
            with db.read() as conn:
                merged = conn.execute(text("SELECT json_patch(:t, :p)"), {"t": target, "p": patch}).scalar()
            answers.append(json.loads(merged))
        finally:
            db.close()
    assert answers[0] == answers[1] == {"a": 2, "keep": "x", "ids": {"imdb": "tt1", "tmdb": "3", "tvdb": "4"},
                                         "new": [1, 2]}  # fmt: skip


def test_a_read_sees_one_snapshot_as_on_sqlite(postgres_url: str) -> None:
    """A listing's statements (ids, total, rows) agree although a writer commits between them."""
    db = Database(postgres_url)
    try:
        with db.read() as conn:
            before = conn.execute(text("SELECT count(*) FROM libraries")).scalar_one()
            with db.begin() as writer:
                writer.execute(
                    text(
                        "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('L', 'M', 'm', 'movies', 0)"
                    )
                )
            assert conn.execute(text("SELECT count(*) FROM libraries")).scalar_one() == before
        with db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM libraries")).scalar_one() == before + 1
    finally:
        db.close()


def test_the_throwaway_server_listens_on_loopback_only_and_leaves_nothing(
    postgres_server: postgres.PostgresServer,
) -> None:
    db = Database(postgres_server.url("postgres"))
    try:
        with db.read() as conn:
            assert conn.execute(text("SHOW listen_addresses")).scalar_one() == "127.0.0.1"
            assert conn.execute(text("SHOW fsync")).scalar_one() == "off"
    finally:
        db.close()
    # initdb refuses root: as root, the data folder (and so the server) belongs to the postgres user.
    user = pwd.getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert postgres_server.data.stat().st_uid == user
    other = postgres.PostgresServer()
    other.start()
    root = other.root
    other.stop()
    assert not root.exists()


def test_migration_0034_leaves_sqlite_as_it_was(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        db.migrate()
        with db.read() as conn:
            assert "search" not in {c["name"] for c in inspect(conn).get_columns("items")}
            assert conn.execute(text("SELECT count(*) FROM items_fts")).scalar_one() == 0
    finally:
        db.close()


def test_every_migration_after_0001_runs_again_on_a_postgresql_database(postgres_url: str) -> None:
    """Each migration's guards and statements run on PostgreSQL (0001 builds today's schema, so the later ones
    find their changes made and must leave them be)."""
    db = Database(postgres_url)
    try:
        with db.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        assert db.migrate() is None  # nothing to back up with on PostgreSQL: pg_dump's job
        assert db.current_revision() == db.head_revision()
        assert db.integrity_check() == "ok"
    finally:
        db.close()


def test_the_default_sqlite_server_runs_without_the_postgresql_driver(tmp_path: Path) -> None:
    """psycopg is the `postgresql` extra's: a plain install has none, and SQLite must not reach for it."""
    script = (
        "import sys; sys.modules['psycopg'] = None\n"  # an import of psycopg now fails
        "from reelhouse.app import Reelhouse\n"
        "from reelhouse.persistence.database import Database\n"
        f"db = Database('sqlite:///{tmp_path / 'r.db'}'); db.migrate(); print(db.integrity_check())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr
