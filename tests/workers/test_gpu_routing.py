"""Jobs routed by capability (issue #19, item 3): the setting transcode_gpu sends a web node's HLS jobs to the
`gpu` queue, whose workers encode with a hardware encoder from their config, and decides what happens when no
GPU worker can encode: `prefer` falls back to CPU workers and says so where admins see sessions, `require` is a
503 that says why. A real server, a real redis-server and real `reelhouse worker` processes; this machine has
no GPU, so a GPU worker's encoder fails to open its device, which is one of the failures the policy covers."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from reelhouse.domain.access import system_actor
from reelhouse.errors import ConfigError, InvalidInput
from reelhouse.media import ffmpeg, hw_encode
from reelhouse.services.remote_encoder import GPU_START_GRACE_SECONDS
from reelhouse.services.worker_config import load_worker_config
from tests.harness import RunningServer
from tests.playback import media
from tests.playback.test_hls import Hls, ffmpeg_children
from tests.workers.worker_kit import RedisServer, WorkerProcess, live_jobs, wait_for

# No such device on this machine (nor on CI): ffmpeg fails to open it, as it would with a missing driver.
MISSING_DEVICE = "/dev/dri/renderD128"
VAAPI_WORKER = f'gpu_encoder = "h264_vaapi"\ngpu_device = "{MISSING_DEVICE}"\n'


@dataclass
class Node:
    server: RunningServer
    broker: RedisServer
    item_id: str
    library_id: str
    media: Path
    folder: Path
    gpu: WorkerProcess | None = None

    def policy(self, value: str) -> None:
        answer = self.server.owner().request("PATCH", "/api/settings", {"values": {"transcode_gpu": value}})
        assert answer.status == 200, answer.body

    @contextlib.contextmanager
    def playing(self) -> Iterator[tuple[Hls, str]]:
        """A new HLS session, ended however the test ends, so its job never outlives it into the next test."""
        answer = self.server.owner().post(f"/api/items/{self.item_id}/playback", {})
        assert answer.status == 200, answer.body
        assert answer.json()["method"] == "transcode"
        session_id = answer.json()["session_id"]
        try:
            yield Hls(self.server.anonymous(), answer.json()["url"]), session_id
        finally:
            assert self.server.owner().request("DELETE", f"/api/hls/{session_id}").status == 204

    def gpu_jobs_waiting(self) -> int:
        """Jobs sent to the gpu queue that no GPU worker has taken (Celery's list for the queue in Redis)."""
        keys = redis.Redis.from_url(self.broker.url)
        try:
            return int(keys.llen("reelhouse.gpu"))
        finally:
            keys.close()

    def drop(self, session_id: str) -> None:
        """The session's job ends behind the web node's back, as when its worker drops it: the next segment
        request sends it again."""
        (session,) = [s for s in self.server.server.services.media.encoders.active() if s.id == session_id]
        assert session.job is not None
        keys = redis.Redis.from_url(self.broker.url)
        try:
            keys.set(f"reelhouse:job:{session.job.job.job_id}:control", "cancel", ex=60)
        finally:
            keys.close()
        wait_for(lambda: self.jobs() == [], 3)

    def shown(self, session_id: str) -> dict[str, Any]:
        listed = self.server.owner().get("/api/transcodes").json()
        return dict(next(entry for entry in listed if entry["session_id"] == session_id))

    def jobs(self) -> list[str]:
        return live_jobs(self.broker.url)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    base = tmp_path_factory.mktemp("gpu-routing")
    media.hevc_ac3_mkv(base / "films" / "Film" / "film.mkv", seconds=9, size="160x120")
    broker = RedisServer()
    server = RunningServer(base / "data", transcode_broker_url=broker.url)
    node: Node | None = None
    try:
        services = server.server.services
        library = services.libraries.add(system_actor("test"), "Movies", "movies", [str(base / "films")])
        server.server.scanner.scan(library)
        (row,) = services.catalogue.search(system_actor("test"), "film")
        node = Node(server, broker, row.id, library.id, base / "films", base)
        yield node
    finally:
        if node is not None and node.gpu is not None:
            node.gpu.stop()
        server.stop()
        broker.stop()


@pytest.fixture(scope="module")
def cpu_worker(node: Node) -> Iterator[WorkerProcess]:
    process = WorkerProcess(node.folder / "cpu", node.broker.url, {node.library_id: node.media}, ("cpu",), 2)
    yield process
    process.stop()


@pytest.fixture
def gpu_worker(node: Node) -> WorkerProcess:
    """A worker that takes only `gpu` jobs, with VAAPI on a device this machine does not have; started once."""
    if node.gpu is None:
        node.gpu = WorkerProcess(
            node.folder / "gpu", node.broker.url, {node.library_id: node.media}, ("gpu",), 1, VAAPI_WORKER
        )
    return node.gpu


def named(worker: WorkerProcess) -> str:
    return f"reelhouse-worker-{worker.process.pid}@{socket.gethostname()}"


def test_prefer_without_a_gpu_worker_falls_back_to_cpu_and_says_so(
    node: Node, cpu_worker: WorkerProcess
) -> None:
    node.policy("prefer")
    waiting = node.gpu_jobs_waiting()
    with node.playing() as (hls, session_id):
        asked = time.monotonic()
        assert hls.segment(0)[:1] == b"G"  # an MPEG-TS packet's sync byte
        # The gpu job expired unstarted, then a CPU worker encoded the segment.
        assert time.monotonic() - asked > GPU_START_GRACE_SECONDS
        assert node.gpu_jobs_waiting() == waiting + 1
        shown = node.shown(session_id)
        assert shown["fallback"] == "fell back to CPU: no GPU worker took the job"
        assert (shown["queue"], shown["worker"]) == ("cpu", named(cpu_worker))
        # The session's next job (its worker dropped this one) goes straight to the cpu queue.
        node.drop(session_id)
        assert hls.segment(2)[:1] == b"G"
        assert node.gpu_jobs_waiting() == waiting + 1
        assert node.shown(session_id)["queue"] == "cpu"


def test_require_without_a_gpu_worker_is_a_503_and_nothing_is_encoded(
    node: Node, cpu_worker: WorkerProcess
) -> None:
    wait_for(lambda: node.jobs() == [], 5)
    node.policy("require")
    try:
        with node.playing() as (hls, session_id):
            refused = hls.client.get(f"{hls.base}/{hls.segments[0]}")
            assert refused.status == 503, refused.body
            assert refused.headers["Retry-After"] == "5"
            assert "no GPU worker took the job" in refused.json()["message"]
            assert "does not fall back to CPU workers" in refused.json()["message"]
            shown = node.shown(session_id)
            assert (shown["queue"], shown["fallback"], shown["worker"]) == ("gpu", None, None)
            # No worker started anything, and the web node encoded nothing itself.
            assert node.jobs() == []
            assert not list((cpu_worker.scratch / "jobs").iterdir())
            assert ffmpeg_children() == []
    finally:
        node.policy("off")


def test_a_gpu_worker_takes_the_job_and_its_failed_encoder_falls_back_to_cpu(
    node: Node, cpu_worker: WorkerProcess, gpu_worker: WorkerProcess
) -> None:
    wait_for(lambda: node.jobs() == [], 5)
    node.policy("prefer")
    with node.playing() as (hls, session_id):
        assert hls.segment(0)[:1] == b"G"
        shown = node.shown(session_id)
        reason = shown["fallback"]
        # The GPU worker took the job (its heartbeat names it) and said why its encoder did not start.
        assert reason.startswith(
            f"fell back to CPU: the GPU encoder h264_vaapi did not start on {named(gpu_worker)}: "
        )
        assert MISSING_DEVICE in reason
        assert (shown["queue"], shown["worker"]) == ("cpu", named(cpu_worker))
        assert hls.segment(1)[:1] == b"G"
    # The failed job was cancelled: the GPU worker keeps nothing of it.
    wait_for(lambda: node.jobs() == [] and not list((gpu_worker.scratch / "jobs").iterdir()), 3)


def test_require_with_a_failing_gpu_encoder_is_a_503_saying_so_without_naming_the_worker(
    node: Node, cpu_worker: WorkerProcess, gpu_worker: WorkerProcess
) -> None:
    wait_for(lambda: node.jobs() == [], 5)
    node.policy("require")
    try:
        with node.playing() as (hls, session_id):
            refused = hls.client.get(f"{hls.base}/{hls.segments[0]}")
            assert refused.status == 503, refused.body
            said = refused.json()["message"]
            assert "(the GPU encoder failed to start)" in said and "does not fall back to CPU workers" in said
            # What failed where is for admins (the log, GET /api/transcodes): a player never learns of workers.
            assert "reelhouse-worker" not in said and MISSING_DEVICE not in said
            assert not list((cpu_worker.scratch / "jobs").iterdir())
            assert node.shown(session_id)["fallback"] is None
    finally:
        node.policy("off")


def test_an_invalid_gpu_encoder_stops_the_worker_at_start(tmp_path: Path) -> None:
    (tmp_path / "films").mkdir()
    config = tmp_path / "worker.toml"
    config.write_text(
        f'broker_url = "redis://127.0.0.1:9/0"\nscratch_dir = "{tmp_path / "scratch"}"\nqueues = ["gpu"]\n'
        f'gpu_encoder = "libx264 -y"\n[libraries]\nkq3yVn0c1mXbQ2sJz8a4Lw = "{tmp_path / "films"}"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "reelhouse.cli.main", "worker", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    said = " ".join(done.stderr.split())  # the terminal's line breaks
    assert said.startswith(
        "error: gpu_encoder must be one of h264_vaapi, h264_qsv, h264_nvenc, got 'libx264 -y'"
    )
    assert not (tmp_path / "scratch").exists()


@pytest.mark.parametrize(
    ("keys", "complaint"),
    [
        ({"queues": ["gpu"]}, "'queues' names gpu, so the worker needs 'gpu_encoder'"),
        ({"gpu_encoder": "h264_vaapi", "gpu_device": "/etc/passwd"}, "must be a DRM node"),
        ({"gpu_encoder": "h264_nvenc", "gpu_device": "/dev/dri/renderD128"}, "must be a GPU index"),
        ({"gpu_device": "/dev/dri/renderD128"}, "'gpu_device' is set without 'gpu_encoder'"),
    ],
)
def test_gpu_keys_are_checked(tmp_path: Path, keys: dict[str, Any], complaint: str) -> None:
    base = {"broker_url": "redis://127.0.0.1:9/0", "scratch_dir": str(tmp_path / "scratch")}
    config = tmp_path / "worker.toml"
    config.write_text(f'[libraries]\nkq3yVn0c1mXbQ2sJz8a4Lw = "{tmp_path}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=complaint):
        load_worker_config(config, {**base, **keys})


def test_each_hardware_encoder_replaces_libx264_in_the_one_builder(tmp_path: Path) -> None:
    def argv(hardware: hw_encode.Hardware | None) -> list[str]:
        job = ffmpeg.HlsJob(
            ffmpeg.Input(3), tmp_path, 0, 3, 1, "aac", 128, 0, "h264", 360, 1000, None, hardware
        )
        return ffmpeg.hls_argv(job)

    assert "libx264" in argv(None)
    vaapi = argv(hw_encode.hardware("h264_vaapi", "/dev/dri/renderD129"))
    assert vaapi[vaapi.index("-vaapi_device") + 1] == "/dev/dri/renderD129"
    assert vaapi.index("-vaapi_device") < vaapi.index("-i")
    assert vaapi[vaapi.index("-vf") + 1] == "scale=-2:360,format=nv12,hwupload"
    assert vaapi[vaapi.index("-c:v") + 1] == "h264_vaapi" and "libx264" not in vaapi
    qsv = argv(hw_encode.hardware("h264_qsv", ""))
    assert "qsv=qs:hw,child_device=/dev/dri/renderD128" in qsv and "h264_qsv" in qsv
    nvenc = argv(hw_encode.hardware("h264_nvenc", "1"))
    assert nvenc[nvenc.index("-c:v") + 1 : nvenc.index("-c:v") + 4] == ["h264_nvenc", "-gpu", "1"]
    # A copied video needs no encoder, so no device is opened for it.
    copied = ffmpeg.HlsJob(ffmpeg.Input(3), tmp_path, 0, 3, 1, "aac", 128, 0, None, hardware=vaapi_hw())
    assert "-vaapi_device" not in ffmpeg.hls_argv(copied)
    with pytest.raises(InvalidInput):
        hw_encode.hardware("h264_vaapi -vf evil", MISSING_DEVICE)


def vaapi_hw() -> hw_encode.Hardware:
    return hw_encode.hardware("h264_vaapi", MISSING_DEVICE)
