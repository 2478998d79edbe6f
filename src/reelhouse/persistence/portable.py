"""The few SQL constructs that SQLite and PostgreSQL spell differently, each compiled for the database in use.

Upserts (`INSERT … ON CONFLICT DO UPDATE`) take the dialect's own insert; a field of a JSON text column
(`items.extra`) is json_extract on SQLite and a jsonb lookup on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Connection, Table, Text, literal_column
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


def upsert(conn: Connection, table: Table) -> Any:
    """An insert with on_conflict_do_update for the connection's database (both dialects share the API)."""
    return (postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


def _key(key: str) -> str:
    if not key.replace("_", "").isalnum():
        raise ValueError(f"not a plain JSON key: {key!r}")
    return key


class json_field(FunctionElement[str]):
    """The value at top-level ``key`` of a JSON text column, as text; NULL where absent."""

    type = Text()
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any], key: str) -> None:
        # The key is also a clause, so that statements differing only in it never share a cached compilation.
        self.json_key = _key(key)
        super().__init__(column, literal_column(f"'{self.json_key}'"))


class json_has(FunctionElement[bool]):
    """Whether a JSON text column has top-level ``key`` (a JSON null counts, as json_type says on SQLite)."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any], key: str) -> None:
        # The key is also a clause, so that statements differing only in it never share a cached compilation.
        self.json_key = _key(key)
        super().__init__(column, literal_column(f"'{self.json_key}'"))


def _column(element: json_field | json_has, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses.clauses[0], **kw))


@compiles(json_field)
def _json_field_sqlite(element: json_field, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_extract({_column(element, compiler, **kw)}, '$.{element.json_key}')"


@compiles(json_field, "postgresql")
def _json_field_postgresql(element: json_field, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(({_column(element, compiler, **kw)})::jsonb ->> '{element.json_key}')"


@compiles(json_has)
def _json_has_sqlite(element: json_has, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(json_type({_column(element, compiler, **kw)}, '$.{element.json_key}') IS NOT NULL)"


@compiles(json_has, "postgresql")
def _json_has_postgresql(element: json_has, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(({_column(element, compiler, **kw)})::jsonb ? '{element.json_key}')"
