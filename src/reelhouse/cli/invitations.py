"""`reelhouse invite create|list|revoke`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from reelhouse.cli.common import (
    ConfigOption,
    DataDirOption,
    JsonOption,
    console,
    fail,
    id_table,
    opened,
    print_json,
    print_table,
)
from reelhouse.domain.access import Role, system_actor

if TYPE_CHECKING:
    from reelhouse.app import Reelhouse
    from reelhouse.services.invitations import InvitationService
    from reelhouse.services.listener_record import ServerState

invite_app = typer.Typer(help="Create, list and revoke invitation links.", no_args_is_help=True)


def _service(server: Reelhouse) -> InvitationService:
    assert server.services.invitations is not None
    return server.services.invitations


@invite_app.command("create")
def invite_create(
    libraries: str | None = typer.Option(
        None,
        "--libraries",
        help="Required: the libraries it shares, as comma-separated ids ('reelhouse library list') or 'all'.",
    ),
    admin: bool = typer.Option(False, "--admin", help="The invited account is an admin."),
    days: int | None = typer.Option(
        None, "--days", min=1, max=365, help="Lifetime (default: invitation_days)."
    ),
    uses: int = typer.Option(1, "--uses", min=1, max=100, help="How many accounts it can create."),
    note: str | None = typer.Option(
        None, "--note", help="A note for admins only, such as who it is for; the friend never sees it."
    ),
    message: str | None = typer.Option(
        None, "--message", help="A message for the friend, shown on the invitation page."
    ),
    grants: str = typer.Option("{}", "--grants", help="More grants as a JSON object."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Create an invitation and print its link (shown once)."""
    try:
        extra = json.loads(grants)
    except json.JSONDecodeError:
        raise fail("--grants is not a JSON object") from None
    if not isinstance(extra, dict):
        raise fail("--grants is not a JSON object")
    chosen = "all" if libraries == "all" else [x.strip() for x in (libraries or "").split(",") if x.strip()]
    if not chosen:
        # Nothing is shared by default: the owner names the libraries, or says 'all' on purpose.
        raise fail("choose what the invitation shares: --libraries ID,... or --libraries all")
    from reelhouse.services.listener_record import read_state

    with opened(config, data_dir) as server:
        state = read_state(server.config.data_dir)
        base = _link_base(server, state)
        made = _service(server).create(
            system_actor(),
            base,
            {**extra, "libraries": chosen},
            Role.ADMIN if admin else Role.MEMBER,
            days,
            uses,
            note,
            message=message,
        )
        console.print(made.url, highlight=False, soft_wrap=True)
        if not state.running:
            console.print(
                f"{state.note} Start it with 'reelhouse serve' before sending this link.",
                highlight=False,
                markup=False,
            )


def _link_base(server: Reelhouse, state: ServerState) -> str:
    """The first public URL, else a home-network address of a live listener (of the configured ones when the
    server is not running): never 0.0.0.0, which no friend can type."""
    from reelhouse.services.listener_record import configured_listeners, invitation_base

    values = server.services.settings.values
    base = invitation_base(
        values["public_urls"],
        state.listeners or configured_listeners(server.config),
        https_first=values["secure_connections"] == "required",
    )
    assert base is not None  # the configured listeners always include HTTP
    return base


@invite_app.command("list")
def invite_list(
    as_json: bool = JsonOption,
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """List invitations: uses, expiry, state and who redeemed them."""
    with opened(config, data_dir) as server:
        views = _service(server).list(system_actor())
        if as_json:
            print_json([{**view.__dict__, "live": view.live} for view in views])
            return
        table = id_table("id", "role", "uses", "expires", "state", "redeemed by", "note")
        for view in views:
            state = "revoked" if view.revoked else "live" if view.live else "used up or expired"
            expires = dt.datetime.fromtimestamp(view.expires_at).isoformat(timespec="minutes")
            table.add_row(
                view.id,
                view.role,
                f"{view.uses}/{view.max_uses}",
                expires,
                state,
                ", ".join(view.redeemed_by),
                view.note or "",
            )
        print_table(table, [view.id for view in views])


@invite_app.command("revoke")
def invite_revoke(
    invitation_id: str = typer.Argument(..., help="The invitation's id (see 'reelhouse invite list')."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Revoke an invitation so that it can no longer be redeemed."""
    with opened(config, data_dir) as server:
        _service(server).revoke(system_actor(), invitation_id)
        console.print("Revoked.")
