"""The folder watcher: one burst of changes names its library once, after a quiet period, and the watcher
sees only what the walker would list (no symlink out of the library, never the server's data folder)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reelhouse.domain.ids import LibraryId
from reelhouse.domain.library import Library, LibraryKind
from reelhouse.scanner.watcher import LibraryWatcher

QUIET_MS = 700


class Calls:
    def __init__(self) -> None:
        self.at: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    def __call__(self, library_id: str) -> None:
        with self._lock:
            self.at.append((library_id, time.monotonic()))

    def count(self) -> int:
        with self._lock:
            return len(self.at)


@pytest.fixture
def watching() -> Iterator[Callable[..., Calls]]:
    watchers: list[LibraryWatcher] = []

    def start(root: Path, ignore: tuple[Path, ...] = ()) -> Calls:
        library = Library(LibraryId("lib"), "Films", LibraryKind.MOVIES, (str(root),), datetime.now(UTC))
        calls = Calls()
        watcher = LibraryWatcher([library], calls, debounce_ms=QUIET_MS, ignore=ignore)
        watcher.start()
        watchers.append(watcher)
        time.sleep(0.3)  # let the watches settle before the test writes
        return calls

    yield start
    for watcher in watchers:
        watcher.stop()


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_burst_of_fifty_writes_names_the_library_once_after_the_quiet_period(
    tmp_path: Path, watching: Callable[..., Calls]
) -> None:
    root = tmp_path / "films"
    root.mkdir()
    calls = watching(root)
    for n in range(50):
        (root / f"Part {n:02d} (2001).mkv").write_bytes(b"x" * 1024)
        time.sleep(0.04)  # 2 s of steady writing: longer than the quiet period many times over
    last_write = time.monotonic()
    time.sleep(QUIET_MS / 1000 + 1.5)
    assert [library_id for library_id, _ in calls.at] == ["lib"]
    assert calls.at[0][1] - last_write >= QUIET_MS / 1000 - 0.05


def test_links_out_of_the_library_and_the_data_folder_inside_it_are_not_watched(
    tmp_path: Path, watching: Callable[..., Calls]
) -> None:
    root = tmp_path / "films"
    outside = tmp_path / "outside"
    data = root / "server-data"
    for folder in (root, outside, data / "cache"):
        folder.mkdir(parents=True)
    (root / "Elsewhere").symlink_to(outside, target_is_directory=True)
    calls = watching(root, ignore=(data, data / "cache"))
    for n in range(20):
        (outside / f"churn-{n}.mkv").write_bytes(b"x")
        (data / "reelhouse.db-wal").write_bytes(os.urandom(64))
        (data / "cache" / f"art-{n}.jpg").write_bytes(b"x")
        time.sleep(0.05)
    time.sleep(QUIET_MS / 1000 + 1.0)
    assert calls.count() == 0
    # The watcher is alive and follows the library's own new folders, contents included.
    (root / "New (2020)").mkdir()
    assert _wait_for(lambda: calls.count() == 1)
    (root / "New (2020)" / "New (2020).mkv").write_bytes(b"x")
    assert _wait_for(lambda: calls.count() == 2)
