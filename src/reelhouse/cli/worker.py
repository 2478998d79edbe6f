"""`reelhouse worker`: a transcode worker that takes jobs from a Redis broker and serves their segments."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from reelhouse.cli.common import configure_logging, fail
from reelhouse.errors import ReelhouseError


def worker(
    config: Path | None = typer.Option(
        None, "--config", help="The worker's TOML file (libraries and the rest)."
    ),
    broker: str | None = typer.Option(None, "--broker", help="Redis or Valkey URL of the job queue."),
    queue: list[str] | None = typer.Option(
        None, "--queue", help="A capability to take jobs for: cpu or gpu."
    ),
    slots: int | None = typer.Option(None, "--slots", help="How many jobs run at once."),
    scratch: Path | None = typer.Option(None, "--scratch", help="Local folder for segments."),
    host: str | None = typer.Option(None, "--host", help="Address the segment listener binds to."),
    port: int | None = typer.Option(
        None, "--port", help="TCP port of the segment listener (0: any free one)."
    ),
    advertise_url: str | None = typer.Option(
        None, "--advertise-url", help="Base URL web nodes fetch segments from."
    ),
) -> None:
    """Run a transcode worker: Celery jobs from the broker, segments served to web nodes with each job's token."""
    overrides = {
        "broker_url": broker,
        "queues": queue or None,
        "slots": slots,
        "scratch_dir": str(scratch) if scratch is not None else None,
        "listen_host": host,
        "listen_port": port,
        "advertise_url": advertise_url,
    }
    configure_logging("info", with_time=True)
    # Celery is loaded here only: nothing else in the command line or the server imports it.
    from reelhouse.services.transcode_queue import run_worker, runner_for
    from reelhouse.services.transcode_worker import WorkerJobs
    from reelhouse.services.worker_config import load_worker_config
    from reelhouse.web.worker_api import SegmentListener

    try:
        settings = load_worker_config(config, overrides)
        jobs = WorkerJobs()
        listener = SegmentListener(jobs, settings.listen_host, settings.listen_port)
        bound = listener.start()
        runner = runner_for(settings, jobs, settings.base_url(bound))
    except ReelhouseError as exc:
        raise fail(exc.message) from None
    except OSError as exc:
        raise fail(f"the segment listener could not start: {exc.strerror}") from None

    def ready() -> None:
        # One line on stdout once the queues are consumed: what service managers and the tests wait for.
        print(f"worker ready: segments on port {bound}", flush=True)

    try:
        run_worker(settings, runner, ready)
    finally:
        listener.stop()
    sys.stdout.flush()
