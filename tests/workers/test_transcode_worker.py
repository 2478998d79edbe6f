"""Transcode workers (issue #19, item 3, the worker side): a real redis-server, real `reelhouse worker` processes
running Celery, real ffmpeg on tiny generated media that the worker sees under another path than the web side."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from reelhouse.errors import ConfigError, InvalidInput
from reelhouse.services.transcode_jobs import Capability, JobState, TranscodeJob, heartbeat_key, job_token
from reelhouse.services.transcode_queue import TranscodeQueue
from reelhouse.services.worker_config import WORKER_KEYS, load_worker_config
from reelhouse.web.worker_api import WORKER_ROUTES
from tests.mediagen import ffmpeg
from tests.workers.worker_kit import RedisServer, WorkerProcess, ffmpeg_processes, wait_for

# A worker on the gpu queue names its hardware encoder; jobs sent here as cpu jobs still encode with libx264.
GPU_KEYS = 'gpu_encoder = "h264_nvenc"\n'
LIBRARY = "films-library-0001"
# Quotes, a semicolon, a dollar and spaces: a name that breaks anything which builds a shell line.
NAME = 'Their "Night"; it\'s $(nothing) & more.mkv'


class Media:
    def __init__(self, root: Path) -> None:
        # The web node knows the library at one path; the worker mounts the same files at another.
        self.web_root = root / "srv" / "library"
        self.worker_root = root / "mnt" / "nas" / "films"
        (self.web_root / "Drama").mkdir(parents=True)
        (self.worker_root / "Drama").mkdir(parents=True)
        short = self.web_root / "Drama" / NAME
        ffmpeg(
            *("-f", "lavfi", "-i", "testsrc=size=64x36:rate=25:duration=6"),
            *("-f", "lavfi", "-i", "sine=duration=6", "-shortest"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(short)),
        )
        # Twenty seconds of frames scaled up to 2160 lines: an encode that runs long enough to be cancelled.
        long = self.web_root / "Drama" / "long.mkv"
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x36:rate=25:duration=20", "-c:v", "libx264", str(long))
        for source in (short, long):
            os.link(source, self.worker_root / source.relative_to(self.web_root))
        # Outside the worker's library root: what a job must never reach.
        self.outside = self.worker_root.parent / "private.mkv"
        os.link(long, self.outside)
        os.symlink(self.outside, self.worker_root / "Drama" / "escape.mkv")

    def relative(self, name: str) -> str:
        # What the web node sends: the path relative to its own library root, never an absolute one.
        return str((self.web_root / "Drama" / name).relative_to(self.web_root))


# The web nodes' shared key, as far as these jobs are concerned.
KEY = secrets.token_bytes(32)


def job(relative_path: str, long: bool = False, **changes: object) -> TranscodeJob:
    job_id = secrets.token_urlsafe(16)
    values: dict[str, object] = {
        "job_id": job_id,
        "token": job_token(KEY, job_id),
        "library_id": LIBRARY,
        "relative_path": relative_path,
        "start_segment": 0,
        "segment_seconds": 2,
        "video_index": 0,
        "video_codec": "h264",
        "height": 2160 if long else 240,
        "video_kbps": 20000 if long else 400,
        "audio_index": None if long else 1,
        "audio_codec": None if long else "aac",
    }
    return TranscodeJob(**{**values, **changes})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def broker() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    return Media(tmp_path_factory.mktemp("worker-media"))


@pytest.fixture(scope="module")
def queue(broker: RedisServer) -> Iterator[TranscodeQueue]:
    sender = TranscodeQueue(broker.url)
    yield sender
    sender.close()


@pytest.fixture(scope="module")
def cpu_worker(
    broker: RedisServer, media: Media, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(
        tmp_path_factory.mktemp("cpu-worker"), broker.url, {LIBRARY: media.worker_root}, ("cpu",), 2
    )
    yield worker
    worker.stop()
    assert ffmpeg_processes(worker.scratch) == []


def fetch(url: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def settled(queue: TranscodeQueue, job_id: str, timeout: float = 15) -> JobState:
    wait_for(
        lambda: (beat := queue.heartbeat(job_id)) is not None and beat.state is not JobState.RUNNING, timeout
    )
    beat = queue.heartbeat(job_id)
    assert beat is not None
    return beat.state


def test_a_jobs_segments_are_served_only_with_its_token(
    cpu_worker: WorkerProcess, queue: TranscodeQueue, media: Media
) -> None:
    sent = job(media.relative(NAME))
    queue.submit(sent, Capability.CPU)
    assert settled(queue, sent.job_id) is JobState.FINISHED
    beat = queue.heartbeat(sent.job_id)
    assert beat is not None and beat.url == cpu_worker.url
    base = f"{beat.url}/jobs/{sent.job_id}"
    status, playlist = fetch(f"{base}/ffmpeg.m3u8", sent.token)
    assert status == 200 and b"seg0.ts" in playlist and b"#EXT-X-ENDLIST" in playlist
    status, segment = fetch(f"{base}/seg0.ts", sent.token)
    assert status == 200 and segment[:1] == b"\x47" and len(segment) > 10_000  # MPEG-TS sync byte
    refused = [
        fetch(f"{base}/seg0.ts", job_token(KEY, "another job")),  # another job's token
        fetch(f"{base}/seg0.ts", None),
        fetch(f"{beat.url}/jobs/{secrets.token_urlsafe(16)}/seg0.ts", sent.token),  # unknown job
        fetch(f"{base}/ffmpeg.log", sent.token),  # in the job's folder, but not a segment
        fetch(f"{base}/seg99.ts", sent.token),
        fetch(f"{base}/", sent.token),
        fetch(f"{beat.url}/jobs/{sent.job_id}/..%2fffmpeg.log", sent.token),
    ]
    assert {status for status, _ in refused} == {404}
    assert len({body for status, body in refused[:4]}) == 1, "every refusal of a job's file reads alike"


def test_paths_out_of_the_library_root_are_refused(
    cpu_worker: WorkerProcess, queue: TranscodeQueue, media: Media
) -> None:
    # Sent raw, as a hostile or buggy sender might: the worker checks the job itself, not trusting the sender.
    for path in ("../private.mkv", "Drama/../../private.mkv", str(media.outside), "Drama//long.mkv"):
        body = job(media.relative(NAME)).model_dump()
        body["relative_path"] = path
        queue.send_raw(body, Capability.CPU, 5)
        assert settled(queue, body["job_id"]) is JobState.REFUSED
        beat = queue.heartbeat(body["job_id"])
        assert beat is not None and "relative_path" in beat.detail
    # Lexically fine, but a symlink inside the root that leads out of it: refused by where the descriptor points.
    escape = job(media.relative("escape.mkv"))
    queue.submit(escape, Capability.CPU)
    assert settled(queue, escape.job_id) is JobState.REFUSED
    beat = queue.heartbeat(escape.job_id)
    assert beat is not None and "not inside the library" in beat.detail
    assert not (cpu_worker.scratch / "jobs" / escape.job_id).exists()
    assert ffmpeg_processes(media.outside) == []
    # A root folder of the library this worker does not mount (it names one): refused, and says why.
    elsewhere = job(media.relative(NAME), root_index=1)
    queue.submit(elsewhere, Capability.CPU)
    assert settled(queue, elsewhere.job_id) is JobState.REFUSED
    beat = queue.heartbeat(elsewhere.job_id)
    assert beat is not None and "does not mount that library folder" in beat.detail


def test_a_cancel_ends_ffmpeg_within_two_seconds(
    broker: RedisServer, cpu_worker: WorkerProcess, queue: TranscodeQueue, media: Media
) -> None:
    sent = job(media.relative("long.mkv"), long=True)
    queue.submit(sent, Capability.CPU)
    folder = cpu_worker.scratch / "jobs" / sent.job_id
    wait_for(lambda: ffmpeg_processes(folder), 10)
    beat = queue.heartbeat(sent.job_id)
    assert beat is not None and beat.state is JobState.RUNNING
    # The heartbeat lapses in 9 s unless the worker refreshes it, which it does every 3 s.
    keys = redis.Redis.from_url(broker.url)
    try:
        assert 0 < keys.ttl(heartbeat_key(sent.job_id)) <= 9
        time.sleep(3.5)
        assert keys.ttl(heartbeat_key(sent.job_id)) > 6
    finally:
        keys.close()
    queue.cancel(sent.job_id)
    assert wait_for(lambda: not ffmpeg_processes(folder), 2.0) < 2.0
    wait_for(lambda: not folder.exists() and queue.heartbeat(sent.job_id) is None, 2.0)


def test_a_killed_worker_leaves_no_ffmpeg(
    broker: RedisServer, queue: TranscodeQueue, media: Media, tmp_path: Path
) -> None:
    worker = WorkerProcess(tmp_path / "gpu", broker.url, {LIBRARY: media.worker_root}, ("gpu",), 1, GPU_KEYS)
    try:
        sent = job(media.relative("long.mkv"), long=True)
        queue.submit(sent, Capability.GPU)
        wait_for(lambda: ffmpeg_processes(worker.scratch), 10)
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait()
        # Nothing of the worker ran after SIGKILL: only the kernel's parent-death signal can end its ffmpeg.
        wait_for(lambda: not ffmpeg_processes(worker.scratch), 2.0)
    finally:
        worker.stop()


def test_a_job_runs_once_and_a_stopped_worker_ends_it_at_once(
    broker: RedisServer, cpu_worker: WorkerProcess, queue: TranscodeQueue, media: Media, tmp_path: Path
) -> None:
    # On the gpu queue, which the module's cpu worker does not consume.
    worker = WorkerProcess(tmp_path / "gpu", broker.url, {LIBRARY: media.worker_root}, ("gpu",), 1, GPU_KEYS)
    try:
        sent = job(media.relative("long.mkv"), long=True)
        queue.submit(sent, Capability.GPU)
        wait_for(lambda: ffmpeg_processes(worker.scratch), 10)
        # The same job delivered again, to another worker: it was claimed, so it is dropped there.
        queue.submit(sent, Capability.CPU)
        wait_for(lambda: f"job {sent.job_id} was already taken" in cpu_worker.err.read_text(), 5)
        assert ffmpeg_processes(cpu_worker.scratch / "jobs" / sent.job_id) == []
        started = time.monotonic()
        worker.process.send_signal(signal.SIGTERM)
        # Celery's warm shutdown would wait for the encode to finish the film; the worker ends it instead.
        assert worker.process.wait(timeout=5) == 0
        assert time.monotonic() - started < 3
        assert ffmpeg_processes(worker.scratch) == [] and queue.heartbeat(sent.job_id) is None
    finally:
        worker.stop()


def test_a_job_not_started_in_time_is_never_run(
    broker: RedisServer, queue: TranscodeQueue, media: Media, tmp_path: Path
) -> None:
    late = job(media.relative(NAME))
    queue.submit(late, Capability.GPU, expires_seconds=1.0)
    time.sleep(1.5)  # no GPU worker was there to take it
    worker = WorkerProcess(tmp_path / "gpu", broker.url, {LIBRARY: media.worker_root}, ("gpu",), 1, GPU_KEYS)
    try:
        # Sent after the late one on the same queue, so once it is done the late one was seen and dropped.
        after = job(media.relative(NAME))
        queue.submit(after, Capability.GPU)
        assert settled(queue, after.job_id) is JobState.FINISHED
        assert queue.heartbeat(late.job_id) is None
        assert not (worker.scratch / "jobs" / late.job_id).exists()
    finally:
        worker.stop()


def test_a_job_is_a_checked_structure_not_a_command_line(media: Media) -> None:
    good = job(media.relative(NAME)).model_dump()
    for field, value in [
        ("relative_path", "../x.mkv"),
        ("relative_path", "/etc/passwd"),
        ("relative_path", "a/./b.mkv"),
        ("video_codec", "libx264 -vf drawtext"),
        ("audio_codec", "opus"),
        ("height", 1000),
        ("audio_kbps", 100),
        ("segment_seconds", 5),
        ("start_segment", "3"),  # strict: a string is not a number here
        ("library_id", "../etc"),
        ("job_id", "a" * 16 + "\n"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            TranscodeJob.parse({**good, field: value})
        assert field in refused.value.fields, (field, value)
    with pytest.raises(InvalidInput):
        TranscodeJob.parse({**good, "argv": ["ffmpeg", "-i", "x"]})


def test_the_worker_config_needs_real_library_folders(tmp_path: Path) -> None:
    config = tmp_path / "worker.toml"
    config.write_text(
        f'broker_url = "redis://127.0.0.1:1/0"\nscratch_dir = "{tmp_path / "s"}"\n'
        f'[libraries]\n{LIBRARY} = "{tmp_path / "missing"}"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="not a folder"):
        load_worker_config(config)
    # A library with several root folders: one mount per root, in the library's order.
    first, second = tmp_path / "b", tmp_path / "a"
    first.mkdir()
    second.mkdir()
    config.write_text(
        f'broker_url = "redis://127.0.0.1:1/0"\nscratch_dir = "{tmp_path / "s"}"\n'
        f'[libraries]\n{LIBRARY} = ["{first}", "{second}"]\n',
        encoding="utf-8",
    )
    assert load_worker_config(config).libraries[LIBRARY] == (str(first), str(second))
    with pytest.raises(ConfigError, match="unknown key"):
        config.write_text('brokr_url = "redis://x"\n', encoding="utf-8")
        load_worker_config(config)


def test_a_bad_worker_config_is_one_error_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "reelhouse.cli.main", "worker"),
            *("--broker", "redis://127.0.0.1:1/0", "--scratch", str(tmp_path / "scratch")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert (
        done.stderr.startswith("error: the worker's config names no library")
        and "Traceback" not in done.stderr
    )
    assert not (tmp_path / "scratch").exists()


def test_the_scaling_doc_describes_every_worker_key_and_route() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "scaling.md").read_text(encoding="utf-8")
    keys = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.MULTILINE))
    routes = set(re.findall(r"^\| `(GET|POST|PUT|DELETE) (/\S*)` \|", text, re.MULTILINE))
    assert keys == set(WORKER_KEYS)
    assert routes == {(route.method, route.path) for route in WORKER_ROUTES}


def test_the_single_machine_default_never_imports_celery() -> None:
    probe = (
        "import sys, reelhouse.cli.main, reelhouse.app; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'celery', 'kombu', 'redis'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
