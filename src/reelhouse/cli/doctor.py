"""`reelhouse doctor`: what this server finds around it, and in a scaled-out installation the database, the other
web nodes, the broker and the workers, each with an OK or FAIL line (docs/cli.md, docs/scaling.md)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from reelhouse import __version__
from reelhouse.cli.common import ConfigOption, DataDirOption, config_from, console, opened
from reelhouse.config import BootConfig
from reelhouse.services import cluster_health
from reelhouse.services.cluster_health import Finding

if TYPE_CHECKING:
    from reelhouse.app import Reelhouse


def doctor(config: Path | None = ConfigOption, data_dir: Path | None = DataDirOption) -> None:
    """Report what the server finds: ffmpeg and its encoders, database, data dir, listeners; with PostgreSQL, a
    cluster or transcode workers, whether each answers. Exits 1 when a configured part does not."""
    # listener_record reaches the database layer (Alembic, SQLAlchemy's dialects): loaded by the verbs that use it.
    from reelhouse.services.listener_record import read_state

    boot = config_from(config, data_dir)
    url = boot.effective_database_url
    findings: list[Finding] = []
    if cluster_health.is_postgresql(url):
        findings.append(cluster_health.database(url))
    if findings and not findings[0].ok:
        # Opening the server would only fail on the same database: say what else answers, then stop.
        findings += _broker(boot)
        _report(findings)
        raise typer.Exit(1)
    with opened(config, data_dir) as server:
        console.print(_table(server))
        if boot.cluster:
            findings += cluster_health.nodes(url, serving_here=read_state(boot.data_dir).running)
        gpu_policy = str(server.services.settings.get("transcode_gpu"))
    findings += _broker(boot, gpu_policy)
    _report(findings)
    if any(not finding.ok for finding in findings):
        raise typer.Exit(1)


def _broker(boot: BootConfig, gpu_policy: str | None = None) -> list[Finding]:
    if not boot.transcode_broker_url:
        return []
    reached = cluster_health.broker(boot.transcode_broker_url)
    if not reached.ok:
        return [reached]
    return [reached, *cluster_health.workers(boot.transcode_broker_url, gpu_policy)]


def _report(findings: list[Finding]) -> None:
    for finding in findings:
        # Plain lines, never wrapped or coloured into something a script cannot match.
        console.print(finding.line(), markup=False, highlight=False, soft_wrap=True)


def _table(server: Reelhouse) -> Table:
    from reelhouse.services.listener_record import configured_listeners, read_state

    boot = server.config
    table = Table("check", "finding", show_header=False)
    table.add_row("version", __version__)
    table.add_row("data dir", str(boot.data_dir))
    table.add_row(
        "database",
        f"{boot.effective_database_url.split('://')[0]} at revision {server.db.current_revision()}",
    )
    table.add_row("integrity", server.db.integrity_check())
    ffmpeg = boot.ffmpeg_path or shutil.which("ffmpeg") or ""
    if ffmpeg:
        out = subprocess.run(
            [ffmpeg, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=20
        )
        wanted = ("libx264", "h264_vaapi", "h264_nvenc", "h264_qsv", "aac", "libopus", "libmp3lame")
        found = [e for e in wanted if f" {e} " in out.stdout]
        version = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True, timeout=20).stdout
        table.add_row("ffmpeg", f"{ffmpeg} ({version.splitlines()[0] if version else 'unknown'})")
        table.add_row("encoders", ", ".join(found) or "none of the ones Reelhouse uses")
    else:
        table.add_row("ffmpeg", "[red]not found[/]: transcoding is off; install Debian's ffmpeg")
    state = read_state(boot.data_dir)
    if state.running:
        live = ", ".join(f"{i.scheme}://{i.address}:{i.port}" for i in state.listeners)
        table.add_row("listeners", f"{live} (open, server process {state.pid})")
    else:
        asked = ", ".join(f"{i.scheme}://{i.address}:{i.port}" for i in configured_listeners(boot))
        table.add_row("listeners", f"{state.note} The config asks for {asked}.")
    table.add_row("libraries", str(len(server.services.libraries.all_for_system())))
    return table
