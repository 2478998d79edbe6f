"""Copy a whole installation's database into another, empty one (`reelhouse db copy`), and prove the copy.

The source is a SQLite file opened read-only. The target (PostgreSQL, or another SQLite file) is migrated to
this version's head and filled inside one transaction, so a failure or a mismatch leaves it as it was. Tables
go in foreign-key order, in batches; what the target derives itself (generated columns, the search index,
counts kept by triggers, PostgreSQL's sequences) it derives again from the copied rows.

The proof is a row count and a SHA-256 per table over a canonical form of every stored column of every row,
read in primary-key order on each side, computed before the target commits."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Select,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.types import JSON

from reelhouse.errors import DatabaseError
from reelhouse.persistence.database import MIGRATIONS, Database
from reelhouse.persistence.schema import items, metadata

BATCH = 1000
# Tables a database may hold besides the schema's own: Alembic's marker and SQLite's search index (an FTS5
# table and its shadow tables), which the target builds for itself.
_DERIVED = ("alembic_version", "items_fts")


class CopyRefused(DatabaseError):
    """Nothing was written: the source or the target is not fit for a copy."""


class CopyMismatch(DatabaseError):
    """The copy differs from its source; the target's transaction was rolled back."""

    def __init__(self, message: str, tables: list[TableCheck]) -> None:
        super().__init__(message)
        self.tables = tables


@dataclass(frozen=True)
class TableCheck:
    """One table's count and checksum on each side."""

    name: str
    source_rows: int
    target_rows: int
    source_sum: str
    target_sum: str

    @property
    def matches(self) -> bool:
        return self.source_rows == self.target_rows and self.source_sum == self.target_sum


# Called with each batch of rows before it is inserted, so a caller can show progress.
BatchHook = Callable[[Table, list[dict[str, Any]]], None]


def _head() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


@contextmanager
def read_only_sqlite(path: Path) -> Iterator[Connection]:
    """One read transaction on a SQLite file that this process cannot write: opened with mode=ro (SQLite
    refuses every write) and query_only, so the copy is a consistent snapshot and the source stays as it was."""
    if not path.is_file():
        raise CopyRefused(f"there is no database at {path}")
    uri = f"{path.resolve().as_uri()}?mode=ro"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        # Python's own transaction handling would not begin one for reads; the begin event below does.
        conn.isolation_level = None
        conn.execute("PRAGMA query_only=ON")
        return conn

    engine = create_engine("sqlite://", creator=connect, poolclass=NullPool)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    try:
        with engine.connect() as conn:
            yield conn
            conn.rollback()
    except sqlite3.Error as exc:
        raise CopyRefused(f"cannot read {path}: {exc}") from None
    finally:
        engine.dispose()


def copy_database(
    source: Connection, target: Database, on_batch: BatchHook | None = None
) -> list[TableCheck]:
    """Copy every table of source into target, which must be empty, and check the copy before committing.

    Raises CopyRefused before writing anything, CopyMismatch (rolled back) when a table's count or checksum
    differs, and DatabaseError (rolled back) when the target refuses a row."""
    _check_source(source)
    try:
        with target.begin() as conn:
            _check_target_empty(conn)
            _migrate(conn)
            for table in metadata.sorted_tables:
                _copy_table(source, conn, table, on_batch)
            _after_copy(conn)
            checks = verify(source, conn)
            different = [c.name for c in checks if not c.matches]
            if different:
                raise CopyMismatch(
                    f"the copy differs from the source in {', '.join(different)}; nothing was kept", checks
                )
    except DBAPIError as exc:
        raise DatabaseError(f"the target refused the copy, nothing was kept: {_reason(exc)}") from None
    return checks


def verify(source: Connection, target: Connection) -> list[TableCheck]:
    """Every table's row count and checksum on both sides."""
    checks = []
    for table in metadata.sorted_tables:
        source_rows, source_sum = table_checksum(source, table)
        target_rows, target_sum = table_checksum(target, table)
        checks.append(TableCheck(table.name, source_rows, target_rows, source_sum, target_sum))
    return checks


def table_checksum(conn: Connection, table: Table) -> tuple[int, str]:
    """The row count, and SHA-256 over one JSON line per row (stored columns, canonical values) in key order."""
    columns = _stored(table)
    order = [_sort_key(conn, c) for c in (table.primary_key.columns or columns)]
    digest = hashlib.sha256()
    count = 0
    # Streamed (a server-side cursor on PostgreSQL): a catalogue of 100,000 items is never all in memory.
    result = conn.execute(select(*columns).order_by(*order).execution_options(yield_per=BATCH))
    while rows := result.fetchmany(BATCH):
        for row in rows:
            line = [canonical(column, value) for column, value in zip(columns, row, strict=True)]
            digest.update(
                json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
            )
            digest.update(b"\n")
            count += 1
    return count, digest.hexdigest()


def _stored(table: Table) -> list[Column[Any]]:
    # Generated columns are the target's to compute (and PostgreSQL refuses values for them).
    return [c for c in table.columns if c.computed is None]


def _sort_key(conn: Connection, column: Column[Any]) -> Any:
    # SQLite compares text byte by byte; PostgreSQL by the database's collation unless told otherwise. "C" is
    # byte order there too, so both sides read rows in the same order whatever locale the target was made in.
    if conn.dialect.name == "postgresql" and isinstance(column.type, String):
        return column.collate("C")
    return column


def canonical(column: Column[Any], value: Any) -> Any:
    """One value as both databases' drivers hand it back, written the same way: floats by repr (exact, and
    -0.0, inf and NaN kept), booleans as booleans whether stored as 0/1 or true/false, blobs as hex, JSON with
    sorted keys, datetimes as UTC ISO text (a naive one is taken to be UTC already)."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Float):
        return repr(float(value))
    if isinstance(kind, Integer):
        return int(value)
    if isinstance(kind, LargeBinary):
        return bytes(value).hex()
    if isinstance(kind, DateTime):
        moment: dt.datetime = value
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        return moment.isoformat()
    if isinstance(kind, JSON):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def _check_source(source: Connection) -> None:
    current = MigrationContext.configure(source).get_current_revision()
    head = _head()
    if current != head:
        raise CopyRefused(
            f"the source database is at schema revision {current or '(none)'}, and this version of Reelhouse "
            f"copies revision {head}: start `reelhouse serve` once with this version (it migrates and backs up "
            "the database), stop it, then copy"
        )
    inspector = inspect(source)
    present = inspector.get_table_names()
    unknown = [name for name in present if not _known(name)]
    # Columns too: the copy writes the schema's columns, so one added by hand would be left behind.
    unknown += [
        f"{name}.{column['name']}"
        for name in present
        if name in metadata.tables
        for column in inspector.get_columns(name)
        if column["name"] not in metadata.tables[name].columns
    ]
    if unknown:
        raise CopyRefused(
            f"the source holds tables or columns this version does not know ({', '.join(sorted(unknown))}); "
            "copying would leave them behind, so nothing was copied"
        )


def _known(name: str) -> bool:
    return name in metadata.tables or name.startswith(_DERIVED) or name.startswith("sqlite_")


def _check_target_empty(conn: Connection) -> None:
    """A target with no tables, or with this schema's tables and not one row in them (migrated, never used)."""
    present = inspect(conn).get_table_names()
    unknown = [name for name in present if not _known(name)]
    used = [name for name in present if name in metadata.tables and _has_rows(conn, metadata.tables[name])]
    if unknown or used:
        raise CopyRefused(
            "the target database is not empty (it holds "
            + ", ".join(sorted(unknown + used)[:8])
            + "): copy into a new, empty database, nothing was written"
        )


def _has_rows(conn: Connection, table: Table) -> bool:
    return conn.execute(select(literal(1)).select_from(table).limit(1)).first() is not None


def _migrate(conn: Connection) -> None:
    # In the copy's own transaction: on both databases DDL rolls back with it, so a failed copy leaves the
    # target without even the tables.
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    try:
        command.upgrade(cfg, "head")
    except SQLAlchemyError:
        raise
    except Exception as exc:  # noqa: BLE001 - alembic raises several kinds for a revision it does not know
        raise CopyRefused(f"the target database cannot be brought to this version's schema: {exc}") from None


def _copy_table(source: Connection, target: Connection, table: Table, on_batch: BatchHook | None) -> None:
    columns = _stored(table)
    names = [c.name for c in columns]
    statement = insert(table)
    result = source.execute(_in_insert_order(table, columns).execution_options(yield_per=BATCH))
    while rows := result.fetchmany(BATCH):
        batch = [dict(zip(names, row, strict=True)) for row in rows]
        if on_batch is not None:
            on_batch(table, batch)
        try:
            target.execute(statement, batch)
        except DBAPIError as exc:
            raise DatabaseError(
                f"the target refused a row of {table.name}, nothing was kept: {_reason(exc)}"
            ) from None


def _in_insert_order(table: Table, columns: list[Column[Any]]) -> Select[Any]:
    """Rows in an order the target's foreign keys accept. Only items refers to itself (parent_id): parents
    go before their children, by depth from the top. An item whose parent is missing is left out here, and
    the count check then reports the table, rather than the target refusing the row."""
    if table is not items:
        return select(*columns).order_by(*table.primary_key.columns)
    depth = (
        select(items.c.id, literal(0).label("depth")).where(items.c.parent_id.is_(None)).cte(recursive=True)
    )
    below = select(items.c.id, (depth.c.depth + 1).label("depth")).join(
        depth, items.c.parent_id == depth.c.id
    )
    depth = depth.union_all(below.where(depth.c.depth < 64))
    return select(*columns).join(depth, depth.c.id == items.c.id).order_by(depth.c.depth, items.c.id)


def _after_copy(conn: Connection) -> None:
    """What the target keeps for itself and the rows alone do not set. The search index needs nothing: on
    SQLite the FTS5 triggers (0020) index each copied row as it is inserted, and on PostgreSQL the search
    column is generated (0034). A copied id does not move a serial or identity column's sequence, though, and
    the next insert would collide with it."""
    if conn.dialect.name != "postgresql":
        return
    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": keys[0].name},
        ).scalar()
        if sequence is None:
            continue
        highest = conn.execute(select(func.max(keys[0]))).scalar()
        conn.execute(
            text("SELECT setval(:sequence, :value, :called)"),
            {"sequence": sequence, "value": highest or 1, "called": highest is not None},
        )


def _reason(exc: DBAPIError) -> str:
    found = str(exc.orig) if exc.orig is not None else str(exc)
    return found.strip().splitlines()[0] if found.strip() else type(exc).__name__
