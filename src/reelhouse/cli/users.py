"""`reelhouse user …`, `reelhouse settings …` and `reelhouse audit`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from reelhouse.cli.common import ConfigOption, DataDirOption, console, fail, opened
from reelhouse.domain.access import Role, system_actor

user_app = typer.Typer(help="Create and list users.", no_args_is_help=True)
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
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Create a user (prompts for the password unless --password-stdin)."""
    if owner and admin:
        raise fail("choose --owner or --admin, not both")
    role = Role.OWNER if owner else Role.ADMIN if admin else Role.MEMBER
    password = _read_password(password_stdin)
    with opened(config, data_dir) as server:
        server.services.accounts.create_user(system_actor(), name, role, password)
        console.print(f"Created {role.value} {name}.")


@user_app.command("list")
def user_list(config: Path | None = ConfigOption, data_dir: Path | None = DataDirOption) -> None:
    """List users with their roles."""
    with opened(config, data_dir) as server:
        table = Table("username", "role", "disabled")
        for user in server.services.accounts.list_users():
            table.add_row(user["username"], user["role"], "yes" if user["disabled"] else "")
        console.print(table)


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
        console.print(f"Saved {len(changes)} setting(s).")


def audit(
    action: str | None = typer.Option(None, "--action", help="Only actions starting with this."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="How many entries."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Show the audit log, newest first, and whether its hash chain is intact."""
    import datetime as dt

    with opened(config, data_dir) as server:
        table = Table("when", "who", "action", "target", "detail", "address")
        for entry in server.services.audit.entries(system_actor(), action, limit):
            when = dt.datetime.fromtimestamp(entry.at).isoformat(timespec="seconds")
            table.add_row(
                when, entry.actor or "-", entry.action, entry.target or "", entry.detail, entry.address or ""
            )
        console.print(table)
        broken = server.services.audit.verify()
        console.print(
            "hash chain: intact" if broken is None else f"[red]hash chain broken at entry {broken}[/]"
        )
        if broken is not None:
            raise typer.Exit(1)
