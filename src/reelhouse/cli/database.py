"""`reelhouse db`: move an installation's SQLite database into PostgreSQL (or another empty database)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from reelhouse.cli.common import ConfigOption, DataDirOption, config_from, configure_logging, console, fail
from reelhouse.errors import ReelhouseError

if TYPE_CHECKING:
    from sqlalchemy import Table as SqlTable

    from reelhouse.persistence.copying import TableCheck
    from reelhouse.persistence.database import Database

db_app = typer.Typer(help="The database: copy it into another.", no_args_is_help=True)

_TARGETS = ("postgresql", "postgres", "sqlite")


@db_app.command("copy")
def copy(
    to: str = typer.Option(
        ..., "--to", help="The empty target database's URL, e.g. postgresql://user:pw@host/db."
    ),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Copy this installation's SQLite database into an empty database, checked table by table.

    The server must be stopped. The source is only read; the target is migrated and filled in one transaction
    and committed only when every table's row count and checksum match. Then set database_url to the target."""
    # The database layer (SQLAlchemy's dialects, Alembic) is imported only by the verb that uses it.
    from reelhouse.persistence.copying import CopyMismatch, copy_database, read_only_sqlite
    from reelhouse.services.listener_record import read_state

    boot = config_from(config, data_dir)
    configure_logging(boot.log_level)
    source_url = boot.effective_database_url
    if not source_url.startswith("sqlite:///"):
        raise fail(
            "`reelhouse db copy` moves a SQLite installation, and this one's database_url is not SQLite"
        )
    source = Path(source_url.removeprefix("sqlite:///"))
    shown = _target_shown(to)
    if to.startswith("sqlite:///") and Path(to.removeprefix("sqlite:///")).resolve() == source.resolve():
        raise fail("the target is the source database itself; name a new, empty database")
    state = read_state(boot.data_dir)
    if state.running:
        raise fail(
            f"a Reelhouse server (process {state.pid}) is using this data folder: stop it first, so that "
            "nothing it changes during the copy is left behind"
        )
    target = _open_target(to, shown)
    copied: dict[str, int] = {}
    try:
        with read_only_sqlite(source) as reading, console.status(f"Copying into {shown}") as status:

            def progress(table: SqlTable, batch: list[dict[str, Any]]) -> None:
                # A terminal sees where a long copy is; piped output gets only the report.
                copied[table.name] = copied.get(table.name, 0) + len(batch)
                status.update(f"Copying {table.name}: {copied[table.name]:,} rows")

            checks = copy_database(reading, target, on_batch=progress)
    except CopyMismatch as exc:
        console.print(_report(exc.tables))
        raise fail(exc.message) from None
    except ReelhouseError as exc:
        raise fail(exc.message) from None
    finally:
        target.close()
    console.print(_report(checks))
    rows = sum(c.target_rows for c in checks)
    console.print(
        f"Copied {rows} rows in {len(checks)} tables to {shown}; every count and checksum matches. "
        "To serve from it, set database_url to that URL in the config and keep this data folder "
        "(its keys and the audit log's head file belong with the data).",
        highlight=False,
    )


def _target_shown(to: str) -> str:
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(to)
    except ArgumentError:
        raise fail(
            f"--to is not a database URL ({to!r}); write it as postgresql://user:password@host/database"
        ) from None
    if url.get_backend_name() not in _TARGETS:
        raise fail(
            f"--to names a {url.get_backend_name()} database; Reelhouse copies to PostgreSQL or SQLite"
        )
    return url.render_as_string(hide_password=True)


def _open_target(to: str, shown: str) -> Database:
    from sqlalchemy.exc import OperationalError

    from reelhouse.persistence.database import Database

    try:
        target = Database(to)
    except ReelhouseError as exc:
        raise fail(exc.message) from None
    try:
        with target.engine.connect():
            pass
    except OperationalError as exc:
        target.close()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise fail(f"cannot reach the target database {shown}: {reason}") from None
    return target


def _report(checks: list[TableCheck]) -> Table:
    table = Table("table", "rows (source)", "rows (copy)", "checksum (source)", "checksum (copy)", "")
    for check in checks:
        mark: Any = "[green]same[/]" if check.matches else "[bold red]DIFFERENT[/]"
        table.add_row(
            check.name,
            str(check.source_rows),
            str(check.target_rows),
            check.source_sum[:16],
            check.target_sum[:16],
            mark,
        )
    return table
