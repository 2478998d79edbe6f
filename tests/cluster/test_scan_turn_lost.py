"""With `cluster` on, a node whose scan lock's connection drops while the node lives on stops its scan at once,
writing nothing more, and the node that takes the scan up completes the catalogue alone (issue #19)."""

from __future__ import annotations

import shutil
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
from reelhouse.scanner import identify as identify_module
from tests.cluster.test_web_nodes import _scanning, _within
from tests.harness import RunningServer

pytestmark = pytest.mark.cluster

FILMS = 12
# Node A identifies a file this slowly, so its scan is still under way when its lock's session ends.
SLOW = 0.15


def test_a_node_that_loses_its_scan_lock_stops_before_another_takes_the_scan_up(
    nodes: tuple[RunningServer, RunningServer],
    tmp_path: Path,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = nodes
    first = tmp_path / "one.mkv"
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=64x48:r=5", "-t", "1"),
            *("-c:v", "mpeg4", str(first)),
        ],
        check=True,
        timeout=60,
    )
    titles = [f"Film {chr(ord('A') + n)}" for n in range(FILMS)]
    for title in titles:
        folder = tmp_path / "films" / f"{title} (2001)"
        folder.mkdir(parents=True)
        shutil.copy(first, folder / f"{title} (2001).mkv")
    library = a.server.services.libraries.add(
        system_actor("test"), "Films", "movies", [str(tmp_path / "films")]
    )

    # Which scan each identify call belongs to (A's first, or a later one), and when it began.
    current = threading.local()
    calls: list[tuple[str, float]] = []
    starts: list[tuple[str, float]] = []
    first_ended = threading.Event()
    real_identify = identify_module.identify

    def identify(job: Any) -> Any:
        scan = getattr(current, "scan", "")
        calls.append((scan, time.monotonic()))
        found = real_identify(job)
        if scan.startswith("a"):
            time.sleep(SLOW)
        return found

    def scanning_on(node: str, real: Any) -> Any:
        def scan(library: Library, *args: Any, **kwargs: Any) -> ScanReport:
            name = f"{node}{len(starts)}"
            starts.append((name, time.monotonic()))
            current.scan = name
            try:
                report: ScanReport = real(library, *args, **kwargs)
                return report
            finally:
                if name == "a0":
                    first_ended.set()

        return scan

    monkeypatch.setattr(identify_module, "identify", identify)
    monkeypatch.setattr(a.server.scanner, "scan", scanning_on("a", a.server.scanner.scan))
    monkeypatch.setattr(b.server.scanner, "scan", scanning_on("b", b.server.scanner.scan))
    cluster_a = a.server.cluster
    assert cluster_a is not None

    assert a.server.services.scanning.start_for_system(library)
    _within(5.0, lambda: sum(1 for scan, _ in calls if scan == "a0") >= 2)
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = %s",
            (f"reelhouse-{cluster_a.node}-scan",),
        ).fetchall()
    terminated = time.monotonic()
    assert ended == [(True,)]

    # A notices at once and stops; another scan (on whichever node looked first) takes the library up.
    assert first_ended.wait(1.0)
    _within(2.0, lambda: len(starts) >= 2)
    _within(15.0, lambda: not _scanning(a, library) and not _scanning(b, library))
    taken_up = starts[1][1]
    last_of_first = max(at for scan, at in calls if scan == "a0")
    # A stopped within milliseconds; another node begins only once it has seen the note unlocked twice.
    assert last_of_first < terminated + 0.3 < taken_up
    assert sum(1 for scan, _ in calls if scan == "a0") < FILMS

    # Nothing half-written: each film once, as the scan that took over found them.
    found = sorted(item.title for item in b.server.services.catalogue.search(system_actor("test"), "film"))
    assert found == titles
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as conn:
        assert conn.execute("SELECT library_id FROM pending_scans").fetchall() == []
        files = conn.execute("SELECT count(*) FROM media_files").fetchone()
    assert files == (FILMS,)
