"""`reelhouse user …`, `reelhouse settings …` and `reelhouse audit`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

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
    from reelhouse.services.users import UserService

user_app = typer.Typer(help="Create, list and change users.", no_args_is_help=True)
settings_app = typer.Typer(help="Show and change runtime settings.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat the password", hide_input=True)
    if first != second:
        raise fail("the two passwords differ")
    return str(first)


@user_app.command("create")
def user_create(
    name: str = typer.Argument(..., help="The username."),
    owner: bool = typer.Option(False, "--owner", help="Make this user the server's one owner."),
    admin: bool = typer.Option(False, "--admin", help="Make this user an admin."),
    managed: bool = typer.Option(False, "--managed", help="A managed profile: no password, optional PIN."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    libraries: str | None = typer.Option(
        None,
        "--libraries",
        help="What a member or managed profile sees: comma-separated library ids or 'all' "
        "(required with --managed).",
    ),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Create a user (prompts for the password unless --password-stdin; a --managed profile reads a PIN)."""
    if owner + admin + managed > 1:
        raise fail("choose one of --owner, --admin or --managed")
    chosen = "all" if libraries == "all" else [x.strip() for x in (libraries or "").split(",") if x.strip()]
    if managed and not chosen:
        raise fail("choose what the profile sees: --libraries ID,... or --libraries all")
    role = Role.OWNER if owner else Role.ADMIN if admin else Role.MANAGED if managed else Role.MEMBER
    secret = _read_password(password_stdin)
    password, pin = (None, secret or None) if managed else (secret, None)
    with opened(config, data_dir) as server:
        grants = {"libraries": chosen} if chosen else None
        server.services.accounts.create_user(system_actor(), name, role, password, pin, grants)
        console.print(f"Created {role.value} {name}.")


@user_app.command("list")
def user_list(
    as_json: bool = JsonOption,
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """List users with their ids and roles."""
    with opened(config, data_dir) as server:
        found = _users(server).all(system_actor())
        if as_json:
            print_json([user.__dict__ for user in found])
            return
        table = id_table("id", "username", "role", "disabled", "2fa", "grants")
        for user in found:
            grants = json.dumps(user.grants, sort_keys=True) if user.grants else ""
            table.add_row(
                user.id,
                user.username,
                user.role,
                "yes" if user.disabled else "",
                "yes" if user.two_factor else "",
                grants,
            )
        print_table(table, [user.id for user in found])


def _users(server: Reelhouse) -> UserService:
    assert server.services.users is not None
    return server.services.users


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@user_app.command("set")
def user_set(
    name: str = typer.Argument(..., help="The username."),
    assignments: list[str] = typer.Argument(
        ..., help="KEY=VALUE: role=admin|member, or a grant such as may_download=true, libraries='[\"id\"]'."
    ),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Change a user's role or grants (JSON values; null resets a grant), audited with before and after."""
    role: Role | None = None
    grants: dict[str, Any] = {}
    for pair in assignments:
        key, sep, value = pair.partition("=")
        if not sep:
            raise fail(f"'{pair}' is not KEY=VALUE")
        if key == "role":
            if value not in ("admin", "member", "managed"):
                raise fail("role is admin, member or managed")
            role = Role(value)
        else:
            grants[key.strip()] = _value(value)
    with opened(config, data_dir) as server:
        users = _users(server)
        users.update(system_actor(), users.id_of(system_actor(), name), role, grants or None)
        console.print(f"Updated {name}.")


@user_app.command("disable")
def user_disable(
    name: str = typer.Argument(..., help="The username."),
    enable: bool = typer.Option(False, "--enable", help="Enable the user again instead."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Disable a user, ending all their sessions and streams at once (never the owner)."""
    with opened(config, data_dir) as server:
        users = _users(server)
        users.update(system_actor(), users.id_of(system_actor(), name), disabled=not enable)
        console.print(f"{'Enabled' if enable else 'Disabled'} {name}.")


@user_app.command("delete")
def user_delete(
    name: str = typer.Argument(..., help="The username."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Delete a user and their sessions (never the owner)."""
    with opened(config, data_dir) as server:
        users = _users(server)
        users.delete(system_actor(), users.id_of(system_actor(), name))
        console.print(f"Deleted {name}.")


@user_app.command("reset-password")
def user_reset_password(
    name: str = typer.Argument(..., help="The username."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Set a new password (also the owner's), ending every session and resetting two-factor."""
    password = _read_password(password_stdin)
    with opened(config, data_dir) as server:
        users = _users(server)
        users.reset_password(system_actor(), users.id_of(system_actor(), name), password)
        console.print(f"New password set for {name}; their sessions have ended.")


@settings_app.command("show")
def settings_show(config: Path | None = ConfigOption, data_dir: Path | None = DataDirOption) -> None:
    """Show every runtime setting and its value."""
    with opened(config, data_dir) as server:
        table = Table("setting", "value")
        for name, value in server.services.settings.values.items():
            shown = (
                ", ".join(value)
                if isinstance(value, tuple)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
            table.add_row(name, shown)
        console.print(table)


@settings_app.command("set")
def settings_set(
    assignments: list[str] = typer.Argument(..., help="KEY=VALUE pairs, applied together or not at all."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Change settings: every pair is validated first, then all are saved together."""
    changes: dict[str, str] = {}
    for pair in assignments:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise fail(f"'{pair}' is not KEY=VALUE")
        changes[key.strip()] = value
    with opened(config, data_dir) as server:
        from reelhouse.errors import InvalidInput

        try:
            server.services.settings.apply(system_actor(), changes)
        except InvalidInput as exc:
            for field, problem in exc.fields.items():
                console.print(f"[red]{field}[/]: {problem}", highlight=False)
            raise fail(exc.message) from None
        console.print(f"Saved {len(changes)} setting{'' if len(changes) == 1 else 's'}.")


def audit(
    action: str | None = typer.Option(None, "--action", help="Only actions starting with this."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="How many entries."),
    accept_restore: bool = typer.Option(
        False, "--accept-restore", help="After restoring a backup: continue the recorded head from it."
    ),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Show the audit log, newest first, and check its hash chain and recorded head.

    Exits 1 when the chain is broken, 3 when the database is a restored backup not yet accepted."""
    import datetime as dt

    with opened(config, data_dir) as server:
        if accept_restore:
            server.services.audit.accept_restore(system_actor())
        table = Table("seq", "when", "who", "action", "target", "detail", "address")
        for entry in server.services.audit.entries(system_actor(), action, limit):
            when = dt.datetime.fromtimestamp(entry.at).isoformat(timespec="seconds")
            table.add_row(
                str(entry.seq),
                when,
                entry.actor or "-",
                entry.action,
                entry.target or "",
                entry.detail,
                entry.address or "",
            )
        console.print(table)
        report = server.services.audit.verify()
        if report.state == "broken":
            where = f" at seq {report.seq}" if report.seq is not None else ""
            console.print(f"[red]hash chain broken{where}: {report.reason}[/]", highlight=False)
            raise typer.Exit(1)
        if report.state == "restored":
            console.print(f"[yellow]hash chain intact, but {report.reason}[/]", highlight=False)
            raise typer.Exit(3)
        if report.state == "unanchored":
            console.print(f"hash chain: intact; {report.reason}", highlight=False)
            return
        console.print("hash chain: intact")
