"""The `reelhouse` command: serve, doctor, backup, and the verb groups."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from reelhouse import __version__
from reelhouse.cli.common import (
    ConfigOption,
    DataDirOption,
    config_from,
    configure_logging,
    console,
    fail,
    opened,
)
from reelhouse.cli.database import db_app
from reelhouse.cli.doctor import doctor
from reelhouse.cli.invitations import invite_app
from reelhouse.cli.library import library_app, scan
from reelhouse.cli.links import link_app
from reelhouse.cli.network import certificate, privacy
from reelhouse.cli.users import audit, settings_app, user_app
from reelhouse.cli.worker import worker
from reelhouse.config import DEFAULT_HTTPS_PORT
from reelhouse.errors import ReelhouseError

if TYPE_CHECKING:
    from reelhouse.services.privacy import Listener

app = typer.Typer(
    help="Reelhouse, a private-by-default personal media server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(library_app, name="library")
app.add_typer(user_app, name="user")
app.add_typer(invite_app, name="invite")
app.add_typer(settings_app, name="settings")
app.add_typer(link_app, name="link")
app.add_typer(db_app, name="db")
app.command("scan")(scan)
app.command("audit")(audit)
app.command("privacy")(privacy)
app.command("certificate")(certificate)
app.command("worker")(worker)
app.command("doctor")(doctor)


@app.command("serve")
def serve_command(
    host: str | None = typer.Option(None, "--host", help="Address to listen on."),
    port: int | None = typer.Option(None, "--port", help="HTTP port."),
    https_port: str | None = typer.Option(
        None, "--https-port", help=f"HTTPS port (default {DEFAULT_HTTPS_PORT}); 'off' serves without HTTPS."
    ),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Start the server."""
    # The server's whole import graph is a second of a new process's start: only the verbs that build it load it.
    import asyncio

    from reelhouse.app import Reelhouse
    from reelhouse.services.listener_record import listener_url
    from reelhouse.serving import prepare_first_run, serve

    boot = config_from(config, data_dir, host=host, port=port, https_port=https_port)
    configure_logging(boot.log_level, with_time=True)
    try:
        server = Reelhouse(boot)
    except ReelhouseError as exc:
        raise fail(exc.message) from None
    try:
        code = prepare_first_run(server)

        def ready(opened: list[Listener]) -> None:
            # Printed once the sockets are bound, with the ports they really got.
            shown = [listener_url(item) for item in opened]
            console.print(f"Reelhouse {__version__} is serving on [bold]{shown[0]}/[/]")
            https = [url for url, item in zip(shown, opened, strict=True) if item.scheme == "https"]
            info = server.services.certificates.info if server.services.certificates else None
            if https and info is not None:
                console.print(f"and on [bold]{https[0]}/[/] (certificate SHA-256 {info.fingerprint_sha256})")
            if code:
                console.print(
                    f"Open that page and create the owner account with the setup code [bold]{code}[/]"
                )
            else:
                console.print("Sign in on that page. Stop the server with Ctrl+C.")

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(server, on_ready=ready))
    except ReelhouseError as exc:
        raise fail(exc.message) from None
    except OSError as exc:
        raise fail(f"cannot serve on {boot.host}: {exc.strerror or exc}") from None
    finally:
        server.close()


@app.command("backup")
def backup(
    dest: Path = typer.Argument(..., help="Folder to write the backup into."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Write a consistent copy of the database and settings, even while the server runs.

    The copy holds password hashes and the whole audit log, so the folder is made (or tightened to) 0700
    and the files are 0600."""
    with opened(config, data_dir) as server:
        dest.mkdir(mode=0o700, parents=True, exist_ok=True)
        if dest.stat().st_mode & 0o077:
            dest.chmod(0o700)
            console.print(f"Made {dest} private (0700): a backup holds every account's password hash.")
        target = dest / "reelhouse.db"
        server.db.backup_to(target)
        target.chmod(0o600)
        # The copy's log ends with an entry saying it is one, so restoring it is explained, not "broken".
        server.services.audit.mark_backup(target)
        settings = {
            k: list(v) if isinstance(v, tuple) else v for k, v in server.services.settings.values.items()
        }
        partial = dest / "settings.json.partial"
        partial.unlink(missing_ok=True)
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(settings, indent=2))
        partial.replace(dest / "settings.json")
        console.print(f"Backed up the database to {target} and the settings to {dest / 'settings.json'}")


def run() -> None:
    app()


if __name__ == "__main__":
    run()
