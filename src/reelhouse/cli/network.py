"""`reelhouse privacy` and `reelhouse certificate`: what the server shows about its reachability."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import typer
from rich.table import Table

from reelhouse.app import Reelhouse
from reelhouse.cli.common import ConfigOption, DataDirOption, console, opened
from reelhouse.domain.access import system_actor
from reelhouse.services.privacy import Listener


def _listening(host: str, port: int) -> bool:
    target = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host  # noqa: S104
    try:
        with socket.create_connection((target, port), timeout=1):
            return True
    except OSError:
        return False


def _probe_listeners(server: Reelhouse) -> None:
    """This process is not the server: a configured listener counts only if something answers on it."""
    boot = server.config
    for scheme, port in (("http", boot.port), ("https", boot.https_port)):
        if port and _listening(boot.host, port):
            server.listeners.append(Listener(scheme, boot.host, port))
    if boot.https_port is not None and server.services.certificates is not None:
        server.services.certificates.context()


def privacy(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Say whether and how this server can be reached from outside, from what it checks now."""
    with opened(config, data_dir) as server:
        assert server.services.privacy is not None
        _probe_listeners(server)
        facts = server.services.privacy.report(system_actor())
        if as_json:
            console.print_json(json.dumps([f.__dict__ for f in facts], default=str))
            return
        table = Table("topic", "finding", show_header=False)
        for fact in facts:
            table.add_row(fact.topic.replace("_", " "), fact.finding)
        console.print(table)


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
