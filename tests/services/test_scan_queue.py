"""A change seen while a library is being scanned queues one more scan, never a second one beside it."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from reelhouse.domain.ids import LibraryId
from reelhouse.domain.library import Library, LibraryKind
from reelhouse.domain.scanning import ScanReport
from reelhouse.services.scanning import ScanService


class SlowScanner:
    """A fake: each scan waits until released, and records how many ran at once."""

    def __init__(self) -> None:
        self.release = threading.Semaphore(0)
        self.running = 0
        self.most_at_once = 0
        self.scans = 0
        self._lock = threading.Lock()

    def scan(
        self, library: Library, full: bool = False, progress: object = None, cancel: object = None
    ) -> ScanReport:
        with self._lock:
            self.running += 1
            self.scans += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.release.acquire(timeout=10)
        with self._lock:
            self.running -= 1
        return ScanReport(library.id)


class OneLibrary:
    def __init__(self, library: Library) -> None:
        self.library = library

    def all_for_system(self) -> list[Library]:
        return [self.library]


def test_changes_during_a_scan_queue_one_rescan_that_never_overlaps(tmp_path: Path) -> None:
    library = Library(LibraryId("lib"), "Films", LibraryKind.MOVIES, (str(tmp_path),), datetime.now(UTC))
    scanner = SlowScanner()
    service = ScanService(scanner, OneLibrary(library))  # type: ignore[arg-type]
    assert service.start_for_system(library)
    time.sleep(0.1)
    for _ in range(3):
        service._changed(library.id)
    scanner.release.release()  # the first scan ends; the queued rescan starts
    time.sleep(0.2)
    service._changed(library.id)  # a change during the rescan queues one more, not a scan beside it
    scanner.release.release()
    time.sleep(0.2)
    scanner.release.release()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and service.state_of(library.id).running:
        time.sleep(0.05)
    time.sleep(0.2)
    assert scanner.scans == 3
    assert scanner.most_at_once == 1
    service.stop()
