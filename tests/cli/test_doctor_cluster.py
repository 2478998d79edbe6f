"""`reelhouse doctor` in a scaled-out installation: the database, the web nodes, the broker and the workers,
each an OK or FAIL line, and exit 1 when a configured part does not answer (issue #19, docs/scaling.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.domain.ids import new_id
from tests.harness import RunningServer
from tests.workers.worker_kit import RedisServer, WorkerProcess, free_port

pytestmark = pytest.mark.cluster


def _doctor(data_dir: Path, **config: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELHOUSE_")}
    env.update({f"REELHOUSE_{key.upper()}": value for key, value in config.items()})
    env.update(
        {"REELHOUSE_DEMO_LIBRARY": "false", "XDG_CONFIG_HOME": str(data_dir / "xdg"), "COLUMNS": "300"}
    )
    return subprocess.run(
        [sys.executable, "-m", "reelhouse.cli.main", "doctor", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _lines(result: subprocess.CompletedProcess[str], part: str) -> list[str]:
    """The OK, WARN and FAIL lines about ``part`` (the table above them names some parts too)."""
    return [
        line
        for line in result.stdout.splitlines()
        if line.split()[:1] in (["OK"], ["WARN"], ["FAIL"]) and line.split()[1:2] == [part]
    ]


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        yield server
    finally:
        server.stop()


def test_a_reachable_cluster_lists_its_node_and_workers_with_their_queues_and_slots(
    tmp_path: Path, postgres_url: str, redis_server: RedisServer
) -> None:
    node = RunningServer(tmp_path / "node", database_url=postgres_url, cluster=True)
    try:
        assert node.server.cluster is not None
        assert node.server.cluster.listener.listening.wait(5)
        settings = {"database_url": postgres_url, "cluster": "on", "transcode_broker_url": redis_server.url}
        node.server.services.settings.apply(system_actor("test"), {"transcode_gpu": "require"})

        # A broker that answers but no worker behind it: nothing could encode, which is a failure.
        alone = _doctor(tmp_path / "doctor", **settings)
        assert alone.returncode == 1, alone.stdout + alone.stderr
        assert _lines(alone, "broker")[0].startswith("OK ")
        assert _lines(alone, "workers")[0].startswith("FAIL ")
        assert _lines(alone, "gpu")[0].startswith("FAIL ")

        library = tmp_path / "media"
        library.mkdir()
        # A worker that takes gpu jobs names its hardware encoder; doctor lists its queues, not the encoder.
        gpu = 'gpu_encoder = "h264_nvenc"\n'
        worker = WorkerProcess(tmp_path / "w", redis_server.url, {new_id(): library}, ("gpu", "cpu"), 2, gpu)
        try:
            result = _doctor(tmp_path / "doctor", **settings)
        finally:
            worker.stop()
    finally:
        node.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    assert _lines(result, "database")[0].startswith("OK ") and "PostgreSQL" in result.stdout
    assert "integrity" in result.stdout  # the single server's checks still run before the cluster's
    nodes = _lines(result, "node")
    assert len(nodes) == 1 and f"{node.server.cluster.node} (this machine) from " in nodes[0]
    assert _lines(result, "broker")[0].startswith("OK ")
    workers = _lines(result, "worker")
    assert len(workers) == 1
    assert workers[0].startswith("OK ") and workers[0].endswith(": gpu, cpu; 2 slots")
    assert _lines(result, "gpu") == ["OK    gpu       transcode_gpu is require; 1 live worker takes gpu jobs"]


def test_a_gpu_policy_no_live_worker_meets_is_a_warning_under_prefer_and_a_fail_under_require(
    tmp_path: Path, postgres_url: str, redis_server: RedisServer
) -> None:
    node = RunningServer(tmp_path / "node", database_url=postgres_url)
    library = tmp_path / "media"
    library.mkdir()
    settings = {"database_url": postgres_url, "transcode_broker_url": redis_server.url}
    said = {}
    # Only a CPU worker: under prefer every playback waits out the GPU grace first; under require none plays.
    worker = WorkerProcess(tmp_path / "w", redis_server.url, {new_id(): library}, ("cpu",), 1)
    try:
        for policy in ("prefer", "require"):
            node.server.services.settings.apply(system_actor("test"), {"transcode_gpu": policy})
            said[policy] = _doctor(tmp_path / "doctor", **settings)
    finally:
        worker.stop()
        node.stop()
    prefer, require = said["prefer"], said["require"]
    assert prefer.returncode == 0, prefer.stdout + prefer.stderr
    (warning,) = _lines(prefer, "gpu")
    assert warning.startswith("WARN ") and "waits about 3.5 s" in warning and "falls back to CPU" in warning
    assert require.returncode == 1, require.stdout + require.stderr
    (failure,) = _lines(require, "gpu")
    assert failure.startswith("FAIL ") and "every transcoded playback is refused (503)" in failure
    assert [line.split()[0] for line in _lines(require, "worker")] == ["OK"]


def test_a_broker_that_does_not_answer_is_a_fail_line_and_exit_1(tmp_path: Path, postgres_url: str) -> None:
    broker = f"redis://127.0.0.1:{free_port()}/0"
    result = _doctor(
        tmp_path / "doctor", database_url=postgres_url, cluster="on", transcode_broker_url=broker
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert _lines(result, "database")[0].startswith("OK ")
    # No node runs, which is a finding, not a failure: the doctor may run while the servers are stopped.
    assert _lines(result, "nodes")[0].startswith("OK ")
    (line,) = _lines(result, "broker")
    assert line.startswith("FAIL ") and f"{broker} does not answer" in line
    assert not _lines(result, "worker") and not _lines(result, "workers")


def test_a_database_that_does_not_answer_is_a_fail_line_and_exit_1_without_its_password(
    tmp_path: Path,
) -> None:
    url = f"postgresql://reelhouse:s3cret@127.0.0.1:{free_port()}/reelhouse"
    result = _doctor(tmp_path / "doctor", database_url=url, cluster="on")
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = _lines(result, "database")
    assert line.startswith("FAIL ") and "reelhouse:***@127.0.0.1" in line and "does not answer" in line
    assert "s3cret" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
