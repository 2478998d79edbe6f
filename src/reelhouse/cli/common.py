"""What every CLI verb shares: loading the config, opening the server's objects, clean error lines."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from reelhouse.config import BootConfig, load_config
from reelhouse.errors import ReelhouseError

if TYPE_CHECKING:
    from reelhouse.app import Reelhouse

console = Console()
errors = Console(stderr=True)

DataDirOption = typer.Option(None, "--data-dir", help="Data directory (default: $XDG_DATA_HOME/reelhouse).")
ConfigOption = typer.Option(
    None, "--config", help="TOML config file (default: $XDG_CONFIG_HOME/reelhouse/config.toml)."
)
JsonOption = typer.Option(False, "--json", help="Print a JSON array (one object per row) instead of a table.")


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def config_from(config_file: Path | None, data_dir: Path | None, **overrides: object) -> BootConfig:
    try:
        return load_config(config_file, overrides={"data_dir": data_dir, **overrides})
    except ReelhouseError as exc:
        raise fail(exc.message) from None


def configure_logging(level: str, with_time: bool = False) -> None:
    fmt = "%(asctime)s %(levelname)s %(message)s" if with_time else "%(levelname)s %(message)s"
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format=fmt)
    # Alembic narrates every migration step at INFO; the server reports what matters itself.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))


@contextmanager
def opened(config_file: Path | None, data_dir: Path | None) -> Iterator[Reelhouse]:
    # Imported here, not at the top: `--help`, `worker` and a bad option never build the server, and importing
    # it costs a new process about a second.
    from reelhouse.app import Reelhouse

    config = config_from(config_file, data_dir)
    configure_logging(config.log_level)
    try:
        server = Reelhouse(config)
    except ReelhouseError as exc:
        raise fail(exc.message) from None
    try:
        yield server
    except ReelhouseError as exc:
        raise fail(exc.message) from None
    finally:
        server.close()


def id_table(*columns: str) -> Table:
    """A list verb's table whose first column holds ids: never cut, since they are copied into other verbs.

    On a narrow terminal the other columns fold onto more lines instead."""
    table = Table(*columns)
    for column in table.columns[1:]:
        column.overflow = "fold"
    return table


def print_table(table: Table, ids: Sequence[str]) -> None:
    table.columns[0].no_wrap = True
    table.columns[0].min_width = max((len(i) for i in ids), default=0)
    console.print(table)


def print_json(records: Sequence[Mapping[str, object]]) -> None:
    # Plain stdout, not rich: no wrapping or colour codes in what a script parses.
    sys.stdout.write(json.dumps(list(records), indent=2, sort_keys=True) + "\n")
