"""Transcode jobs over Celery with a Redis (or Valkey) broker: sending them, and running a worker.

Imported only by `reelhouse worker` and by a web node configured with a broker: the single-machine default never
loads Celery. Jobs are at most once: acknowledged as they start (never late), never retried, taken only by a
worker with a free slot, and they expire within seconds, so a message redelivered after a worker died
unstarted is dropped rather than run for a player that has moved on. A claim key per job (set once)
makes a second delivery of a started job a no-op on any worker."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

import redis
from celery import Celery, signals

from reelhouse.services.transcode_jobs import (
    CONTROL_TTL,
    DEFAULT_EXPIRY_SECONDS,
    Capability,
    Heartbeat,
    TranscodeJob,
    control_key,
    heartbeat_key,
)
from reelhouse.services.transcode_worker import TranscodeRunner, WorkerJobs
from reelhouse.services.worker_config import WorkerConfig

log = logging.getLogger(__name__)
TASK_NAME = "reelhouse.transcode"
# Longer than any expiry: a reserved message a dead worker never started comes back only after this, expired.
VISIBILITY_TIMEOUT = 60


def queue_name(capability: Capability) -> str:
    return f"reelhouse.{capability.value}"


def celery_app(broker_url: str) -> Celery:
    app = Celery("reelhouse", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=False,
        task_reject_on_worker_lost=False,
        task_ignore_result=True,
        task_track_started=False,
        worker_prefetch_multiplier=1,
        # Acknowledged on start, a job frees its prefetch place at once, so a worker with every slot busy would
        # fetch one more and hold it, unstarted, until it expired, while another worker had a slot free.
        # Without prefetch a worker takes a job only when a slot is free (Redis brokers only; ours is one).
        worker_disable_prefetch=True,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        broker_connection_retry_on_startup=True,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        task_default_queue=queue_name(Capability.CPU),
    )
    return app


class TranscodeQueue:
    """A web node's side: send a job to a capability's queue, cancel it, read its heartbeat."""

    def __init__(self, broker_url: str) -> None:
        self._app = celery_app(broker_url)
        self._keys = redis.Redis.from_url(broker_url)

    def submit(
        self,
        job: TranscodeJob,
        capability: Capability = Capability.CPU,
        expires_seconds: float = DEFAULT_EXPIRY_SECONDS,
    ) -> None:
        self.send_raw(job.model_dump(mode="json"), capability, expires_seconds)

    def send_raw(self, body: dict[str, Any], capability: Capability, expires_seconds: float) -> None:
        """A job body as it goes on the wire; `submit` is the way to send a checked one."""
        self._app.send_task(TASK_NAME, args=[body], queue=queue_name(capability), expires=expires_seconds)

    def cancel(self, job_id: str) -> None:
        self._keys.set(control_key(job_id), "cancel", ex=CONTROL_TTL)

    def heartbeat(self, job_id: str) -> Heartbeat | None:
        raw = self._keys.get(heartbeat_key(job_id))
        return Heartbeat.decode(raw) if raw is not None else None

    def close(self) -> None:
        self._keys.close()
        self._app.close()


def worker_name() -> str:
    # The pid keeps two workers on one machine apart (Celery refuses duplicate node names in a cluster).
    return f"reelhouse-worker-{os.getpid()}@{socket.gethostname()}"


def runner_for(config: WorkerConfig, jobs: WorkerJobs, url: str) -> TranscodeRunner:
    keys = redis.Redis.from_url(config.broker_url, socket_timeout=2, socket_connect_timeout=2)
    return TranscodeRunner(config, keys, jobs, worker_name(), url)


def run_worker(config: WorkerConfig, runner: TranscodeRunner, on_ready: Any = None) -> None:
    """Consume the configured queues until SIGTERM or SIGINT; running jobs are cancelled, not waited for."""
    app = celery_app(config.broker_url)

    @app.task(name=TASK_NAME, ignore_result=True, acks_late=False, max_retries=0)  # type: ignore[untyped-decorator]
    def transcode(body: object) -> str:
        return runner.run(body)

    def shutting_down(**_: object) -> None:
        # A warm shutdown waits for running tasks; ours would run to the end of the film. Ending them is the
        # same as a cancel: the web nodes see the heartbeat go and start the job elsewhere.
        runner.stopping.set()

    def ready(**_: object) -> None:
        if on_ready is not None:
            on_ready()

    signals.worker_shutting_down.connect(shutting_down, weak=False)
    signals.worker_ready.connect(ready, weak=False)
    keeper = threading.Thread(target=runner.keep, name="job-keeper", daemon=True)
    keeper.start()
    worker = app.Worker(
        hostname=worker_name(),
        pool="threads",
        concurrency=config.slots,
        queues=[queue_name(capability) for capability in config.queues],
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
        loglevel="INFO",
        quiet=True,
    )
    try:
        worker.start()
    finally:
        runner.stopping.set()
        keeper.join(timeout=5)
