"""Running scans: on request, on a schedule and when files change; progress anyone allowed can read."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from typing import Protocol

from reelhouse.domain.access import Action, Actor, can
from reelhouse.domain.library import Library
from reelhouse.domain.scanning import SETTLE_SECONDS, ScanIssue, ScanPhase, ScanProgress, ScanReport
from reelhouse.errors import PermissionDenied
from reelhouse.services.libraries import LibraryService

log = logging.getLogger(__name__)


class Scanner(Protocol):
    """What the scanner package offers (scanner/runner.py); a protocol so tests can pass a fake."""

    def scan(
        self,
        library: Library,
        full: bool = False,
        progress: Callable[[ScanProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> ScanReport: ...


class Watcher(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


WatcherFactory = Callable[[list[Library], Callable[[str], None]], Watcher]
# Whether this server may scan a library now: with several web nodes, one at a time (services/cluster.py).
# The callback is called if this node loses its turn while it scans (its lock's connection dropped).
Exclusive = Callable[[str, Callable[[], None]], AbstractContextManager[bool]]


@contextmanager
def alone(_library_id: str, _on_lost: Callable[[], None] = lambda: None) -> Iterator[bool]:
    """The single-machine default: this server is the only one that scans."""
    yield True


class TurnLost(Exception):
    """This node lost its turn to scan a library mid-scan; another node may be scanning it now."""


# Where each phase's own progress falls in the whole scan's percentage (identify does most of the work).
_PHASE_SPAN = {
    ScanPhase.WALK.value: (0, 5),
    ScanPhase.IDENTIFY.value: (5, 80),
    ScanPhase.RECONCILE.value: (80, 85),
    ScanPhase.ARTWORK.value: (85, 100),
}


@dataclass(frozen=True)
class ScanState:
    """A scan as an admin sees it: phase counts and the last report, paths and errors included."""

    library_id: str
    running: bool
    phase: str
    done: int
    total: int
    started_at: float | None
    last_report: ScanReport | None

    @property
    def percent(self) -> int:
        if not self.running:
            return 100 if self.started_at is not None else 0
        low, high = _PHASE_SPAN.get(self.phase, (0, 0))
        share = self.done / self.total if self.total > 0 else 0.0
        return min(99, low + int((high - low) * min(1.0, share)))


@dataclass(frozen=True)
class ScanStatus:
    """A scan as a member sees it: whether it runs, and how far. Counts and paths would tell them about
    titles their grants hide, so they stay with admins."""

    library_id: str
    running: bool
    percent: int


class ScanService:
    def __init__(
        self,
        scanner: Scanner,
        libraries: LibraryService,
        on_change: Callable[[], None] = lambda: None,
        after_scan: Callable[[str], object] = lambda _library_id: None,
        exclusive: Exclusive = alone,
        claim_tick: Callable[[str, float], bool] = lambda _job, _period: True,
    ) -> None:
        self._scanner = scanner
        self._exclusive = exclusive
        # Whether this node runs a scheduled job's tick: with several web nodes, only one of them does.
        self._claim_tick = claim_tick
        # Background work that follows a finished scan (seek previews); it queues and returns at once.
        self._after_scan = after_scan
        self._on_change = on_change
        self._libraries = libraries
        self._lock = threading.Lock()
        self._states: dict[str, ScanState] = {}
        self._threads: dict[str, threading.Thread] = {}
        # The running scans' cancel events, by library.
        self._cancels: dict[str, threading.Event] = {}
        self._stop = threading.Event()
        self._schedule: threading.Thread | None = None
        self._watcher: Watcher | None = None
        self._watched: frozenset[str] = frozenset()
        self._watcher_factory: WatcherFactory | None = None
        # A change seen while that library is being scanned: scan once more when the scan ends.
        self._pending: set[str] = set()
        # Libraries whose scan thread has not yet decided to finish. Thread liveness cannot stand in for this:
        # a thread that has made its last check for pending changes is still alive for a moment after.
        self._running: set[str] = set()
        # Scan threads waiting for files still being copied in, by library.
        self._settle_waits: dict[str, threading.Event] = {}

    # Synchronous, for the CLI --------------------------------------------------------------
    def scan_now(
        self, library: Library, full: bool = False, progress: Callable[[ScanProgress], None] | None = None
    ) -> ScanReport:
        return self._run(library, full, progress)

    def _run(
        self, library: Library, full: bool, progress: Callable[[ScanProgress], None] | None = None
    ) -> ScanReport:
        # Set when the scan must stop: the server stops, or this node lost its turn (then it also writes
        # nothing more: the scanner reports progress between its writes, and that raises).
        cancel = threading.Event()
        lost = threading.Event()

        def lose_turn() -> None:
            lost.set()
            cancel.set()

        def track(event: ScanProgress) -> None:
            if lost.is_set():
                raise TurnLost
            with self._lock:
                state = self._states[library.id]
                self._states[library.id] = replace(
                    state, phase=event.phase.value, done=event.done, total=event.total
                )
            if event.phase in (ScanPhase.RECONCILE, ScanPhase.DONE):
                self._on_change()
            if progress is not None:
                progress(event)

        with self._lock:
            previous = self._states.get(library.id)
            self._states[library.id] = ScanState(
                library.id,
                True,
                ScanPhase.WALK.value,
                0,
                0,
                time.time(),
                previous.last_report if previous else None,
            )
            self._cancels[library.id] = cancel
            if self._stop.is_set():
                cancel.set()
        report: ScanReport | None = None
        held = False
        try:
            with self._exclusive(library.id, lose_turn) as held:
                if not held:
                    log.info(
                        "library %s is being scanned by another node; not scanning it here", library.name
                    )
                    return ScanReport(library.id)
                try:
                    report = self._scanner.scan(library, full=full, progress=track, cancel=cancel)
                except TurnLost:
                    log.warning("stopped scanning library %s: another node takes it up", library.name)
                    return ScanReport(library.id)
                return report
        finally:
            with self._lock:
                self._cancels.pop(library.id, None)
            if held:
                self._on_change()
            with self._lock:
                state = self._states[library.id]
                self._states[library.id] = replace(
                    state, running=False, phase=ScanPhase.DONE.value, last_report=report or state.last_report
                )

    # In the background, for the server -----------------------------------------------------
    def start(self, actor: Actor, library_id: str, full: bool = False) -> ScanState:
        if not can(actor, Action.MANAGE_LIBRARIES):
            raise PermissionDenied("Only admins can start a scan.")
        library = self._libraries.get(actor, library_id)
        if not self.start_for_system(library, full, again_if_running=True):
            # Queued behind the running scan (or cutting short its wait for files being copied in): say so at once,
            # so a caller polling for the end does not take the previous scan's end for this one's.
            with self._lock:
                self._states[library.id] = replace(self.state_of_locked(library.id), running=True)
        return self.state_of(library.id)

    def start_for_system(self, library: Library, full: bool = False, again_if_running: bool = False) -> bool:
        """Start a background scan; False when one is running already (then, with ``again_if_running``, it
        scans once more when it ends). The check and the queueing share one lock hold with the scan thread's
        own decision to finish, so a change arriving as a scan ends is never dropped."""
        if self._watcher_factory is not None and library.id not in self._watched:
            self.watch(self._watcher_factory)
        with self._lock:
            if library.id in self._running:
                if again_if_running:
                    self._pending.add(library.id)
                    waiting = self._settle_waits.get(library.id)
                    if waiting is not None:
                        waiting.set()
                return False
            self._running.add(library.id)
            thread = threading.Thread(
                target=self._run_logged, args=(library, full), name=f"scan-{library.id}", daemon=True
            )
            self._threads[library.id] = thread
            self._states[library.id] = ScanState(
                library.id, True, ScanPhase.WALK.value, 0, 0, time.time(), None
            )
        try:
            thread.start()
        except RuntimeError:
            with self._lock:
                self._running.discard(library.id)
            raise
        return True

    def _run_logged(self, library: Library, full: bool) -> None:
        # Changes seen during a scan are rescanned here, in this same thread, which start_for_system() sees
        # as the library's running scan: a new thread would let a second scan start beside this one.
        while True:
            report = self._scan_and_log(library, full)
            if report is not None and report.settling:
                # Files still being copied in are read once they have been quiet for a while; a scan asked for
                # meanwhile ends the wait at once.
                woken = threading.Event()
                with self._lock:
                    self._settle_waits[library.id] = woken
                woken.wait(SETTLE_SECONDS + 0.5)
                with self._lock:
                    self._settle_waits.pop(library.id, None)
                    if not self._stop.is_set():
                        self._pending.add(library.id)
            with self._lock:
                if library.id not in self._pending or self._stop.is_set():
                    self._running.discard(library.id)
                    return
                self._pending.discard(library.id)
            full = False

    def _scan_and_log(self, library: Library, full: bool) -> ScanReport | None:
        try:
            report = self._run(library, full)
            log.info(
                "scanned %s: %d files, %d added, %d updated, %d moved, %d missing, %d errors in %.1fs",
                library.name,
                report.files_seen,
                report.added,
                report.updated,
                report.moved,
                report.missing,
                len(report.errors),
                report.seconds,
            )
        except Exception:
            log.exception("scan of library %s failed", library.id)
            return None
        try:
            self._after_scan(library.id)
        except Exception:
            log.exception("queueing work after the scan of library %s failed", library.id)
        return report

    def watch(self, factory: WatcherFactory) -> None:
        """Rescan a library soon after its files change; rebuilt when a new library appears."""
        self._watcher_factory = factory
        libraries = self._libraries.all_for_system()
        if self._watcher is not None:
            self._watcher.stop()
        self._watched = frozenset(lib.id for lib in libraries)
        self._watcher = factory(libraries, self._changed)
        self._watcher.start()

    def note_issue(self, library_id: str, path: str, reason: str) -> None:
        """A file found broken outside a scan (a photo that would not render): listed with the last scan's
        errors for admins, until the next scan lists its own."""
        issue = ScanIssue(path, reason)
        with self._lock:
            state = self._states.get(library_id) or ScanState(library_id, False, "idle", 0, 0, None, None)
            report = state.last_report or ScanReport(library_id)
            errors = (*(e for e in report.errors if e.path != path), issue)
            self._states[library_id] = replace(state, last_report=replace(report, errors=errors))

    def rescan_soon(self, library_id: str) -> None:
        """A file was found changed when it was opened for a viewer: scan its library again."""
        self._changed(library_id)

    def _changed(self, library_id: str) -> None:
        library = next((lib for lib in self._libraries.all_for_system() if lib.id == library_id), None)
        if library is None or self._stop.is_set():
            return
        self.start_for_system(library, again_if_running=True)

    def resume(self, library_id: str) -> bool:
        """A scan another node began and never finished (it died): start one here, unless one runs here."""
        library = next((lib for lib in self._libraries.all_for_system() if lib.id == library_id), None)
        if library is None or self._stop.is_set():
            return False
        return self.start_for_system(library)

    def state_of(self, library_id: str) -> ScanState:
        with self._lock:
            return self.state_of_locked(library_id)

    def state_of_locked(self, library_id: str) -> ScanState:
        return self._states.get(library_id) or ScanState(library_id, False, "idle", 0, 0, None, None)

    def state(self, actor: Actor, library_id: str) -> ScanState | ScanStatus:
        library = self._libraries.get(actor, library_id)
        state = self.state_of(library.id)
        if can(actor, Action.MANAGE_LIBRARIES):
            return state
        return ScanStatus(state.library_id, state.running, state.percent)

    def start_schedule(self, interval_minutes: int) -> None:
        if interval_minutes <= 0:
            return

        def loop() -> None:
            while not self._stop.wait(interval_minutes * 60):
                if not self._claim_tick("scan-schedule", interval_minutes * 60):
                    continue
                for library in self._libraries.all_for_system():
                    self.start_for_system(library)

        self._schedule = threading.Thread(target=loop, name="scan-schedule", daemon=True)
        self._schedule.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        with self._lock:
            for waiting in self._settle_waits.values():
                waiting.set()
            for cancel in self._cancels.values():
                cancel.set()
        if self._watcher is not None:
            self._watcher.stop()
        for thread in list(self._threads.values()):
            thread.join(timeout)
