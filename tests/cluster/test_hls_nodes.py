"""HLS sessions in PostgreSQL (issue #19, item 2): any web node serves any segment of any session, with one job
on the workers; a player goes on when the node that started its session dies; only the session's own viewer,
still allowed, gets a node to take it up; and an abandoned session ends once, across nodes."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from reelhouse.domain.access import system_actor
from reelhouse.persistence.cluster_schema import hls_sessions
from reelhouse.services.hls_session import SEGMENT_SECONDS
from reelhouse.services.remote_encoder import RemoteRun
from tests.harness import Client, RunningServer
from tests.playback import media
from tests.playback.test_hls import Hls, ffmpeg_children
from tests.postgres import PostgresServer
from tests.workers.test_web_node_workers import timing
from tests.workers.worker_kit import RedisServer, WorkerProcess, live_jobs, wait_for

pytestmark = pytest.mark.cluster


@dataclass
class Farm:
    """Web nodes on one PostgreSQL and one broker, one worker, and a film in a library the worker mounts."""

    url: str
    broker: RedisServer
    a: RunningServer
    b: RunningServer
    item_id: str
    folder: Path

    def jobs(self) -> list[str]:
        return live_jobs(self.broker.url)

    def node(self, name: str) -> RunningServer:
        return web_node(self.folder / name, self.url, self.broker.url, self.a.data_dir)

    def rows(self) -> list[str]:
        with self.a.server.db.read() as conn:
            return [r.id for r in conn.execute(sa.select(hls_sessions.c.id))]


def web_node(
    folder: Path, url: str, broker_url: str | None = None, keys: Path | None = None
) -> RunningServer:
    """A web node; with ``keys``, holding the grant key of that data folder, as docs/scaling.md says to copy."""
    if keys is not None:
        folder.mkdir(parents=True)
        shutil.copy2(keys / "grant.key", folder / "grant.key")
    extra = {"transcode_broker_url": broker_url} if broker_url else {}
    node = RunningServer(folder, database_url=url, cluster=True, **extra)
    assert node.server.cluster is not None
    assert node.server.cluster.listener.listening.wait(5)
    return node


def add_film(node: RunningServer, base: Path) -> tuple[str, str, Path]:
    """A short HEVC film (so it is transcoded) in a library added and scanned on ``node``."""
    film = base / "srv" / "Film" / "film.mkv"
    media.hevc_ac3_mkv(film, seconds=15, size="160x120")
    library = node.server.services.libraries.add(
        system_actor("test"), "Movies", "movies", [str(base / "srv")]
    )
    node.server.scanner.scan(library)
    (row,) = node.server.services.catalogue.search(system_actor("test"), "film")
    return row.id, library.id, film


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> Iterator[Farm]:
    base = tmp_path_factory.mktemp("hls-nodes")
    name, url = postgres_server.fresh(True)
    broker = RedisServer()
    started: list[RunningServer] = []
    worker = None
    try:
        started.append(web_node(base / "a", url, broker.url))
        started.append(web_node(base / "b", url, broker.url, base / "a"))
        item_id, library_id, film = add_film(started[0], base)
        # The worker mounts the media elsewhere (a hard link: the same file, another path).
        mount = base / "mnt" / "Film"
        mount.mkdir(parents=True)
        os.link(film, mount / "film.mkv")
        worker = WorkerProcess(base / "worker", broker.url, {library_id: mount.parent}, ("cpu",), 2)
        yield Farm(url, broker, started[0], started[1], item_id, base)
    finally:
        if worker is not None:
            worker.stop()
        for node in reversed(started):
            node.stop()
        broker.stop()
        postgres_server.drop(name)


def play(node: RunningServer, item_id: str, who: Client) -> tuple[Hls, str]:
    answer = who.post(f"/api/items/{item_id}/playback", {})
    assert answer.status == 200, answer.body
    assert answer.json()["method"] == "transcode"
    return Hls(node.anonymous(), answer.json()["url"]), answer.json()["session_id"]


def segment(node: RunningServer, hls: Hls, n: int) -> bytes:
    answer = node.anonymous().get(f"{hls.base}/{hls.segments[n]}")
    assert answer.status == 200, answer.body
    return answer.body


def continuous(spans: list[tuple[float, float]]) -> None:
    """Each segment starts where the one before ended, on the fixed boundaries one encoder would cut; within
    the 0.2 s a single node's seek gets (tests/workers/test_web_node_workers.py), since segments end on frames."""
    for (start_a, length_a), (start_b, _) in itertools.pairwise(spans):
        assert abs(start_a + length_a - start_b) < 0.2, spans
    for n, (start, _) in enumerate(spans):
        assert abs(start - spans[0][0] - n * SEGMENT_SECONDS) < 0.2, spans


def held(node: RunningServer) -> list[str]:
    return [s.id for s in node.server.services.media.encoders.active()]


def test_segments_alternate_between_nodes_on_one_job(farm: Farm, tmp_path: Path) -> None:
    wait_for(lambda: farm.jobs() == [], 5)
    hls, session_id = play(farm.a, farm.item_id, farm.a.owner())
    spans = []
    for n in range(5):
        spans.append(timing(segment((farm.a, farm.b)[n % 2], hls, n), tmp_path))
        # B took the session up from the table and fetches from the job A sent: never a second one.
        assert len(farm.jobs()) == 1
    continuous(spans)
    (job,) = farm.jobs()
    assert held(farm.a) == held(farm.b) == [session_id]
    # The shared row names the job but keeps no token that a worker would accept: B derived it from the job id.
    with farm.a.server.db.read() as conn:
        (stored,) = conn.execute(sa.select(hls_sessions.c.job)).scalars()
    assert stored is not None and "token" not in json.loads(stored)
    # The worker drops the job: B sends the next one, and A follows it instead of sending a third.
    keys = redis.Redis.from_url(farm.broker.url)
    try:
        keys.set(job.replace(":heartbeat", ":control"), "cancel", ex=60)
    finally:
        keys.close()
    wait_for(lambda: farm.jobs() == [], 3)
    segment(farm.b, hls, 2)
    (second,) = farm.jobs()
    segment(farm.a, hls, 3)
    assert farm.jobs() == [second] != [job]
    # The player's stop, asked of either node, ends it everywhere: the row, the job and B's copy.
    assert farm.a.owner().request("DELETE", f"/api/hls/{session_id}").status == 204
    wait_for(lambda: farm.jobs() == [] and held(farm.b) == [] and farm.rows() == [], 2)
    assert ffmpeg_children() == []


def test_the_player_goes_on_with_another_node_when_its_node_dies(
    farm: Farm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wait_for(lambda: farm.jobs() == [], 5)
    c = farm.node("c")
    try:
        hls, session_id = play(c, farm.item_id, c.owner())
        spans = [timing(segment(c, hls, n), tmp_path) for n in range(2)]
        (job,) = farm.jobs()
        # C dies: nothing it would do on an orderly stop happens (its sessions are neither ended nor cancelled).
        encoders = c.server.services.media.encoders
        monkeypatch.setattr(encoders, "close", encoders._stop.set)
    finally:
        c.stop()
    spans += [timing(segment(farm.b, hls, n), tmp_path) for n in range(2, 4)]
    continuous(spans)
    assert farm.jobs() == [job]
    assert held(farm.b) == [session_id]
    assert farm.b.owner().request("DELETE", f"/api/hls/{session_id}").status == 204
    wait_for(lambda: farm.jobs() == [] and farm.rows() == [], 2)


def test_only_the_sessions_own_viewer_still_allowed_gets_it_taken_up(farm: Farm) -> None:
    wait_for(lambda: farm.jobs() == [], 5)
    alice = farm.a.create_user("alice")
    hls, session_id = play(farm.a, farm.item_id, farm.a.sign_in("alice"))
    segment(farm.a, hls, 0)
    (job,) = farm.jobs()
    # A lets go of its copy (as when its player moved on), so only the table still names the session.
    farm.a.server.services.media.encoders.forget(session_id)
    assert farm.rows() == [session_id]
    # Another viewer with a media link of their own asks B for it: the answer an unknown session gets.
    farm.a.create_user("bob")
    bob = farm.a.sign_in("bob")
    bobs, bobs_id = play(farm.a, farm.item_id, bob)
    grant = bobs.segments[1].split("?", 1)[1]
    theirs = farm.b.anonymous().get(f"/api/hls/{session_id}/1.ts?{grant}")
    unknown = farm.b.anonymous().get(f"/api/hls/0123456789abcdefghijkl/1.ts?{grant}")
    assert (theirs.status, theirs.body) == (unknown.status, unknown.body)
    assert bob.request("DELETE", f"/api/hls/{bobs_id}").status == 204
    assert session_id not in held(farm.b) and farm.jobs() == [job]
    # Alice loses the library: though no node holds her session, it ends and its job stops within 2 s.
    answer = farm.a.owner().request("PATCH", f"/api/users/{alice}", {"grants": {"libraries": []}})
    assert answer.status == 200, answer.body
    wait_for(lambda: farm.rows() == [] and farm.jobs() == [], 2)
    refused = farm.b.anonymous().get(f"{hls.base}/{hls.segments[1]}")
    assert refused.status == 404, refused.body
    assert session_id not in held(farm.b) and farm.jobs() == []


def test_a_session_no_node_holds_is_swept_when_idle(farm: Farm, monkeypatch: pytest.MonkeyPatch) -> None:
    wait_for(lambda: farm.jobs() == [], 5)
    hls, session_id = play(farm.a, farm.item_id, farm.a.owner())
    segment(farm.a, hls, 0)
    farm.a.server.services.media.encoders.forget(session_id)
    assert farm.rows() == [session_id] and len(farm.jobs()) == 1
    for node in (farm.a, farm.b):
        monkeypatch.setattr(node.server.services.media.encoders, "idle_seconds", 1.0)
    wait_for(lambda: farm.rows() == [] and farm.jobs() == [], 5)


def test_an_abandoned_session_ends_once_across_nodes(farm: Farm, monkeypatch: pytest.MonkeyPatch) -> None:
    wait_for(lambda: farm.jobs() == [], 5)
    hls, session_id = play(farm.a, farm.item_id, farm.a.owner())
    segment(farm.a, hls, 0)
    (job,) = farm.jobs()
    cancels: list[str] = []
    for node in (farm.a, farm.b):
        encoders = node.server.services.media.encoders
        remote = encoders.remote
        assert remote is not None
        original = remote.cancel

        def counted(run: RemoteRun, original: object = original) -> None:
            cancels.append(run.job.job_id)
            original(run)  # type: ignore[operator]

        monkeypatch.setattr(remote, "cancel", counted)
        monkeypatch.setattr(encoders, "idle_seconds", 3.0)
    # The player moves to B and stays there past A's idle limit: A lets its copy go, and the job goes on.
    # B touches the shared row at most once a second, so it is never 3 s old while the player is there.
    for n in range(1, 5):
        segment(farm.b, hls, n)
        time.sleep(1.0)
    assert held(farm.a) == [] and held(farm.b) == [session_id]
    assert (farm.jobs(), cancels) == ([job], [])
    # Nobody asks either node any more: the session ends within the limit, and its job is cancelled once.
    abandoned = time.monotonic()
    wait_for(lambda: farm.jobs() == [] and farm.rows() == [] and not held(farm.a) + held(farm.b), 5)
    assert time.monotonic() - abandoned < 5
    time.sleep(1.0)
    assert cancels == [job.split(":")[2]]


def test_without_workers_each_node_encodes_from_where_the_player_is(
    tmp_path: Path, postgres_url: str
) -> None:
    a = web_node(tmp_path / "a", postgres_url)
    try:
        b = web_node(tmp_path / "b", postgres_url, keys=tmp_path / "a")
        try:
            item_id, _, _ = add_film(a, tmp_path)
            hls, session_id = play(a, item_id, a.owner())
            spans = [timing(segment((a, b)[n % 2], hls, n), tmp_path) for n in range(4)]
            continuous(spans)
            # B started its own encoder where the player was when it first asked B, as a seek there would.
            (on_b,) = b.server.services.media.encoders.active()
            assert on_b.id == session_id and on_b.argv_history and on_b.process_start == 1
            assert a.owner().request("DELETE", f"/api/hls/{session_id}").status == 204
            wait_for(lambda: held(a) == held(b) == [] and ffmpeg_children() == [], 2)
        finally:
            b.stop()
    finally:
        a.stop()


def gpu_jobs_sent(farm: Farm) -> int:
    """Jobs sent to the gpu queue: with no GPU worker in the farm, each stays in Celery's list in Redis."""
    keys = redis.Redis.from_url(farm.broker.url)
    try:
        return int(keys.llen("reelhouse.gpu"))
    finally:
        keys.close()


def shown(node: RunningServer, session_id: str) -> dict[str, object]:
    listed = node.owner().get("/api/transcodes").json()
    return dict(next(entry for entry in listed if entry["session_id"] == session_id))


def test_a_fallback_to_cpu_travels_with_the_session_to_another_node(farm: Farm) -> None:
    wait_for(lambda: farm.jobs() == [], 5)
    policy = farm.a.owner().request("PATCH", "/api/settings", {"values": {"transcode_gpu": "prefer"}})
    assert policy.status == 200, policy.body
    try:
        wait_for(lambda: farm.b.server.services.settings.get("transcode_gpu") == "prefer", 2)
        sent = gpu_jobs_sent(farm)
        hls, session_id = play(farm.a, farm.item_id, farm.a.owner())
        # No GPU worker takes A's gpu job, so A falls back to the CPU worker.
        segment(farm.a, hls, 0)
        reason = "fell back to CPU: no GPU worker took the job"
        assert (shown(farm.a, session_id)["fallback"], gpu_jobs_sent(farm)) == (reason, sent + 1)
        # B takes the session up and shows why it runs on CPU workers.
        segment(farm.b, hls, 1)
        assert {k: shown(farm.b, session_id)[k] for k in ("fallback", "queue")} == {
            "fallback": reason,
            "queue": "cpu",
        }
        # The worker drops the job: B sends the next one straight to the cpu queue, never a GPU worker again.
        (job,) = farm.jobs()
        keys = redis.Redis.from_url(farm.broker.url)
        try:
            keys.set(job.replace(":heartbeat", ":control"), "cancel", ex=60)
        finally:
            keys.close()
        wait_for(lambda: farm.jobs() == [], 3)
        segment(farm.b, hls, 2)
        assert len(farm.jobs()) == 1 and gpu_jobs_sent(farm) == sent + 1
        assert shown(farm.b, session_id)["queue"] == "cpu"
        assert farm.b.owner().request("DELETE", f"/api/hls/{session_id}").status == 204
    finally:
        farm.a.owner().request("PATCH", "/api/settings", {"values": {"transcode_gpu": "off"}})
    wait_for(lambda: farm.jobs() == [] and farm.rows() == [], 2)
