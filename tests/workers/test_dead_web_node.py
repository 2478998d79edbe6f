"""A web node that dies mid-session cancels nothing: its job on the worker must end on its own (issue #19). The
worker ends a running job that no web node has fetched from for `idle_seconds`, killing its ffmpeg."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from reelhouse.domain.access import system_actor
from tests.harness import Client, RunningServer
from tests.playback import media
from tests.playback.test_hls import Hls
from tests.workers.worker_kit import RedisServer, WorkerProcess, ffmpeg_processes, free_port, wait_for

IDLE_SECONDS = 2


def _web_node(data_dir: Path, broker_url: str, port: int) -> subprocess.Popen[bytes]:
    """`reelhouse serve` in a process of its own, so it can die as a machine does: SIGKILL, no cleanup."""
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(data_dir / "no-config"),
        "REELHOUSE_DATA_DIR": str(data_dir),
        "REELHOUSE_DATABASE_URL": "",
        "REELHOUSE_TRANSCODE_BROKER_URL": broker_url,
        "REELHOUSE_DEMO_LIBRARY": "false",
        "REELHOUSE_SCAN_ON_START": "false",
        "REELHOUSE_WATCH_LIBRARIES": "false",
        "REELHOUSE_PEER_PORT": "off",
    }
    argv = [sys.executable, "-m", "reelhouse.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with open(data_dir / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [*argv, "--https-port", "off"], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            if Client(port).get("/api/me").status == 401:
                return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError((data_dir / "serve.log").read_text(errors="replace")[-2000:])
        time.sleep(0.1)


def test_a_dead_web_nodes_job_ends_on_the_worker_with_no_ffmpeg_left(tmp_path: Path) -> None:
    short = media.hevc_ac3_mkv(tmp_path / "short.mkv", seconds=24, size="160x120")
    film = tmp_path / "srv" / "Film" / "film.mkv"
    film.parent.mkdir(parents=True)
    # Ten minutes by stream copy (no encode): far more than the worker can encode before the test ends.
    subprocess.run(
        [media.FFMPEG, "-v", "error", "-stream_loop", "24", "-i", str(short), "-c", "copy", str(film)],
        check=True,
        timeout=60,
    )
    mount = tmp_path / "mnt" / "films"
    (mount / "Film").mkdir(parents=True)
    os.link(film, mount / "Film" / "film.mkv")
    data = tmp_path / "data"
    broker = RedisServer()
    web: subprocess.Popen[bytes] | None = None
    worker: WorkerProcess | None = None
    try:
        # The library and the owner are made by a server in this process, which then stops cleanly.
        setup = RunningServer(data, database_url="", transcode_broker_url=broker.url)
        try:
            services = setup.server.services
            library = services.libraries.add(
                system_actor("test"), "Movies", "movies", [str(tmp_path / "srv")]
            )
            setup.server.scanner.scan(library)
            (row,) = services.catalogue.search(system_actor("test"), "film")
            setup.owner()
        finally:
            setup.stop()
        worker = WorkerProcess(
            tmp_path / "worker",
            broker.url,
            {library.id: mount},
            ("cpu",),
            1,
            extra=f"idle_seconds = {IDLE_SECONDS}\n",
        )
        port = free_port()
        web = _web_node(data, broker.url, port)
        login = Client(port).post(
            "/api/auth/login", {"username": "owner", "password": "correct horse battery"}
        )
        assert login.status == 200, login.body
        answer = Client(port, token=login.json()["token"]).post(f"/api/items/{row.id}/playback", {})
        assert answer.status == 200, answer.body
        hls = Hls(Client(port), answer.json()["url"])
        hls.segment(0)
        (encoding,) = ffmpeg_processes(worker.scratch)

        web.kill()
        web.wait()
        died = time.monotonic()
        # Frozen, so it cannot reach the end of the file on its own: only the worker's idle rule can end it.
        os.kill(encoding, signal.SIGSTOP)
        keys = redis.Redis.from_url(broker.url)
        try:
            assert len(list(keys.scan_iter("reelhouse:job:*:heartbeat"))) == 1
            wait_for(
                lambda: (
                    ffmpeg_processes(worker.scratch) == []
                    and not list((worker.scratch / "jobs").iterdir())
                    and not list(keys.scan_iter("reelhouse:job:*:heartbeat"))
                ),
                IDLE_SECONDS + 2.0,
            )
        finally:
            keys.close()
        assert time.monotonic() - died < IDLE_SECONDS + 2.0
    finally:
        if web is not None and web.poll() is None:
            web.kill()
            web.wait()
        if worker is not None:
            worker.stop()
        broker.stop()
