"""The database: engine, SQLite pragmas, migrations at start, backups and integrity checks.

SQLite is the default; PostgreSQL (`postgresql://…`, the `postgresql` extra's psycopg driver, imported by
SQLAlchemy only when such a URL is configured) is the other database the tests run against."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from reelhouse.errors import DatabaseError
from reelhouse.persistence.schema import metadata

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


# Negative means KiB: up to 32 MB of pages in each connection's cache.
CACHE_SIZE = -32000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit the server acknowledged survives a power cut, not only a crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute(f"PRAGMA cache_size={CACHE_SIZE}")
    cursor.close()


_WRITE = "reelhouse.write"
_AFTER_COMMIT = "reelhouse.after_commit"


def _begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.pop(_WRITE, False) else "BEGIN")


# PostgreSQL has no database-wide write lock, and the code was written for SQLite's one writer at a time (the
# audit chain reads its head and appends; ids are checked, then inserted). Every write transaction takes this
# transaction-scoped advisory lock first, so writers queue as they do on SQLite, across processes too.
WRITE_LOCK = 0x5245454C


def postgres_url(url: str) -> str:
    """Point a plain PostgreSQL URL at psycopg 3 (SQLAlchemy would otherwise look for psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _sqlite_events(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_pragmas)
    # SQLAlchemy's BEGIN becomes the real one: IMMEDIATE for writers, so they take the lock up
    # front, and deferred for readers, which WAL lets run beside a writer instead of queueing.
    event.listen(engine, "begin", _begin)
    event.listen(engine, "connect", lambda dbapi_conn, _r: setattr(dbapi_conn, "isolation_level", None))


class Database:
    """Owns the engine. Repositories borrow connections from it."""

    def __init__(self, url: str) -> None:
        self.url = url = postgres_url(url)
        self.is_sqlite = url.startswith("sqlite")
        self.is_postgresql = url.startswith("postgresql")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
            self.path: Path | None = Path(url.removeprefix("sqlite:///")) if url != "sqlite://" else None
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
        else:
            self.path = None
        if self.is_postgresql:
            # A connection the server closed (restart, idle timeout) is replaced rather than failing a request.
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise DatabaseError(f"cannot use database_url: {exc}") from None
        self._kwargs = kwargs
        self._walker: Engine | None = None
        if self.is_sqlite:
            _sqlite_events(self.engine)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        committed: list[Callable[[], None]] = []
        try:
            with self.engine.connect() as conn:
                conn.info[_WRITE] = True
                # info belongs to the pooled DBAPI connection: clear what a rolled-back use left behind.
                conn.info.pop(_AFTER_COMMIT, None)
                try:
                    with conn.begin():
                        if self.is_postgresql:
                            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})
                        yield conn
                finally:
                    callbacks = conn.info.pop(_AFTER_COMMIT, {})
                committed = list(callbacks.values())
        except OperationalError as exc:
            raise DatabaseError(_explain(exc)) from None
        for callback in committed:
            callback()

    @staticmethod
    def after_commit(conn: Connection, callback: Callable[[], None], key: object = None) -> None:
        """Run callback once the transaction conn is in has committed (never if it rolls back), after the
        connection went back to the pool. Only transactions from begin() run them. A later callback with
        the same key replaces an earlier one: a transaction that appends 10,000 entries records one head."""
        conn.info.setdefault(_AFTER_COMMIT, {})[object() if key is None else key] = callback

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                if self.is_postgresql:
                    # One snapshot for the whole read, as SQLite's deferred transaction gives: a page's ids, its
                    # total and its rows agree although a scan commits between them. Read-only, so it never
                    # fails to serialise.
                    conn.execution_options(isolation_level="REPEATABLE READ")
                yield conn
                conn.rollback()
        except OperationalError as exc:
            raise DatabaseError(_explain(exc)) from None

    @contextmanager
    def walk(self) -> Iterator[Connection]:
        """A read connection for a background pass over a whole index, from outside the request pool and
        with a 1 MB page cache, closed afterwards. Borrowed from the pool, it would make the pool open one
        more connection for requests, and each pooled connection keeps up to 32 MB of pages. Other databases
        keep their page cache in the server, so there a walk is a plain read."""
        if not self.is_sqlite:
            with self.read() as conn:
                yield conn
            return
        if self._walker is None:
            walker = create_engine(self.url, poolclass=NullPool, **self._kwargs)
            _sqlite_events(walker)
            self._walker = walker
        try:
            with self._walker.connect() as conn:
                conn.exec_driver_sql("PRAGMA cache_size=-1000")
                yield conn
                conn.rollback()
        except OperationalError as exc:
            raise DatabaseError(_explain(exc)) from None

    def close(self) -> None:
        self.engine.dispose()
        if self._walker is not None:
            self._walker.dispose()

    # Migrations ---------------------------------------------------------------------------
    def _alembic_config(self, conn: Connection) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        return cfg

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        head = ScriptDirectory.from_config(cfg).get_current_head()
        assert head is not None
        return head

    def migrate(self, backup_dir: Path | None = None) -> str | None:
        """Bring the schema to this version's head; back up first when an existing database changes.

        Returns the backup's path when one was written."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        scripts = ScriptDirectory.from_config(cfg)
        try:
            current = self.current_revision()
        except OperationalError as exc:
            raise DatabaseError(_explain(exc)) from None
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot open the database: {exc}") from None
        head = scripts.get_current_head()
        if current == head:
            return None
        if current is not None:
            try:
                scripts.get_revision(current)
            except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
                raise DatabaseError(
                    f"the database is at schema revision {current}, which this version of Reelhouse "
                    "does not know: it was written by a newer version. Upgrade Reelhouse, or restore "
                    "a backup; the database was not changed."
                ) from None
        backup_path = None
        if current is not None and self.path is not None and backup_dir is not None:
            backup_dir.mkdir(parents=True, exist_ok=True)
            target = backup_dir / f"reelhouse-before-{head}-{int(time.time())}.db"
            self.backup_to(target)
            backup_path = str(target)
            log.info("backed up the database to %s before migrating", target)
        elif current is not None and not self.is_sqlite:
            # A server database is backed up by its own tools, on its own schedule; say so before changing it.
            log.warning(
                "migrating the %s database from %s to %s without a backup by Reelhouse (back it up with pg_dump)",
                self.engine.dialect.name,
                current,
                head,
            )
        try:
            with self.engine.begin() as conn:
                command.upgrade(self._alembic_config(conn), "head")
        except OperationalError as exc:
            raise DatabaseError(_explain(exc)) from None
        return backup_path

    # Backups and checks -------------------------------------------------------------------
    def backup_to(self, target: Path) -> None:
        """A consistent copy while the server runs (SQLite's online backup API), written atomically."""
        if self.is_postgresql:
            raise DatabaseError(
                "`reelhouse backup` copies a SQLite database file; this server uses PostgreSQL, which is backed "
                "up with its own tools (pg_dump, or continuous archiving), nothing was written"
            )
        if self.path is None:
            raise DatabaseError("only a SQLite database file can be backed up this way; use pg_dump")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        source = sqlite3.connect(str(self.path), timeout=30)
        try:
            dest = sqlite3.connect(str(partial))
            try:
                source.backup(dest)
                dest.execute("PRAGMA journal_mode=DELETE")
            finally:
                dest.close()
        except sqlite3.Error as exc:
            partial.unlink(missing_ok=True)
            raise DatabaseError(f"backup failed: {exc}") from None
        finally:
            source.close()
        partial.replace(target)

    def integrity_check(self) -> str:
        if not self.is_sqlite:
            return self._postgresql_check()
        with self.engine.connect() as conn:
            found = [str(r) for r in conn.execute(text("PRAGMA integrity_check")).scalars().all()]
            rows = [] if found == ["ok"] else found
            # The search index reads titles from items by row number (migration 0020); SQLite 3.40's own check
            # does not look inside it, so it is asked whether every row it indexes still says what it indexed.
            try:
                conn.execute(text("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)"))
            except DBAPIError:
                rows.append("the search index is out of step with the catalogue")
            conn.rollback()
        return "; ".join(rows) or "ok"

    def _postgresql_check(self) -> str:
        """What Reelhouse can check on PostgreSQL: every table reads, and search has its column and index.
        The pages themselves are PostgreSQL's to check (data checksums as it reads; pg_amcheck, which needs the
        amcheck extension and superuser rights, for a full pass); the search column is generated, so it is
        never out of step with the titles."""
        problems = []
        with self.read() as conn:
            for name in sorted(metadata.tables):
                try:
                    with conn.begin_nested():
                        conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1'))  # noqa: S608 - the schema's names
                except DBAPIError:
                    problems.append(f"table {name} cannot be read")
            found = conn.execute(
                text(
                    "SELECT count(*) FROM pg_indexes WHERE tablename = 'items' AND indexname = 'ix_items_search'"
                )
            ).scalar_one()
            if not found:
                problems.append("the search index (ix_items_search) is missing")
        return "; ".join(problems) or "ok"


def _explain(exc: OperationalError) -> str:
    message = str(exc.orig) if exc.orig is not None else str(exc)
    if "full" in message:
        return "the disk holding the database is full; the last change was not saved"
    if "locked" in message or "busy" in message:
        return "the database is busy; try again in a moment"
    if "readonly" in message or "read-only" in message:
        return "the database file is read-only"
    return f"database error: {message}"
