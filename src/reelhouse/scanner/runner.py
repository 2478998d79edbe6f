"""The scanner: runs walk → identify → reconcile → artwork for one library and reports what changed."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection

from reelhouse.domain.library import Library, LibraryKind
from reelhouse.domain.ratings import PENDING_RANK
from reelhouse.domain.scanning import SETTLE_SECONDS, ScanIssue, ScanPhase, ScanProgress, ScanReport
from reelhouse.persistence.database import Database
from reelhouse.persistence.scanstore import ItemPatch, ScanStore, StoredFile, StoredItem
from reelhouse.scanner.artwork import ArtworkPlanner
from reelhouse.scanner.compilations import by_folder
from reelhouse.scanner.identify import IdentifyPool, Job, identify_all
from reelhouse.scanner.reconcile import CHUNK_ROWS, Reconciler
from reelhouse.scanner.walk import FoundFile, WalkResult, walk

log = logging.getLogger(__name__)
ProgressCallback = Callable[[ScanProgress], None]
# Progress callbacks at most this often: a UI needs a few a second, not one per file.
_PROGRESS_INTERVAL = 0.2
# Files missing longer than this are forgotten (with their items, if nothing else holds them): long enough for a
# disk to be away for a while, short enough that deleted media leave the catalogue.
MISSING_GRACE_SECONDS = 30 * 24 * 3600
# An extracted cover younger than this is never cleaned up: another library's scan may be about to record it.
COVER_GRACE_SECONDS = 3600


class _Reporter:
    def __init__(self, library_id: str, callback: ProgressCallback | None) -> None:
        self.library_id = library_id
        self.callback = callback
        self.last = 0.0

    def __call__(self, phase: ScanPhase, done: int, total: int, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if force or done >= total or now - self.last >= _PROGRESS_INTERVAL:
            self.last = now
            self.callback(ScanProgress(self.library_id, phase, done, total))


def _under(path: str, roots: list[str]) -> bool:
    return any(path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


class Scanner:
    def __init__(self, db: Database, cache_dir: Path, workers: int = 0) -> None:
        self.db = db
        self.cache_dir = cache_dir
        self.workers = workers or os.cpu_count() or 1
        self.store = ScanStore()
        self._pool = IdentifyPool(self.workers)

    def close(self) -> None:
        """Stop the identify worker processes; a later scan starts them again."""
        self._pool.close()

    def warm(self) -> None:
        """Start the identify workers ahead of a scan (a server can do this while it starts up)."""
        if self.workers > 1:
            self._pool.warm()

    def worker_pids(self) -> list[int]:
        """The identify worker processes now running (for CPU accounting in benchmarks)."""
        return self._pool.worker_pids()

    def scan(
        self,
        library: Library,
        full: bool = False,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> ScanReport:
        """Bring the catalogue in line with the library's folders; safe to run from any thread."""
        started = time.monotonic()
        report = _Reporter(library.id, progress)
        report(ScanPhase.WALK, 0, 0, force=True)
        walked = walk(library.roots, library.kind, cancel)
        report(ScanPhase.WALK, len(walked.files), len(walked.files), force=True)
        with self.db.read() as conn:
            stored_files = self.store.files(conn, library.id)
            stored_items = self.store.items(conn, library.id)
        jobs: list[Job] = []
        unchanged = 0

        def same(found: FoundFile) -> bool:
            stored = stored_files.get(found.path)
            return (
                not full
                and stored is not None
                and stored.missing_since is None
                and stored.size == found.size
                and stored.mtime == found.mtime
                and stored.inode in (None, found.inode)
                and stored.device in (None, found.device)
                and not stored.reprobe
            )

        kept = [same(found) for found in walked.files]
        music = library.kind == LibraryKind.MUSIC
        if music:
            # A music folder is identified whole when any file in it changed: whether its tracks without an
            # album artist make one compilation depends on all of them (scanner/compilations.py).
            dirty = {os.path.dirname(f.path) for f, k in zip(walked.files, kept, strict=True) if not k}
            kept = [
                k and os.path.dirname(f.path) not in dirty for f, k in zip(walked.files, kept, strict=True)
            ]
        for found, unchanged_file in zip(walked.files, kept, strict=True):
            if unchanged_file:
                unchanged += 1
            else:
                jobs.append(
                    Job(
                        found.path,
                        found.root,
                        found.size,
                        found.mtime,
                        library.kind,
                        found.device,
                        found.inode,
                    )
                )
        present = {f.path for f in walked.files}
        vanished = [
            s
            for s in stored_files.values()
            if s.path not in present
            and s.missing_since is None
            and not _under(s.path, walked.unavailable_roots)
        ]
        reconciler = Reconciler(self.db, self.store, library.id, stored_files, stored_items, vanished)
        errors: list[ScanIssue] = list(walked.errors)
        settling = 0
        total = len(jobs)
        report(ScanPhase.IDENTIFY, 0, total, force=True)
        results = identify_all(jobs, self._pool, cancel, lambda n: report(ScanPhase.IDENTIFY, n, total))
        for result in by_folder(results) if music else results:
            if result.error is None:
                reconciler.add(result)
            elif abs(time.time() - result.job.mtime) < SETTLE_SECONDS:
                # Half-copied: a partial file probes as broken. Its caller scans again once it is quiet.
                settling += 1
            else:
                errors.append(ScanIssue(result.job.path, result.error))
        report(ScanPhase.RECONCILE, 0, 1, force=True)
        reconciler.flush()
        tally = reconciler.tally
        # Items a cancelled scan left waiting for their rating: this scan reads it for them.
        pending = {i.id for i in stored_items if i.rating_rank == PENDING_RANK}
        tally.touched |= pending
        if cancel is not None and cancel.is_set():
            # A cancelled scan saw only part of the tree: marking the rest missing would be wrong.
            return self._report(
                library,
                walked.files,
                unchanged,
                tally.added,
                tally.updated,
                tally.moved,
                0,
                errors,
                started,
                settling,
            )
        lost = reconciler.remaining_vanished()
        now = time.time()
        changed = bool(tally.added or tally.updated or tally.moved or lost or pending)
        with self.db.begin() as conn:
            self.store.mark_missing(conn, [f.id for f in lost], now)
            purged = self.store.purge_missing(conn, library.id, now - MISSING_GRACE_SECONDS)
            if changed or purged or full:
                self.store.settle(conn, library.id)
        report(ScanPhase.RECONCILE, 1, 1, force=True)
        # Nothing written: the rows read before the scan are still the catalogue, no need to read them again.
        known = None if changed or purged else (stored_items, stored_files)
        patched, nfo_errors, nfo_tried = self._artwork(
            library, walked, tally.touched, tally.covers, full, report, known
        )
        errors.extend(nfo_errors)
        with self.db.begin() as conn:
            if changed or purged or patched or full:
                self.store.inherit_from_top(conn, library.id)
            errors.extend(self._still_refused(conn, library.id, walked, nfo_tried))
            self.store.replace_errors(conn, library.id, errors, now)
        self._clean_covers(now)
        final = self._report(
            library,
            walked.files,
            unchanged,
            tally.added,
            tally.updated,
            tally.moved,
            len(lost),
            errors,
            started,
            settling,
        )
        report(ScanPhase.DONE, 1, 1, force=True)
        return final

    def _still_refused(
        self, conn: Connection, library_id: str, walked: WalkResult, tried: set[str]
    ) -> list[ScanIssue]:
        """NFOs and .lrc files refused by an earlier scan and not read again by this one (nothing beside them
        changed): still there, still refused, so their errors stay in the list an admin sees."""
        kept = []
        for issue in self.store.errors(conn, library_id):
            if not issue.reason.startswith(("NFO ", "Lyrics file ")) or issue.path in tried:
                continue
            folder = walked.folders.get(os.path.dirname(issue.path))
            if folder is not None and os.path.basename(issue.path).casefold() in folder.sidecars:
                kept.append(issue)
        return kept

    def _clean_covers(self, now: float) -> None:
        """Delete extracted covers that no item shows any more (replaced by a folder image, album gone)."""
        folder = self.cache_dir / "artwork"
        try:
            candidates = [
                e.path
                for e in os.scandir(folder)
                if e.is_file() and e.stat().st_mtime < now - COVER_GRACE_SECONDS
            ]
        except OSError:
            return
        if not candidates:
            return
        with self.db.read() as conn:
            used = self.store.artwork_in_use(conn, str(folder) + os.sep)
        for path in candidates:
            if path not in used:
                try:
                    os.unlink(path)
                except OSError as exc:
                    log.warning("could not delete unused cover %s: %s", path, exc.strerror)

    def _artwork(
        self,
        library: Library,
        walked: WalkResult,
        touched: set[str],
        covers: dict[str, str],
        full: bool,
        report: _Reporter,
        known: tuple[list[StoredItem], dict[str, StoredFile]] | None,
    ) -> tuple[int, list[ScanIssue], set[str]]:
        if known is None:
            with self.db.read() as conn:
                items = self.store.items(conn, library.id)
                files: dict[str, StoredFile] = self.store.files(conn, library.id)
        else:
            items, files = known
        planner = ArtworkPlanner(library.roots, walked.folders, items, files, self.cache_dir, library.kind)
        patches, subtitles = planner.plan(touched, full, covers)
        total = len(patches)
        report(ScanPhase.ARTWORK, 0, total, force=True)
        for start in range(0, total, CHUNK_ROWS):
            chunk: list[ItemPatch] = patches[start : start + CHUNK_ROWS]
            chunk_files = {f: rows for p in chunk for f, rows in subtitles.get(p.id, {}).items()}
            with self.db.begin() as conn:
                self.store.patch(conn, chunk)
                self.store.replace_sidecar_subtitles(conn, chunk_files)
            report(ScanPhase.ARTWORK, min(total, start + CHUNK_ROWS), total)
        return total, planner.errors, planner.nfo_tried

    def _report(
        self,
        library: Library,
        files: list[FoundFile],
        unchanged: int,
        added: int,
        updated: int,
        moved: int,
        missing: int,
        errors: list[ScanIssue],
        started: float,
        settling: int = 0,
    ) -> ScanReport:
        return ScanReport(
            library_id=library.id,
            files_seen=len(files),
            added=added,
            updated=updated,
            unchanged=unchanged,
            moved=moved,
            missing=missing,
            errors=tuple(errors),
            seconds=round(time.monotonic() - started, 3),
            settling=settling,
        )
