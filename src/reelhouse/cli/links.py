"""`reelhouse link create|join|list|remove`: linking this server with another, from the machine it runs on.

Whoever can run these can already read the data directory, so no password is asked: the verbs act as the
system actor, as the other verbs do. The running server is a separate process: a code made here is seen at its
next settings tick, which opens its peer listener; this verb waits for that before showing the link."""

from __future__ import annotations

import datetime
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from reelhouse.cli.common import (
    ConfigOption,
    DataDirOption,
    JsonOption,
    console,
    errors,
    fail,
    id_table,
    opened,
    print_json,
    print_table,
)
from reelhouse.domain.access import system_actor

if TYPE_CHECKING:
    from reelhouse.app import Reelhouse
    from reelhouse.services.peering import Link

link_app = typer.Typer(help="Link this server with your other servers.", no_args_is_help=True)

# The running server re-reads settings and codes every 2 s; a little more for a busy machine.
LISTENER_WAIT_SECONDS = 6.0


def _listener_open(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _peer_port(server: Reelhouse) -> int:
    port = server.config.peer_port
    if not port:
        raise fail(
            "peer_port is not set to a fixed port, so the link cannot name one: set peer_port in the config."
        )
    return port


@link_app.command("create")
def create(config: Path | None = ConfigOption, data_dir: Path | None = DataDirOption) -> None:
    """Make a one-time code (ten minutes, one attempt) for another server's owner to enter."""
    with opened(config, data_dir) as server:
        port = _peer_port(server)
        # This process is not the server: the link names the port the running server opens for the code.
        server.peer_port = port
        issued = server.peering.issue_code(system_actor())
        host = server.config.host
        reach = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host  # noqa: S104
        if not _listener_open(reach, port, LISTENER_WAIT_SECONDS):
            errors.print(
                f"warning: nothing answers on port {port} yet; the code works only while the server runs.",
                highlight=False,
                markup=False,
            )
        expires = datetime.datetime.fromtimestamp(issued.expires_at).strftime("%H:%M:%S")
        console.print(f"Code: {issued.code}", highlight=False, markup=False)
        console.print(f"Link: {issued.link}", highlight=False, markup=False, soft_wrap=True)
        console.print(f"Server id: {issued.server_id}", highlight=False, markup=False)
        console.print(f"Expires at {expires} (ten minutes); one attempt.", highlight=False, markup=False)


@link_app.command("join")
def join(
    link: str = typer.Argument(..., help="The link the other server shows (reelhouse-pair:v1?...)."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Link with the server whose code link is given."""
    with opened(config, data_dir) as server:
        made = server.peering.dial(system_actor(), link.strip())
        console.print(
            f"Linked with {made.name} ({made.server_id}). Safety number {made.safety_number}",
            highlight=False,
            markup=False,
        )
        console.print(
            "Check that the other server shows the same safety number.", highlight=False, markup=False
        )


def _record(link: Link) -> dict[str, object]:
    return {
        "id": link.id,
        "name": link.name,
        "server_id": link.server_id,
        "addresses": list(link.addresses),
        "scopes_to_peer": sorted(s.value for s in link.scopes_to_peer),
        "scopes_from_peer": sorted(s.value for s in link.scopes_from_peer),
        "state": link.state.value,
        "safety_number": link.safety_number,
    }


@link_app.command("list")
def list_links(
    as_json: bool = JsonOption,
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """List the linked servers with their scopes both ways and safety numbers."""
    with opened(config, data_dir) as server:
        found = server.peering.links()
        if as_json:
            print_json([_record(k) for k in found])
            return
        table = id_table("id", "name", "server id", "it may here", "this may there", "safety number")
        for k in found:
            table.add_row(
                k.id,
                k.name,
                k.server_id,
                ", ".join(sorted(s.value for s in k.scopes_to_peer)),
                ", ".join(sorted(s.value for s in k.scopes_from_peer)),
                k.safety_number,
            )
        print_table(table, [k.id for k in found])
        if not found:
            console.print("No linked servers.", highlight=False, markup=False)


@link_app.command("remove")
def remove(
    link_id: str = typer.Argument(..., help="The link's id, from `reelhouse link list`."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Unlink a server."""
    with opened(config, data_dir) as server:
        server.peering.remove(system_actor(), link_id.strip())
        console.print(f"Unlinked {link_id}.", highlight=False, markup=False)
