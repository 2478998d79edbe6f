"""Automatic rescans: watch library folders and name the library to rescan once changes settle."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable

import watchfiles

from reelhouse.domain.library import Library

log = logging.getLogger(__name__)
DEBOUNCE_MS = 2000


class LibraryWatcher:
    """Runs one background thread; ``on_change(library_id)`` is called after a quiet period of ``debounce_ms``."""

    def __init__(
        self, libraries: Iterable[Library], on_change: Callable[[str], None], debounce_ms: int = DEBOUNCE_MS
    ) -> None:
        self._roots: list[tuple[str, str]] = sorted(
            ((os.path.abspath(root), library.id) for library in libraries for root in library.roots),
            key=lambda pair: -len(pair[0]),
        )
        self._on_change = on_change
        self._debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def library_of(self, path: str) -> str | None:
        for root, library_id in self._roots:
            if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
                return library_id
        return None

    def start(self) -> None:
        paths = [root for root, _ in self._roots if os.path.isdir(root)]
        if not paths or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, args=(paths,), name="library-watcher", daemon=True)
        self._thread.start()

    def _run(self, paths: list[str]) -> None:
        try:
            for changes in watchfiles.watch(
                *paths,
                debounce=self._debounce_ms,
                stop_event=self._stop,
                recursive=True,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                changed = {self.library_of(path) for _, path in changes}
                for library_id in sorted(i for i in changed if i is not None):
                    try:
                        self._on_change(library_id)
                    except Exception:
                        log.exception("rescan request for library %s failed", library_id)
        except Exception:
            log.exception("the folder watcher stopped; scheduled scans continue")

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
