"""A transcode worker's jobs: check the file, run ffmpeg into local scratch, watch for cancel, keep a heartbeat.

Each job runs on one of the worker's pool threads. It resolves the library id to this machine's mount point,
opens the file the way the server does (services/media_files.py: by descriptor, refused when its real path leaves
the root), and builds ffmpeg's argv with the one allowlisted builder. ffmpeg runs in its own process group and
dies with the worker (PR_SET_PDEATHSIG). The thread reads the job's control key every CONTROL_POLL_SECONDS and
refreshes its heartbeat every HEARTBEAT_SECONDS; once ffmpeg is done the keeper thread does both until the
segments have been fetched or the web node cancels, then removes the folder. A job nobody fetches from ends on
its own: a running one after idle_seconds, a finished one after keep_seconds (its web node died)."""

from __future__ import annotations

import hmac
import logging
import os
import shutil
import stat
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from reelhouse.errors import InvalidInput, MediaError, NotFound
from reelhouse.media import ffmpeg
from reelhouse.services.media_files import MediaFiles
from reelhouse.services.transcode_jobs import (
    CONTROL_POLL_SECONDS,
    CONTROL_TTL,
    HEARTBEAT_SECONDS,
    HEARTBEAT_TTL,
    Heartbeat,
    JobState,
    TranscodeJob,
    control_key,
    heartbeat_key,
    is_job_id,
    is_segment_name,
)
from reelhouse.services.worker_config import WorkerConfig

log = logging.getLogger(__name__)
# Marks a folder as this worker's scratch: a mistyped scratch_dir (a home folder) is refused, never emptied.
SCRATCH_MARK = ".reelhouse-worker-scratch"
# Compared against when the job is unknown, so an unknown job and a wrong token take the same time.
_NO_TOKEN = b"\0" * 43


@dataclass
class WorkerJob:
    job: TranscodeJob
    folder: Path
    state: JobState = JobState.RUNNING
    process: subprocess.Popen[bytes] | None = None
    # Why it failed, repeated in every later heartbeat of the job.
    detail: str = ""
    touched: float = field(default_factory=time.monotonic)


class WorkerJobs:
    """This worker's jobs, shared by the pool threads, the keeper and the segment listener."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, WorkerJob] = {}

    def add(self, entry: WorkerJob) -> None:
        with self._lock:
            self._jobs[entry.job.job_id] = entry

    def pop(self, job_id: str) -> WorkerJob | None:
        with self._lock:
            return self._jobs.pop(job_id, None)

    def all(self) -> list[WorkerJob]:
        with self._lock:
            return list(self._jobs.values())

    def file(self, job_id: str, token: str, name: str) -> Path | None:
        """The named playlist or finished segment of a job, only with its token; None is a 404 for the
        listener, whatever was wrong, so it cannot tell an unknown job from a wrong token."""
        with self._lock:
            entry = self._jobs.get(job_id)
        expected = entry.job.token.encode() if entry is not None else _NO_TOKEN
        matches = hmac.compare_digest(token.encode("utf-8", "replace"), expected)
        if entry is None or not matches or not is_segment_name(name):
            return None
        path = entry.folder / name
        try:
            # ffmpeg writes each segment under a temporary name and renames it when complete (temp_file).
            if not stat.S_ISREG(os.lstat(path).st_mode):
                return None
        except OSError:
            return None
        entry.touched = time.monotonic()
        return path


def prepare_scratch(folder: Path) -> Path:
    """The folder job folders go in, emptied of a previous run's (a killed worker leaves them behind)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    mark = folder / SCRATCH_MARK
    if not mark.exists():
        if any(folder.iterdir()):
            raise InvalidInput(f"{folder} is not empty and is not a worker's scratch folder.", "scratch_dir")
        mark.touch()
    jobs = folder / "jobs"
    shutil.rmtree(jobs, ignore_errors=True)
    jobs.mkdir(mode=0o700)
    return jobs


class TranscodeRunner:
    def __init__(
        self, config: WorkerConfig, keys: redis.Redis, jobs: WorkerJobs, worker: str, url: str
    ) -> None:
        self._config = config
        self._keys = keys
        self.jobs = jobs
        self._worker = worker
        self._url = url
        self._scratch = prepare_scratch(config.scratch_dir)
        protected = [config.config_file] if config.config_file is not None else []
        self._files = MediaFiles(protected=lambda: protected)
        self.stopping = threading.Event()

    # Redis ---------------------------------------------------------------------------------------------
    def _beat(self, job: TranscodeJob, state: JobState, detail: str = "") -> None:
        beat = Heartbeat(self._worker, self._url, state, job.start_segment, detail)
        try:
            self._keys.set(heartbeat_key(job.job_id), beat.encode(), ex=HEARTBEAT_TTL)
        except redis.RedisError as exc:  # a Redis restart must not end the encode; the next beat retries
            log.warning("heartbeat of job %s not written: %s", job.job_id, exc)

    def _cancelled(self, job_id: str) -> bool:
        try:
            return self._keys.get(control_key(job_id)) is not None
        except redis.RedisError as exc:  # unreachable Redis is not a cancel; the next poll asks again
            log.warning("control key of job %s not read: %s", job_id, exc)
            return False

    # One job, on a pool thread ----------------------------------------------------------------------
    def run(self, raw: object) -> str:
        try:
            job = TranscodeJob.parse(raw)
        except InvalidInput as exc:
            self._refuse_raw(raw, f"{exc.message} ({', '.join(exc.fields)})")
            return JobState.REFUSED.value
        if self.stopping.is_set() or self._cancelled(job.job_id):
            return JobState.CANCELLED.value
        try:
            # One run per job id across every worker: a message delivered twice is dropped the second time.
            if not self._keys.set(
                control_key(job.job_id) + ":claimed", self._worker, ex=CONTROL_TTL, nx=True
            ):
                log.warning("job %s was already taken; dropped", job.job_id)
                return JobState.REFUSED.value
        except redis.RedisError as exc:  # without the claim the job might run twice; drop it
            log.warning("job %s not claimed: %s", job.job_id, exc)
            return JobState.REFUSED.value
        roots = self._config.libraries.get(job.library_id, ())
        if job.root_index >= len(roots):
            return self._refuse(job, "This worker does not mount that library folder.")
        root = roots[job.root_index]
        hardware = self._config.gpu if job.capability == "gpu" else None
        if job.capability == "gpu" and hardware is None:
            return self._refuse(job, "This worker has no GPU encoder.")
        try:
            opened = self._files.open_inside(os.path.join(root, job.relative_path), [root])
        except NotFound:
            return self._refuse(job, "The file is not inside the library on this worker.")
        with opened:
            folder = self._scratch / job.job_id
            folder.mkdir(mode=0o700)
            entry = WorkerJob(job, folder)
            try:
                argv = ffmpeg.hls_argv(job.hls(opened.ffmpeg_input(), folder, hardware))
                entry.process = ffmpeg.start(
                    argv, opened.ffmpeg_input(), folder / "ffmpeg.log", die_with_parent=True
                )
            except (InvalidInput, MediaError, OSError) as exc:
                shutil.rmtree(folder, ignore_errors=True)
                return self._refuse(job, str(exc))
            self.jobs.add(entry)
            log.info("job %s started at segment %d", job.job_id, job.start_segment)
            return self._watch(entry, entry.process).value

    def _watch(self, entry: WorkerJob, process: subprocess.Popen[bytes]) -> JobState:
        job = entry.job
        self._beat(job, JobState.RUNNING)
        next_beat = time.monotonic() + HEARTBEAT_SECONDS
        while True:
            try:
                code = process.wait(timeout=CONTROL_POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                pass
            if self.stopping.is_set() or self._cancelled(job.job_id):
                self._end(job.job_id)
                return JobState.CANCELLED
            if time.monotonic() - entry.touched > self._config.idle_seconds:
                # No web node wants it any more (the one that sent it died): free the slot and the CPU.
                log.info("job %s: nothing fetched for %.0f s; ended", job.job_id, self._config.idle_seconds)
                self._end(job.job_id)
                return JobState.CANCELLED
            if time.monotonic() >= next_beat:
                self._beat(job, JobState.RUNNING)
                next_beat = time.monotonic() + HEARTBEAT_SECONDS
        entry.state = JobState.FINISHED if code == 0 else JobState.FAILED
        entry.detail = "" if code == 0 else f"ffmpeg exited with {code}"
        if code != 0 and self._config.gpu is not None and job.capability == "gpu":
            if not any(entry.folder.glob("seg*.ts")):
                # Nothing encoded at all: the device or its driver, not the file (a CPU worker may still try).
                entry.state = JobState.ENCODER_FAILED
                entry.detail = (
                    f"the GPU encoder {self._config.gpu.encoder} did not start on {self._worker}: "
                    f"{_first_error(entry.folder / 'ffmpeg.log')}"
                )
        entry.touched = time.monotonic()
        self._beat(job, entry.state, entry.detail)
        return entry.state

    def _refuse(self, job: TranscodeJob, reason: str) -> str:
        log.warning("job %s refused: %s", job.job_id, reason)
        self._beat(job, JobState.REFUSED, reason)
        return JobState.REFUSED.value

    def _refuse_raw(self, raw: object, reason: str) -> None:
        # A job that does not parse may still carry a usable id; its sender then learns why at once.
        job_id = raw.get("job_id") if isinstance(raw, dict) else None
        log.warning("job %r refused: %s", job_id, reason)
        if isinstance(job_id, str) and is_job_id(job_id):
            beat = Heartbeat(self._worker, self._url, JobState.REFUSED, 0, reason)
            try:
                self._keys.set(heartbeat_key(job_id), beat.encode(), ex=HEARTBEAT_TTL)
            except redis.RedisError as exc:  # the refusal stands even if Redis cannot hear it
                log.warning("refusal of job %s not written: %s", job_id, exc)

    def _end(self, job_id: str) -> None:
        entry = self.jobs.pop(job_id)
        if entry is None:
            return
        if entry.process is not None:
            ffmpeg.stop(entry.process)
        shutil.rmtree(entry.folder, ignore_errors=True)
        try:
            self._keys.delete(heartbeat_key(job_id))
        except redis.RedisError as exc:  # the heartbeat's TTL ends it anyway
            log.warning("heartbeat of job %s not removed: %s", job_id, exc)
        log.info("job %s ended", job_id)

    # Finished jobs, on the keeper thread -----------------------------------------------------------
    def keep(self) -> None:
        """Until the worker stops: heartbeats and cancels for finished jobs, and their removal once idle."""
        next_beat = 0.0
        while not self.stopping.wait(CONTROL_POLL_SECONDS):
            try:
                next_beat = self._keep_once(next_beat)
            except Exception:  # one bad round must not stop the keeper, or heartbeats would lapse
                log.exception("keeping finished jobs failed")
        # Running jobs end on their own threads, which see `stopping` within a poll; ending them here too would
        # race their last heartbeat.
        for entry in self.jobs.all():
            if entry.state is not JobState.RUNNING:
                self._end(entry.job.job_id)

    def _keep_once(self, next_beat: float) -> float:
        done = [entry for entry in self.jobs.all() if entry.state is not JobState.RUNNING]
        if not done:
            return next_beat
        try:
            controls = self._keys.mget([control_key(entry.job.job_id) for entry in done])
        except redis.RedisError as exc:  # retried on the next round
            log.warning("control keys not read: %s", exc)
            controls = [None] * len(done)
        now = time.monotonic()
        beat = now >= next_beat
        for entry, control in zip(done, controls, strict=True):
            if control is not None or now - entry.touched > self._config.keep_seconds:
                self._end(entry.job.job_id)
            elif beat:
                self._beat(entry.job, entry.state, entry.detail)
        return now + HEARTBEAT_SECONDS if beat else next_beat


def _first_error(log_file: Path) -> str:
    """ffmpeg's first complaint, without its "[context @ 0x…]" prefix, short enough for a heartbeat."""
    try:
        lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "no log"
    for line in lines:
        text = line.split("] ", 1)[1] if line.startswith("[") and "] " in line else line
        text = "".join(c for c in text.strip() if c.isprintable())
        if text:
            return text[:200]
    return "no log"
