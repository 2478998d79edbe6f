"""A worker takes a job only when one of its slots is free (issue #19). Jobs are acknowledged as they start, so
Celery's prefetch would let a worker whose slots are all busy fetch one more job and hold it unstarted until it
expired, while another worker stood idle: its player waited the 8 s until the web node sent the job again
(found by benchmarks/bench_workers.py, eight sessions at once over two workers of four slots)."""

from __future__ import annotations

from pathlib import Path

from reelhouse.services.transcode_queue import TranscodeQueue
from tests.workers.test_transcode_worker import LIBRARY, Media, job
from tests.workers.worker_kit import RedisServer, WorkerProcess, ffmpeg_processes, wait_for


def test_a_job_waits_in_the_queue_for_a_free_slot_not_behind_a_busy_one(tmp_path: Path) -> None:
    media = Media(tmp_path / "media")
    broker = RedisServer()
    queue = TranscodeQueue(broker.url)
    workers: list[WorkerProcess] = []
    try:
        busy = WorkerProcess(tmp_path / "busy", broker.url, {LIBRARY: media.worker_root}, ("cpu",), 1)
        workers.append(busy)
        # A long 2160-line encode keeps the busy worker's only slot taken for the rest of the test.
        first = job(media.relative("long.mkv"), long=True)
        queue.submit(first, expires_seconds=30)
        wait_for(lambda: ffmpeg_processes(busy.scratch), 10)
        second = job(media.relative("long.mkv"), long=True)
        queue.submit(second, expires_seconds=30)
        # The second worker starts only now: a busy worker that fetches while its slot is taken gets the job
        # first, and would hold it past the time this test waits.
        idle = WorkerProcess(tmp_path / "idle", broker.url, {LIBRARY: media.worker_root}, ("cpu",), 1)
        workers.append(idle)

        def taken_by_idle() -> bool:
            beat = queue.heartbeat(second.job_id)
            return beat is not None and beat.worker.startswith(f"reelhouse-worker-{idle.process.pid}@")

        wait_for(taken_by_idle, 5)
        assert ffmpeg_processes(busy.scratch / "jobs" / second.job_id) == []
        for sent in (first, second):
            queue.cancel(sent.job_id)
    finally:
        for worker in workers:
            worker.stop()
        queue.close()
        broker.stop()
