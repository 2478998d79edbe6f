"""Automatic rescans: watch library folders and name the library to rescan once its changes settle.

The watcher sees exactly the folders the walker would list: hidden folders are skipped, a symlink is followed
only when it leads inside its library's own folders, and the server's data and cache folders are never
watched. Each folder is watched on its own (not recursively), because a recursive watch follows every symlink
it meets; when folders appear or vanish the set is planned again. A library is named only after a quiet
period with no change in it, so one burst of changes (a copy, an unpacked album) makes one scan.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import watchfiles

from reelhouse.domain.library import Library
from reelhouse.scanner.walk import inside_folders

log = logging.getLogger(__name__)
DEBOUNCE_MS = 3000
# A library that never falls quiet (a long download into it) is still rescanned this often.
MAX_WAIT_SECONDS = 300.0
# How often the loop wakes without events, to see whether a quiet period has ended.
_TICK_MS = 200


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def plan_folders(libraries: Iterable[Library], ignore: Iterable[str | Path] = ()) -> dict[str, str]:
    """Every folder to watch → the library it belongs to, following the walker's rules (scanner/walk.py)."""
    ignored = [os.path.realpath(folder) for folder in ignore]
    roots = sorted(
        ((os.path.abspath(root), library) for library in libraries for root in library.roots),
        key=lambda pair: -len(pair[0]),
    )
    planned: dict[str, str] = {}
    seen: set[tuple[int, int]] = set()
    for root, library in roots:
        real_roots = [os.path.realpath(r) for r in library.roots]
        real_root = os.path.realpath(root)
        # The data folder only counts when it lies inside this root; a library inside it (the demo) is kept.
        skip = [folder for folder in ignored if not _inside(real_root, folder) or folder == real_root]
        stack = [(root, real_root)]
        while stack:
            folder, real = stack.pop()
            if any(_inside(real, s) for s in skip):
                continue
            try:
                info = os.stat(folder)
                entries = list(os.scandir(folder))
            except OSError:
                continue
            if (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            planned[folder] = library.id
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    if not entry.is_dir(follow_symlinks=True):
                        continue
                except OSError:
                    continue
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if inside_folders(target, real_roots):
                        # Watch the target itself, so nothing below has to follow the link again.
                        stack.append((target, target))
                else:
                    stack.append((entry.path, os.path.join(real, entry.name)))
    return planned


class LibraryWatcher:
    """Runs one background thread; ``on_change(library_id)`` is called once a library has had no change for
    ``debounce_ms`` (its quiet period)."""

    def __init__(
        self,
        libraries: Iterable[Library],
        on_change: Callable[[str], None],
        debounce_ms: int = DEBOUNCE_MS,
        ignore: Iterable[str | Path] = (),
        max_wait: float = MAX_WAIT_SECONDS,
    ) -> None:
        self._libraries = list(libraries)
        self._ignore = list(ignore)
        self._on_change = on_change
        self._quiet = debounce_ms / 1000
        self._max_wait = max_wait
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._folders: dict[str, str] = {}
        # Library → (first change, latest change) since it was last named.
        self._waiting: dict[str, tuple[float, float]] = {}

    def library_of(self, path: str) -> str | None:
        """The library a reported path belongs to: its own folder's, or its own when it is a watched folder."""
        return self._folders.get(path) or self._folders.get(os.path.dirname(path))

    def start(self) -> None:
        if self._thread is not None:
            return
        self._folders = plan_folders(self._libraries, self._ignore)
        if not self._folders:
            return
        self._thread = threading.Thread(target=self._run, name="library-watcher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._watch_until_folders_change()
                if self._stop.is_set():
                    return
                self._folders = plan_folders(self._libraries, self._ignore)
                if not self._folders:
                    self._stop.wait(_TICK_MS / 1000)
        except Exception:
            log.exception("the folder watcher stopped; scheduled scans continue")

    def _watch_until_folders_change(self) -> None:
        try:
            for changes in watchfiles.watch(
                *self._folders,
                watch_filter=None,
                debounce=_TICK_MS,
                step=50,
                stop_event=self._stop,
                rust_timeout=_TICK_MS,
                yield_on_timeout=True,
                recursive=False,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                replan = self._note(changes)
                self._name_quiet_libraries()
                if replan:
                    return
        except FileNotFoundError:
            return  # a folder vanished between planning and watching: plan again
        self._name_quiet_libraries()

    def _note(self, changes: set[tuple[watchfiles.Change, str]]) -> bool:
        """Record which libraries changed; True when the set of folders to watch may have changed."""
        now = time.monotonic()
        replan = False
        for change, path in changes:
            if os.path.basename(path).startswith("."):
                continue
            library_id = self.library_of(path)
            if library_id is None:
                continue
            first, _ = self._waiting.get(library_id, (now, now))
            self._waiting[library_id] = (first, now)
            if path in self._folders or (change != watchfiles.Change.deleted and os.path.isdir(path)):
                replan = True
        return replan

    def _name_quiet_libraries(self) -> None:
        now = time.monotonic()
        for library_id, (first, latest) in sorted(self._waiting.items()):
            if now - latest < self._quiet and now - first < self._max_wait:
                continue
            del self._waiting[library_id]
            try:
                self._on_change(library_id)
            except Exception:
                log.exception("rescan request for library %s failed", library_id)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
