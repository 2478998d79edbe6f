"""A web node that sends its HLS encodes to transcode workers (issue #19, item 3, the web node's side): a real
server with `transcode_broker_url` set, a real redis-server and real `reelhouse worker` processes that see the
library under other paths than the server does. Every playlist and segment still comes from the web node."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from reelhouse.config import load_config
from reelhouse.domain.access import system_actor
from reelhouse.errors import ConfigError
from reelhouse.services.hls_session import SEGMENT_SECONDS, Session
from tests.harness import Client, RunningServer
from tests.playback import media
from tests.playback.test_hls import Hls, ffmpeg_children
from tests.workers.worker_kit import (
    RedisServer,
    WorkerProcess,
    ffmpeg_processes,
    free_port,
    live_jobs,
    wait_for,
)

FFPROBE = media.FFMPEG.replace("ffmpeg", "ffprobe")


@dataclass
class Node:
    server: RunningServer
    broker: RedisServer
    item_id: str
    library_id: str
    mounts: list[Path]
    folder: Path

    def sessions(self) -> list[Session]:
        return list(self.server.server.services.media.encoders.active())

    def worker(self, name: str) -> WorkerProcess:
        # The film is in the library's second folder: the job must say which root, and the worker mounts both.
        return WorkerProcess(self.folder / name, self.broker.url, {self.library_id: self.mounts}, ("cpu",), 2)

    def jobs(self) -> list[str]:
        return live_jobs(self.broker.url)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    base = tmp_path_factory.mktemp("web-node")
    film = base / "srv" / "second" / "Film" / "film.mkv"
    media.hevc_ac3_mkv(film, seconds=24, size="160x120")
    (base / "srv" / "first").mkdir()
    # The worker's machine mounts the same files elsewhere (hard links: the same inode, another path).
    mounts = [base / "mnt" / "one", base / "mnt" / "nas" / "films"]
    (mounts[1] / "Film").mkdir(parents=True)
    mounts[0].mkdir(parents=True)
    os.link(film, mounts[1] / "Film" / "film.mkv")
    broker = RedisServer()
    server = RunningServer(base / "data", transcode_broker_url=broker.url)
    try:
        services = server.server.services
        roots = [str(base / "srv" / "first"), str(base / "srv" / "second")]
        library = services.libraries.add(system_actor("test"), "Movies", "movies", roots)
        server.server.scanner.scan(library)
        (row,) = services.catalogue.search(system_actor("test"), "film")
        node = Node(server, broker, row.id, library.id, mounts, base)
        yield node
        # A test may have restarted Redis: the one running now is the one to stop.
        broker = node.broker
    finally:
        server.stop()
        broker.stop()


@pytest.fixture(scope="module")
def worker(node: Node) -> Iterator[WorkerProcess]:
    process = node.worker("worker-1")
    yield process
    process.stop()


def start(node: Node, who: Client) -> tuple[Hls, str]:
    answer = who.post(f"/api/items/{node.item_id}/playback", {})
    assert answer.status == 200, answer.body
    assert answer.json()["method"] == "transcode"
    return Hls(node.server.anonymous(), answer.json()["url"]), answer.json()["session_id"]


def timing(data: bytes, folder: Path) -> tuple[float, float]:
    """A segment's first timestamp and its length, as ffprobe reads them."""
    path = folder / "segment.ts"
    path.write_bytes(data)
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    found = json.loads(out)["format"]
    return float(found["start_time"]), float(found["duration"])


def session_of(node: Node, session_id: str) -> Session:
    return next(s for s in node.sessions() if s.id == session_id)


def test_playback_through_a_worker_is_continuous_and_served_by_the_web_node_only(
    node: Node, worker: WorkerProcess, tmp_path: Path
) -> None:
    owner = node.server.owner()
    hls, session_id = start(node, owner)
    spans = [timing(hls.segment(n), tmp_path) for n in range(3)]
    for (start_a, length_a), (start_b, _) in itertools.pairwise(spans):
        assert abs(start_a + length_a - start_b) < 0.1, spans
    assert abs(spans[1][0] - spans[0][0] - SEGMENT_SECONDS) < 0.1
    # The worker encoded it; the web node ran no ffmpeg of its own.
    assert ffmpeg_children() == []
    assert session_of(node, session_id).worker == worker_named(worker)
    shown = node.server.owner().get("/api/transcodes").json()
    assert shown == [
        {
            "session_id": session_id,
            "encoder": "worker",
            "worker": worker_named(worker),
            "start_segment": 0,
            "holds_slot": True,
            "queue": "cpu",
            "fallback": None,
            # What the encoder makes, from the session's plan: the same whether a worker or this node encodes.
            "profile": {"video": "h264", "height": 240, "video_kbps": 400, "audio": "aac", "audio_kbps": 160},
        }
    ]
    # Another viewer's grant does not open this session's segments, whichever machine encoded them.
    node.server.create_user("alice")
    alice = node.server.sign_in("alice")
    theirs, their_session = start(node, alice)
    stolen = hls.segments[0].split("?")[0] + "?grant=" + theirs.segments[0].split("grant=")[1]
    assert node.server.anonymous().get(f"{hls.base}/{stolen}").status == 401
    assert alice.get("/api/transcodes").status == 403
    assert owner.request("DELETE", f"/api/hls/{session_id}").status == 204
    assert alice.request("DELETE", f"/api/hls/{their_session}").status == 204


def test_a_seek_leaves_exactly_one_job_and_ending_the_session_cancels_it(
    node: Node, worker: WorkerProcess, tmp_path: Path
) -> None:
    wait_for(lambda: node.jobs() == [], 5)
    owner = node.server.owner()
    hls, session_id = start(node, owner)
    start_6, _ = timing(hls.segment(6), tmp_path)
    (first,) = node.jobs()
    # Back before where the job started: a new job from there, and the first one cancelled, not left running.
    start_1, length_1 = timing(hls.segment(1), tmp_path)
    start_2, _ = timing(hls.segment(2), tmp_path)
    assert abs(start_6 - start_1 - 5 * SEGMENT_SECONDS) < 0.2
    assert abs(start_1 + length_1 - start_2) < 0.1
    wait_for(lambda: len(node.jobs()) == 1 and node.jobs() != [first], 3)
    wait_for(lambda: len(list((worker.scratch / "jobs").iterdir())) == 1, 3)
    assert owner.request("DELETE", f"/api/hls/{session_id}").status == 204
    wait_for(lambda: node.jobs() == [] and not list((worker.scratch / "jobs").iterdir()), 2)
    assert ffmpeg_processes(worker.scratch) == []


def test_a_revoked_viewers_job_is_cancelled(node: Node, worker: WorkerProcess) -> None:
    wait_for(lambda: node.jobs() == [], 5)
    node.server.create_user("bob")
    hls, _ = start(node, node.server.sign_in("bob"))
    hls.segment(0)
    assert len(node.jobs()) == 1
    bob = next(u["id"] for u in node.server.server.services.accounts.list_users() if u["username"] == "bob")
    answer = node.server.owner().request("PATCH", f"/api/users/{bob}", {"disabled": True})
    assert answer.status == 200, answer.body
    wait_for(lambda: node.jobs() == [] and not list((worker.scratch / "jobs").iterdir()), 2)


def test_an_idle_session_ends_its_job_within_5_seconds(node: Node, worker: WorkerProcess) -> None:
    wait_for(lambda: node.jobs() == [], 5)
    encoders = node.server.server.services.media.encoders
    encoders.idle_seconds = 1.0
    try:
        hls, _ = start(node, node.server.owner())
        hls.segment(0)
        assert len(node.jobs()) == 1
        # Nobody polls any more: the reaper ends the session, and with it the job on the worker.
        wait_for(lambda: node.jobs() == [] and not list((worker.scratch / "jobs").iterdir()), 5)
        assert node.sessions() == []
    finally:
        encoders.idle_seconds = 60.0


def test_a_job_whose_heartbeat_is_gone_starts_again_at_the_asked_segment(
    node: Node, worker: WorkerProcess, tmp_path: Path
) -> None:
    wait_for(lambda: node.jobs() == [], 5)
    owner = node.server.owner()
    hls, session_id = start(node, owner)
    start_0, _ = timing(hls.segment(0), tmp_path)
    (first,) = node.jobs()
    # The worker drops the job behind the web node's back (its heartbeat and segments go; the listener stays).
    keys = redis.Redis.from_url(node.broker.url)
    try:
        keys.set(first.replace(":heartbeat", ":control"), "cancel", ex=60)
    finally:
        keys.close()
    wait_for(lambda: node.jobs() == [], 3)
    asked = time.monotonic()
    start_4, _ = timing(hls.segment(4), tmp_path)
    assert time.monotonic() - asked < 4
    assert abs(start_4 - start_0 - 4 * SEGMENT_SECONDS) < 0.2
    (second,) = node.jobs()
    assert second != first
    assert owner.request("DELETE", f"/api/hls/{session_id}").status == 204


def test_a_redis_restart_mid_session_recovers(node: Node, worker: WorkerProcess, tmp_path: Path) -> None:
    wait_for(lambda: node.jobs() == [], 5)
    owner = node.server.owner()
    hls, session_id = start(node, owner)
    got: dict[int, bytes] = {}
    fetched: dict[int, float] = {}
    failures: list[str] = []

    def player() -> None:
        # In order, as fast as the segments come; any answer but 200 (a 503 too) is playback interrupted.
        for n in range(len(hls.segments)):
            answer = hls.client.get(f"{hls.base}/{hls.segments[n]}")
            if answer.status != 200:
                failures.append(f"segment {n}: {answer.status} {answer.body[:200]!r}")
                return
            got[n], fetched[n] = answer.body, time.monotonic()

    playing = threading.Thread(target=player)
    playing.start()
    frozen: list[int] = []
    try:
        # The job's ffmpeg is held still at once, so the player is waiting for a segment not yet made (and the
        # web node reading the job's heartbeat meanwhile) when redis-server goes away.
        wait_for(lambda: bool(ffmpeg_processes(worker.scratch)), 10, step=0.005)
        frozen = ffmpeg_processes(worker.scratch)
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        (folder,) = (worker.scratch / "jobs").iterdir()
        assert len(list(folder.glob("seg*.ts"))) < len(hls.segments) - 1
        # The web node has read the job's heartbeat, so it knows which worker to fetch from.
        wait_for(lambda: session_of(node, session_id).worker == worker_named(worker), 5)
        node.broker.process.kill()
        node.broker.process.wait()
        time.sleep(1.2)
        # Still down: the encode goes on, and the player with it.
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
        resumed = time.monotonic()
        time.sleep(1.5)
        node.broker.stop()
        node.broker = RedisServer(port=node.broker.port)
        up = time.monotonic()
    finally:
        for pid in frozen:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        playing.join(60)
    assert not playing.is_alive() and failures == [], failures
    assert sorted(got) == list(range(len(hls.segments)))
    assert any(resumed < at < up for at in fetched.values()), (resumed, up, fetched)
    spans = [timing(got[n], tmp_path) for n in sorted(got)]
    for (start_a, length_a), (start_b, _) in itertools.pairwise(spans):
        # A job started again after the restart overlaps by a frame or two at most, never leaves a gap.
        assert abs(start_a + length_a - start_b) < 0.15, spans
    # Exactly one job afterwards: on the broker and in the worker's scratch, and at most one ffmpeg.
    wait_for(lambda: len(node.jobs()) == 1 and len(list((worker.scratch / "jobs").iterdir())) == 1, 10)
    time.sleep(1.0)
    assert len(node.jobs()) == 1 and len(list((worker.scratch / "jobs").iterdir())) == 1
    assert len(ffmpeg_processes(worker.scratch)) <= 1
    assert owner.request("DELETE", f"/api/hls/{session_id}").status == 204
    wait_for(lambda: node.jobs() == [] and not list((worker.scratch / "jobs").iterdir()), 5)
    assert ffmpeg_processes(worker.scratch) == []


def test_a_killed_worker_is_replaced_at_the_segment_the_player_asks_for(
    node: Node, worker: WorkerProcess, tmp_path: Path
) -> None:
    wait_for(lambda: node.jobs() == [], 5)
    owner = node.server.owner()
    hls, session_id = start(node, owner)
    start_0, length_0 = timing(hls.segment(0), tmp_path)
    assert session_of(node, session_id).worker == worker_named(worker)
    worker.process.kill()
    worker.process.wait()
    # The kernel ends the dead worker's ffmpeg with it (parent-death signal): nothing is orphaned.
    wait_for(lambda: ffmpeg_processes(worker.scratch) == [], 2)
    second = node.worker("worker-2")
    try:
        start_1, _ = timing(hls.segment(1), tmp_path)
        # A new encoder's first segment starts at the audio frame before its cut, as a local restart's does:
        # an overlap of a frame or two, never a gap.
        assert abs(start_0 + length_0 - start_1) < 0.15
        assert session_of(node, session_id).worker == worker_named(second)
        assert owner.request("DELETE", f"/api/hls/{session_id}").status == 204
    finally:
        second.stop()


def worker_named(worker: WorkerProcess) -> str:
    return f"reelhouse-worker-{worker.process.pid}@{socket.gethostname()}"


def test_the_broker_url_must_be_a_redis_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="transcode_broker_url"):
        load_config(
            environ={}, overrides={"data_dir": tmp_path, "transcode_broker_url": "http://127.0.0.1:6379"}
        )
    config = load_config(
        environ={"REELHOUSE_TRANSCODE_BROKER_URL": "redis://127.0.0.1:6379/0"},
        overrides={"data_dir": tmp_path},
    )
    assert config.transcode_broker_url == "redis://127.0.0.1:6379/0"


def test_a_broker_that_cannot_be_reached_is_a_503_never_a_local_encode(node: Node, tmp_path: Path) -> None:
    server = RunningServer(tmp_path / "data", transcode_broker_url=f"redis://127.0.0.1:{free_port()}/0")
    try:
        services = server.server.services
        roots = [str(node.folder / "srv" / "first"), str(node.folder / "srv" / "second")]
        library = services.libraries.add(system_actor("test"), "Movies", "movies", roots)
        server.server.scanner.scan(library)
        (row,) = services.catalogue.search(system_actor("test"), "film")
        answer = server.owner().post(f"/api/items/{row.id}/playback", {})
        assert answer.status == 200, answer.body
        hls = Hls(server.anonymous(), answer.json()["url"])
        refused = server.anonymous().get(f"{hls.base}/{hls.segments[0]}")
        assert refused.status == 503, refused.body
        assert refused.headers["Retry-After"] == "5"
        assert ffmpeg_children() == []
    finally:
        server.stop()
