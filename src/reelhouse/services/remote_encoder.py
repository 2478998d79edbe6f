"""An HLS session's encoder on a transcode worker (issue #19): a job on the broker instead of a local ffmpeg.

The web node keeps the session, its folder and every decision: the worker's playlist and each segment a player
asks for are fetched (with the job's token) into the session's own folder, and the routes serve them from there
after the media access decision, as they serve a local encoder's. One job per session at a time: a new run
cancels the one before. A job is dead when its heartbeat is gone (the worker died or dropped it) or its
listener refuses connections; the next segment request then sends a new job at that segment.

Celery is not imported here: the queue is handed in by the server, which imports it only when a broker is
configured."""

from __future__ import annotations

import enum
import http.client
import logging
import os
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from reelhouse.domain import playback
from reelhouse.domain.settings import GpuPolicy
from reelhouse.errors import MediaError, Unavailable
from reelhouse.services.hls_session import SEGMENT_SECONDS, Session
from reelhouse.services.transcode_jobs import (
    DEFAULT_EXPIRY_SECONDS,
    Capability,
    Heartbeat,
    JobState,
    TranscodeJob,
    job_token,
)

log = logging.getLogger(__name__)
# A job that has shown no heartbeat this long after it was sent was never started (it expired on the queue).
START_GRACE_SECONDS = DEFAULT_EXPIRY_SECONDS + 3.0
# Heartbeats change every 3 s; reading one per segment poll would hammer Redis for nothing.
HEARTBEAT_READ_SECONDS = 0.5
FIRST_BEAT_READ_SECONDS = 0.05
FETCH_TIMEOUT_SECONDS = 10.0
# A `gpu` job waits less on the queue: under `prefer` a missing or busy GPU worker costs the first segment this
# long before a CPU worker is asked, and under `require` the player hears why this soon.
GPU_EXPIRY_SECONDS = 2.0
GPU_START_GRACE_SECONDS = GPU_EXPIRY_SECONDS + 1.5
_NO_GPU_WORKER = "no GPU worker took the job"
_NO_GPU_ENCODER = "the GPU encoder failed to start"


class JobQueue(Protocol):
    """What the encoder needs of services/transcode_queue.py:TranscodeQueue."""

    def submit(self, job: TranscodeJob, capability: Capability, expires_seconds: float) -> None: ...

    def cancel(self, job_id: str) -> None: ...

    def heartbeat(self, job_id: str) -> Heartbeat | None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class JobOrigin:
    """Where a session's file is, in words every machine understands: the library, which of its root folders,
    and the path below it. Each worker maps (library, root) to its own mount."""

    library_id: str
    root_index: int
    relative_path: str


class RunState(enum.Enum):
    STARTING = "starting"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    DEAD = "dead"


@dataclass
class RemoteRun:
    job: TranscodeJob
    sent: float = field(default_factory=time.monotonic)
    beat: Heartbeat | None = None
    seen: bool = False
    read_at: float = 0.0
    unreachable: bool = False
    # A `gpu` job that no GPU worker started, or whose hardware encoder failed: the policy has been applied.
    gpu_given_up: bool = False

    @property
    def grace(self) -> float:
        return GPU_START_GRACE_SECONDS if self.job.capability == "gpu" else START_GRACE_SECONDS


def origin_of(path: str, roots: tuple[str, ...], library_id: str) -> JobOrigin | None:
    """The file's place under the first of the library's roots that holds it; None when none does."""
    for index, root in enumerate(roots):
        relative = os.path.relpath(path, root)
        if not relative.startswith("..") and not os.path.isabs(relative) and relative != ".":
            return JobOrigin(library_id, index, relative)
    return None


class RemoteEncoders:
    def __init__(
        self, queue: JobQueue, token_key: bytes, gpu_policy: Callable[[], str] = lambda: GpuPolicy.OFF.value
    ) -> None:
        self._queue = queue
        self._token_key = token_key
        # The runtime setting transcode_gpu, read for every job sent, so a change applies to the next one.
        self._gpu_policy = gpu_policy

    def _capability(self, session: Session) -> Capability:
        policy = self._gpu_policy()
        # A session that fell back stays on CPU workers: each seek would otherwise wait for a GPU again.
        if policy == GpuPolicy.REQUIRE or (policy == GpuPolicy.PREFER and session.fallback is None):
            return Capability.GPU
        return Capability.CPU

    def token_for(self, job_id: str) -> str:
        return job_token(self._token_key, job_id)

    def begin(self, session: Session, number: int) -> RemoteRun:
        origin = session.origin
        if origin is None:
            raise MediaError("This file cannot be sent to a transcode worker.")
        plan = session.plan
        capability = self._capability(session)
        job_id = secrets.token_urlsafe(16)
        job = TranscodeJob(
            job_id=job_id,
            token=self.token_for(job_id),
            library_id=origin.library_id,
            root_index=origin.root_index,
            relative_path=origin.relative_path,
            start_segment=number,
            segment_seconds=SEGMENT_SECONDS,
            video_index=plan.video_index if plan.video_index is not None else 0,
            video_codec=None if plan.video_copy else "h264",
            height=plan.height,
            video_kbps=plan.video_kbps,
            audio_index=plan.audio_index,
            audio_codec=None if plan.audio_copy else "aac",
            audio_kbps=playback.AUDIO_KBPS_IN_HLS,
            burn_subtitle_index=plan.burn_subtitle_index,
            capability=capability.value,
        )
        expiry = GPU_EXPIRY_SECONDS if capability is Capability.GPU else DEFAULT_EXPIRY_SECONDS
        try:
            self._queue.submit(job, capability, expiry)
        except Exception as exc:  # noqa: BLE001 - kombu and redis raise their own kinds; any of them means the same
            log.warning("session %s: job not sent: %s", session.id, exc)
            raise Unavailable("The transcode workers cannot be reached; try again shortly.", 5) from None
        log.info("session %s: %s job %s sent at segment %d", session.id, capability, job.job_id, number)
        return RemoteRun(job)

    def cancel(self, run: RemoteRun) -> None:
        try:
            self._queue.cancel(run.job.job_id)
        except Exception as exc:  # noqa: BLE001 - the job still dies when nobody fetches from it (keep_seconds)
            log.warning("job %s not cancelled: %s", run.job.job_id, exc)

    def state(self, session: Session, run: RemoteRun) -> RunState:
        now = time.monotonic()
        # Until a worker has taken the job its address is unknown, and the first segment waits on it.
        if now - run.read_at >= (HEARTBEAT_READ_SECONDS if run.seen else FIRST_BEAT_READ_SECONDS):
            run.read_at = now
            try:
                run.beat = self._queue.heartbeat(run.job.job_id)
            except Exception as exc:  # noqa: BLE001 - a Redis restart is not a dead job; ask again shortly
                log.warning("heartbeat of job %s not read: %s", run.job.job_id, exc)
                return RunState.RUNNING if run.seen else RunState.STARTING
            if run.beat is not None:
                run.seen = True
                session.worker = run.beat.worker
        if run.unreachable:
            return RunState.DEAD
        if run.beat is None:
            # Gone after it was seen: the worker died or ended it. Never seen: still queued, or expired.
            if run.seen:
                return RunState.DEAD
            if now - run.sent > run.grace:
                if run.job.capability == "gpu":
                    return self._without_gpu(session, run, _NO_GPU_WORKER, _NO_GPU_WORKER)
                return RunState.DEAD
            return RunState.STARTING
        if run.beat.state is JobState.ENCODER_FAILED:
            return self._without_gpu(session, run, run.beat.detail or _NO_GPU_ENCODER, _NO_GPU_ENCODER)
        if run.beat.state is JobState.RUNNING:
            return RunState.RUNNING
        if run.beat.state is JobState.FINISHED:
            return RunState.FINISHED
        log.warning(
            "job %s is %s on %s: %s", run.job.job_id, run.beat.state, run.beat.worker, run.beat.detail
        )
        return RunState.FAILED

    def _without_gpu(self, session: Session, run: RemoteRun, reason: str, told: str) -> RunState:
        """The policy's answer to a `gpu` job that will not encode: under `prefer` the session falls back to
        CPU workers (DEAD makes the caller send the job again, now to the cpu queue), logged and recorded on
        the session for admins; under `require` the player gets a 503 saying why, and its next request tries
        a GPU worker again. The player is ``told`` only a general reason: the full one names the worker and
        its device, which only admins see (a player never learns where a worker is)."""
        if run.gpu_given_up:
            return RunState.DEAD
        run.gpu_given_up = True
        self.cancel(run)
        if self._gpu_policy() == GpuPolicy.REQUIRE:
            log.warning(
                "session %s: job %s: %s; transcode_gpu = require, no fallback",
                session.id,
                run.job.job_id,
                reason,
            )
            raise Unavailable(
                f"No GPU transcode worker could encode this ({told}), and this server does not fall back "
                "to CPU workers; try again shortly.",
                5,
            )
        session.fallback = f"fell back to CPU: {reason}"
        log.warning("session %s: job %s %s", session.id, run.job.job_id, session.fallback)
        return RunState.DEAD

    def pull(self, session: Session, run: RemoteRun, number: int) -> None:
        """Mirror the worker's playlist, and the segment ``number`` once it lists it, into the session folder."""
        beat = run.beat
        if beat is None or run.unreachable:
            return
        playlist = self._fetch(run, beat.url, "ffmpeg.m3u8")
        if playlist is None:
            return
        if run is not session.job:
            return  # a seek replaced this run while it was fetched: its playlist is not the session's
        _write(session.folder / "ffmpeg.m3u8", playlist)
        target = session.folder / f"seg{number}.ts"
        if number in session.finished() and not target.exists():
            data = self._fetch(run, beat.url, target.name)
            if data is not None:
                _write(target, data)

    def _fetch(self, run: RemoteRun, base: str, name: str) -> bytes | None:
        if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            # The URL comes from Redis: anything but a web address (file:, ftp:) is never opened.
            log.warning("job %s: the worker's address %r is not an http URL", run.job.job_id, base)
            run.unreachable = True
            return None
        request = urllib.request.Request(  # noqa: S310 - only http and https, checked above
            f"{base.rstrip('/')}/jobs/{run.job.job_id}/{name}",
            headers={"Authorization": f"Bearer {run.job.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as answer:  # noqa: S310
                return bytes(answer.read())
        except urllib.error.HTTPError as exc:
            exc.close()
            return None  # not written yet (the listener's one 404 for everything)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            # The listener is gone with its worker: no need to wait for the heartbeat to lapse.
            log.warning("job %s: worker at %s not reachable: %s", run.job.job_id, base, exc)
            run.unreachable = True
            return None

    def close(self) -> None:
        self._queue.close()


def _write(path: Path, data: bytes) -> None:
    # Renamed into place, so a reader never sees half a playlist or half a segment.
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)
