"""`reelhouse library …` and `reelhouse scan`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

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
from reelhouse.domain.access import system_actor
from reelhouse.domain.library import LibraryKind
from reelhouse.domain.scanning import ScanProgress

library_app = typer.Typer(help="Add, list and remove libraries.", no_args_is_help=True)


@library_app.command("add")
def library_add(
    paths: list[str] = typer.Argument(..., help="One or more root folders."),
    name: str = typer.Option(..., "--name", help="The library's name."),
    kind: LibraryKind = typer.Option(..., "--kind", help="What the library holds."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Add a library with one or more root folders."""
    with opened(config, data_dir) as server:
        library = server.services.libraries.add(system_actor(), name, kind.value, paths)
        console.print(f"Added library [bold]{library.name}[/] ({library.kind.value}) with id {library.id}")
        console.print("Run [bold]reelhouse scan[/] to scan it now, or start the server, which scans it.")


@library_app.command("list")
def library_list(
    as_json: bool = JsonOption,
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """List libraries with their folders."""
    with opened(config, data_dir) as server:
        found = server.services.libraries.visible(system_actor())
        if as_json:
            print_json(
                [{"id": x.id, "name": x.name, "kind": x.kind.value, "folders": list(x.roots)} for x in found]
            )
            return
        table = id_table("id", "name", "kind", "folders")
        for lib in found:
            table.add_row(lib.id, lib.name, lib.kind.value, "\n".join(lib.roots))
        print_table(table, [lib.id for lib in found])


@library_app.command("remove")
def library_remove(
    name: str = typer.Argument(..., help="Name or id of the library."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Remove a library from the catalogue; its files are not touched."""
    with opened(config, data_dir) as server:
        actor = system_actor()
        library = server.services.libraries.find(actor, name)
        server.services.libraries.remove(actor, library.id)
        console.print(f"Removed library {library.name}.")


def scan(
    library: str | None = typer.Option(None, "--library", help="Name or id; all libraries when left out."),
    full: bool = typer.Option(False, "--full", help="Re-read every file, even unchanged ones."),
    config: Path | None = ConfigOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Scan libraries now, with a progress bar."""
    with opened(config, data_dir) as server:
        actor = system_actor()
        targets = (
            [server.services.libraries.find(actor, library)]
            if library
            else server.services.libraries.visible(actor)
        )
        if not targets:
            raise fail("there are no libraries; add one with 'reelhouse library add'")
        failed = False
        for target in targets:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[phase]}"),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task(target.name, total=None, phase="walk")

                def show(event: ScanProgress, task_id: TaskID = task) -> None:
                    bar.update(
                        task_id, completed=event.done, total=event.total or None, phase=event.phase.value
                    )

                report = server.services.scanning.scan_now(target, full=full, progress=show)
            console.print(
                f"{target.name}: {report.files_seen} files, {report.added} added, {report.updated} updated, "
                f"{report.moved} moved, {report.missing} missing, {len(report.errors)} errors "
                f"in {report.seconds:.1f}s"
            )
            if report.settling:
                console.print(
                    f"  {report.settling} {'file is' if report.settling == 1 else 'files are'} still being "
                    "copied in; scan again in a few seconds to add them.",
                    highlight=False,
                )
            for issue in report.errors[:20]:
                console.print(f"  [yellow]skipped[/] {issue.path}: {issue.reason}", highlight=False)
            failed = failed or (bool(report.errors) and report.files_seen == len(report.errors) > 0)
        if failed:
            raise typer.Exit(1)
