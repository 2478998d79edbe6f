"""The scan service: watched folders trigger a rescan, and a change during a scan is not lost."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reelhouse.app import Reelhouse
from reelhouse.config import load_config
from reelhouse.domain.access import system_actor
from reelhouse.domain.library import ItemQuery
from reelhouse.scanner.watcher import LibraryWatcher
from tests.mediagen import MediaKit


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Reelhouse]:
    built = Reelhouse(
        load_config(environ={}, overrides={"data_dir": tmp_path / "data", "demo_library": False})
    )
    yield built
    built.close()


def _wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_new_file_in_a_watched_library_is_scanned_without_asking(
    server: Reelhouse, tmp_path: Path, media_kit: MediaKit
) -> None:
    root = tmp_path / "movies"
    root.mkdir()
    actor = system_actor()
    library = server.services.libraries.add(actor, "Movies", "movies", [str(root)])
    server.services.scanning.watch(lambda libs, changed: LibraryWatcher(libs, changed, debounce_ms=200))
    (root / "Arrival (2016)").mkdir()
    shutil.copy(media_kit.master("video.mp4"), root / "Arrival (2016)" / "Arrival (2016).mp4")

    def titles() -> list[str]:
        return [i.title for i in server.services.catalogue.browse(actor, library.id, ItemQuery()).items]

    assert _wait_for(lambda: titles() == ["Arrival"])


def test_a_library_added_later_is_watched_too(server: Reelhouse, tmp_path: Path, media_kit: MediaKit) -> None:
    actor = system_actor()
    server.services.scanning.watch(lambda libs, changed: LibraryWatcher(libs, changed, debounce_ms=200))
    root = tmp_path / "later"
    root.mkdir()
    library = server.services.libraries.add(actor, "Later", "movies", [str(root)])
    server.services.scanning.start_for_system(library)
    assert _wait_for(lambda: not server.services.scanning.state_of(library.id).running)
    shutil.copy(media_kit.master("video.mp4"), root / "Heat (1995).mp4")
    assert _wait_for(
        lambda: (
            [i.title for i in server.services.catalogue.browse(actor, library.id, ItemQuery()).items]
            == ["Heat"]
        )
    )
