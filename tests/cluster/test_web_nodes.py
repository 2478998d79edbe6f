"""Two web nodes on one PostgreSQL database (`cluster` on, issue #19): they agree on sessions, settings,
revocations and who scans, through the database and its LISTEN/NOTIFY, within a second or so."""

from __future__ import annotations

import http.client
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from reelhouse.config import load_config
from reelhouse.domain.access import system_actor
from reelhouse.domain.library import Library
from reelhouse.domain.scanning import ScanReport
from reelhouse.errors import ConfigError
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.cluster import AdvisoryLocks, libpq_url
from tests.harness import RunningServer

pytestmark = pytest.mark.cluster

# Far more than loopback's socket buffers hold, so the body is still being sent when the admin acts on A.
BIG_BYTES = 20_000_000


def _within(seconds: float, check: Callable[[], bool]) -> float:
    """How long ``check`` took to hold; fails when it did not within ``seconds``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.01)
    return time.monotonic() - started


def _on(node: RunningServer, client: Any) -> Any:
    return replace(client, port=node.port)


def test_cluster_needs_a_postgresql_database_and_is_off_by_default(tmp_path: Path) -> None:
    assert load_config(environ={}, overrides={"data_dir": tmp_path}).cluster is False
    with pytest.raises(ConfigError, match="'cluster' needs a PostgreSQL 'database_url'"):
        load_config(environ={}, overrides={"data_dir": tmp_path, "cluster": True})
    with pytest.raises(ConfigError, match="'cluster' needs a PostgreSQL"):
        load_config(
            environ={"REELHOUSE_CLUSTER": "on", "REELHOUSE_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
        )
    on = load_config(
        environ={}, overrides={"data_dir": tmp_path, "cluster": True, "database_url": "postgres://h/d"}
    )
    assert on.cluster is True


def test_a_session_made_on_one_node_works_on_the_other_until_signed_out_on_either(
    nodes: tuple[RunningServer, RunningServer],
) -> None:
    a, b = nodes
    a.create_user("alice")
    on_a = a.sign_in("alice")
    assert _on(b, on_a).get("/api/me").json()["username"] == "alice"
    assert on_a.post("/api/auth/logout").status == 204
    _within(1.0, lambda: _on(b, on_a).get("/api/me").status == 401)


def test_a_setting_changed_on_one_node_applies_on_the_other_also_after_its_listener_was_cut(
    nodes: tuple[RunningServer, RunningServer], postgres_url: str
) -> None:
    a, b = nodes
    owner = a.owner()
    settings_b = b.server.services.settings
    assert owner.request("PATCH", "/api/settings", {"values": {"server_name": "Attic"}}).status == 200
    _within(1.0, lambda: settings_b.get("server_name") == "Attic")

    # B's listener connection is cut, and the next change is made while B is not listening: B never hears
    # that notification, so only its re-read after reconnecting can bring the change.
    cluster_b = b.server.cluster
    assert cluster_b is not None
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (cluster_b.listener.name,),
        ).fetchall()
    assert ended == [(True,)]
    _within(1.0, lambda: not cluster_b.listener.listening.is_set())
    assert owner.request("PATCH", "/api/settings", {"values": {"server_name": "Cellar"}}).status == 200
    _within(1.0, lambda: settings_b.get("server_name") == "Cellar")
    assert cluster_b.listener.connections == 2


def test_a_change_rolled_back_on_one_node_tells_no_other(nodes: tuple[RunningServer, RunningServer]) -> None:
    a, b = nodes
    heard: list[dict[str, Any]] = []
    cluster_b = b.server.cluster
    assert cluster_b is not None
    original = cluster_b._heard
    cluster_b.listener._on_message = lambda message: (heard.append(message), original(message))[1]
    audit = a.server.services.audit
    with pytest.raises(RuntimeError), a.server.db.begin() as conn:
        audit.record(conn, system_actor("test"), "settings.change", None, {})
        raise RuntimeError("the change fails after its audit entry")
    with a.server.db.begin() as conn:
        audit.record(conn, system_actor("test"), "settings.change", "committed", {})
    _within(1.0, lambda: bool(heard))
    time.sleep(0.1)
    assert [m["target"] for m in heard] == ["committed"]


@pytest.fixture
def big_item(nodes: tuple[RunningServer, RunningServer], tmp_path: Path) -> tuple[str, Library]:
    """A rawvideo MKV of ~21 MB in a library added and scanned on node A; its item id."""
    a, _ = nodes
    target = tmp_path / "films" / "big" / "big.mkv"
    target.parent.mkdir(parents=True)
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=960x540:r=10", "-t", "3"),
            *("-c:v", "rawvideo", "-pix_fmt", "yuv420p", str(target)),
        ],
        check=True,
        timeout=60,
    )
    assert target.stat().st_size > BIG_BYTES
    services = a.server.services
    library = services.libraries.add(system_actor("test"), "Films", "movies", [str(tmp_path / "films")])
    a.server.scanner.scan(library)
    (found,) = services.catalogue.search(system_actor("test"), "big")
    return found.id, library


@pytest.mark.parametrize(
    "change",
    [{"disabled": True}, {"grants": {"libraries": []}}, None],
    ids=["user disabled", "grant removed", "signed out"],
)
def test_a_revocation_on_one_node_cuts_the_users_stream_on_the_other(
    nodes: tuple[RunningServer, RunningServer], big_item: tuple[str, Library], change: dict[str, Any] | None
) -> None:
    a, b = nodes
    item, _ = big_item
    alice = a.create_user("alice")
    alice_on_a = a.sign_in("alice")
    owner_on_a = a.owner()
    with b.server.db.read() as conn:
        session = AccountRepository().tokens_of(conn, alice)[0].id
    grant = b.server.services.media.grants.issue(item, alice, "stream", session, 3600)
    connection = http.client.HTTPConnection("127.0.0.1", b.port, timeout=20)
    try:
        connection.request("GET", f"/api/items/{item}/stream?grant={grant}")
        response = connection.getresponse()
        assert response.status == 200
        size = int(response.headers["Content-Length"])
        assert len(response.read(65536)) == 65536
        if change is None:
            # The session that obtained the stream's grant ends on A.
            assert alice_on_a.post("/api/auth/logout").status == 204
        else:
            answer = owner_on_a.request("PATCH", f"/api/users/{alice}", change)
            assert answer.status == 200, answer.body
        # The player reads nothing meanwhile, so B cannot finish sending (the file outgrows the socket
        # buffers): its stream leaves B's open-stream registry only by being cut.
        _within(1.5, lambda: b.server.services.media.open.of(alice) == [])
        received = 65536
        try:
            while chunk := response.read1(1 << 20):
                received += len(chunk)
        except (ConnectionError, http.client.IncompleteRead):
            pass
        assert received < size
    finally:
        connection.close()


def test_a_library_added_on_one_node_is_listed_on_the_other(
    nodes: tuple[RunningServer, RunningServer], tmp_path: Path
) -> None:
    a, b = nodes
    owner_b = b.owner()
    assert owner_b.get("/api/libraries").json() == []  # B now keeps this list for two seconds
    (tmp_path / "music").mkdir()
    a.server.services.libraries.add(system_actor("test"), "Music", "music", [str(tmp_path / "music")])
    _within(1.0, lambda: [lib["name"] for lib in owner_b.get("/api/libraries").json()] == ["Music"])


def test_a_scan_on_one_node_refreshes_the_others_cached_listing(
    nodes: tuple[RunningServer, RunningServer], big_item: tuple[str, Library], tmp_path: Path
) -> None:
    a, b = nodes
    _, library = big_item
    owner_b = b.owner()
    path = f"/api/libraries/{library.id}/items"
    before = owner_b.get(path).json()["total"]
    copy = tmp_path / "films" / "other" / "other.mkv"
    copy.parent.mkdir()
    shutil.copyfile(tmp_path / "films" / "big" / "big.mkv", copy)
    assert a.server.services.scanning.start_for_system(library)
    _within(10.0, lambda: not _scanning(a, library))
    # B's total was cached for 30 s; A's scan tells it the catalogue changed.
    _within(1.0, lambda: owner_b.get(path).json()["total"] == before + 1)


def test_two_simultaneous_scans_of_one_library_run_once(
    nodes: tuple[RunningServer, RunningServer],
    big_item: tuple[str, Library],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = nodes
    _, library = big_item
    ran: list[str] = []
    go = threading.Barrier(2)
    for name, node in (("a", a), ("b", b)):
        real = node.server.scanner.scan

        def slow(
            library: Library, *args: Any, _real: Any = real, _name: str = name, **kwargs: Any
        ) -> ScanReport:
            ran.append(_name)
            time.sleep(0.5)  # long enough that the other node's scan starts meanwhile
            report: ScanReport = _real(library, *args, **kwargs)
            return report

        monkeypatch.setattr(node.server.scanner, "scan", slow)

    def start(node: RunningServer) -> None:
        go.wait(5)
        node.server.services.scanning.start_for_system(library)

    starters = [threading.Thread(target=start, args=(node,)) for node in (a, b)]
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join(10)
    _within(10.0, lambda: not _scanning(a, library) and not _scanning(b, library))
    assert len(ran) == 1
    # Once the lock is let go, the library scans again, on either node (once B's scan thread has ended).
    _within(5.0, lambda: b.server.services.scanning.start_for_system(library))
    _within(10.0, lambda: not _scanning(b, library))
    assert ran[1:] == ["b"]


def _scanning(node: RunningServer, library: Library) -> bool:
    return node.server.services.scanning.state_of(library.id).running


def test_a_scheduled_jobs_tick_runs_on_one_node(postgres_url: str) -> None:
    first, second = AdvisoryLocks(postgres_url, "t-first"), AdvisoryLocks(postgres_url, "t-second")
    try:
        assert first.claim_tick("scan-schedule", 7)
        assert not second.claim_tick("scan-schedule", 7)
        assert not first.claim_tick("scan-schedule", 7)
        # Another job's tick is its own; the next tick goes to whichever node asks first.
        assert second.claim_tick("peer-poll", 7)
        assert second.claim_tick("scan-schedule", 8)
        assert not first.claim_tick("scan-schedule", 8)
    finally:
        first.close()
        second.close()


def test_a_scan_lock_goes_with_the_connection_of_the_node_that_held_it(postgres_url: str) -> None:
    first, second = AdvisoryLocks(postgres_url, "t-dies"), AdvisoryLocks(postgres_url, "t-lives")
    with first.library_scan("films") as held:
        assert held
        with second.library_scan("films") as also:
            assert not also
        # The holder's machine is gone: PostgreSQL ends its session, and the lock with it.
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = 't-dies-scan'"
            )
        with second.library_scan("films") as taken:
            assert taken
