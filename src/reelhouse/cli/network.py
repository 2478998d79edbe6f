"""`reelhouse privacy` and `reelhouse certificate`: what the server shows about its reachability."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from reelhouse.cli.common import ConfigOption, DataDirOption, console, errors, opened
from reelhouse.domain.access import system_actor

if TYPE_CHECKING:
    from reelhouse.app import Reelhouse
    from reelhouse.services.listener_record import ServerState


def adopt_live_listeners(server: Reelhouse) -> ServerState:
    """This process is not the server: it reports the listeners the running server recorded, whatever
    ports the config file names (the server may have been started with others on its command line)."""
    from reelhouse.services.listener_record import read_state

    state = read_state(server.config.data_dir)
    server.listeners.extend(state.listeners)
    if any(item.scheme == "https" for item in state.listeners) and server.services.certificates is not None:
        server.services.certificates.context()
    return state


def privacy(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Say whether and how this server can be reached from outside, from what it checks now."""
    with opened(config, data_dir) as server:
        assert server.services.privacy is not None
        state = adopt_live_listeners(server)
        facts = server.services.privacy.report(system_actor())
        if as_json:
            console.print_json(json.dumps([f.__dict__ for f in facts], default=str))
            if not state.running:
                errors.print(state.note, highlight=False, markup=False)
            return
        table = Table("topic", "finding", show_header=False)
        for fact in facts:
            table.add_row(fact.topic.replace("_", " "), fact.finding)
        console.print(table)
        console.print(state.note, highlight=False, markup=False)


def certificate(config: Path | None = ConfigOption, data_dir: Path | None = DataDirOption) -> None:
    """Show the HTTPS certificate and its SHA-256 fingerprint, to pin it on clients."""
    with opened(config, data_dir) as server:
        certificates = server.services.certificates
        assert certificates is not None
        certificates.context()
        info = certificates.info
        assert info is not None
        table = Table("field", "value", show_header=False)
        table.add_row("source", info.source)
        table.add_row("subject", info.subject)
        table.add_row("names", ", ".join(info.names))
        table.add_row("valid until", info.not_after.isoformat())
        table.add_row("SHA-256", info.fingerprint_sha256)
        console.print(table)
