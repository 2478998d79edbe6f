"""A change seen while a library is being scanned queues one more scan, never a second one beside it."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

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


class EndHold:
    """Holds each scan thread at its very end, after the scan service's last look for queued changes and
    before the thread is gone: the moment a change used to fall between "still running" and "finished"."""

    def __init__(self, scanner: CountingScanner) -> None:
        self._scanner = scanner
        self.reached = threading.Event()
        self.release = threading.Event()
        self._held = False

    def __call__(self, frame: FrameType, event: str, arg: object) -> None:
        if (
            event == "return"
            and frame.f_code is threading.Thread.run.__code__
            and threading.get_ident() in self._scanner.threads
            and not self._held
        ):
            self._held = True
            self.reached.set()
            self.release.wait(10)


class CountingScanner:
    def __init__(self) -> None:
        self.scans = 0
        self.threads: set[int] = set()

    def scan(
        self, library: Library, full: bool = False, progress: object = None, cancel: object = None
    ) -> ScanReport:
        self.threads.add(threading.get_ident())
        self.scans += 1
        return ScanReport(library.id)


def test_a_change_arriving_as_a_scan_thread_ends_is_scanned(tmp_path: Path) -> None:
    library = Library(LibraryId("lib"), "Films", LibraryKind.MOVIES, (str(tmp_path),), datetime.now(UTC))
    scanner = CountingScanner()
    service = ScanService(scanner, OneLibrary(library))  # type: ignore[arg-type]
    hold = EndHold(scanner)
    threading.setprofile(hold)
    try:
        assert service.start_for_system(library)
        assert hold.reached.wait(10)
        service._changed(library.id)  # the watcher's call, while the finished scan's thread still exists
        hold.release.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and scanner.scans < 2:
            time.sleep(0.02)
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        hold.release.set()
        service.stop()
    assert scanner.scans == 2
