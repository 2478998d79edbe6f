"""With `cluster` on, a scan whose node died is taken up by another node within 2 s (issue #19): the scanning
node notes the scan in `pending_scans` while it holds the library's scan lock, and a note whose lock nobody holds
is a scan left unfinished."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from reelhouse.domain.access import system_actor
from reelhouse.domain.library import Library
from reelhouse.domain.scanning import ScanReport
from reelhouse.persistence.cluster import libpq_url
from tests.cluster.test_web_nodes import _scanning, _within
from tests.harness import RunningServer

pytestmark = pytest.mark.cluster


def _notes(postgres_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as conn:
        return conn.execute("SELECT library_id FROM pending_scans").fetchall()


def test_a_scan_whose_node_died_is_taken_up_by_another_within_two_seconds(
    nodes: tuple[RunningServer, RunningServer],
    tmp_path: Path,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = nodes
    film = tmp_path / "films" / "Tiny (2001)" / "Tiny (2001).mkv"
    film.parent.mkdir(parents=True)
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=64x48:r=5", "-t", "1"),
            *("-c:v", "mpeg4", str(film)),
        ],
        check=True,
        timeout=60,
    )
    library = a.server.services.libraries.add(
        system_actor("test"), "Films", "movies", [str(tmp_path / "films")]
    )
    ran: list[str] = []
    started, release = threading.Event(), threading.Event()

    def dies_midway(library: Library, *args: Any, **kwargs: Any) -> ScanReport:
        # Node A hangs mid-scan, holding the lock, until its session is ended below as a dead node's would be.
        ran.append("a")
        started.set()
        release.wait(30)
        return ScanReport(library.id)

    real = b.server.scanner.scan

    def scans(library: Library, *args: Any, **kwargs: Any) -> ScanReport:
        ran.append("b")
        report: ScanReport = real(library, *args, **kwargs)
        return report

    monkeypatch.setattr(a.server.scanner, "scan", dies_midway)
    monkeypatch.setattr(b.server.scanner, "scan", scans)
    cluster_a = a.server.cluster
    assert cluster_a is not None
    try:
        assert a.server.services.scanning.start_for_system(library)
        assert started.wait(5)
        assert _notes(postgres_url) == [(library.id,)]
        time.sleep(1.2)  # B looks twice meanwhile: a scan whose node is alive is left to it
        assert ran == ["a"]
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as admin:
            ended = admin.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = %s",
                (f"reelhouse-{cluster_a.node}-scan",),
            ).fetchall()
        assert ended == [(True,)]
        _within(2.0, lambda: "b" in ran)
        _within(10.0, lambda: not _scanning(b, library))
        assert [item.title for item in b.server.services.catalogue.search(system_actor("test"), "tiny")] == [
            "Tiny"
        ]
        assert _notes(postgres_url) == []
        time.sleep(1.2)  # and nobody takes up the finished scan again
        assert ran == ["a", "b"]
    finally:
        release.set()


def test_the_watch_for_unfinished_scans_outlives_a_failed_look(
    nodes: tuple[RunningServer, RunningServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, b = nodes
    assert b.server.cluster is not None
    locks = b.server.cluster.locks
    looked = locks.orphaned_scans
    calls: list[int] = []

    def fails_once() -> list[str]:
        calls.append(1)
        if len(calls) == 1:
            raise psycopg.OperationalError("the server closed the connection")
        return looked()

    monkeypatch.setattr(locks, "orphaned_scans", fails_once)
    _within(5.0, lambda: len(calls) >= 3)
