"""A running server whose data folder a library links to does not rescan itself in a loop: the server writes
its database there all the time, and the watcher must not follow a link the walker refuses."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reelhouse.domain.access import Role, system_actor
from reelhouse.domain.library import ItemQuery
from tests.harness import RunningServer
from tests.mediagen import MediaKit

WINDOW_SECONDS = 10.0


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_link_to_the_data_folder_causes_no_rescan_storm(
    tmp_path: Path, media_kit: MediaKit, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "movies"
    root.mkdir()
    shutil.copy(media_kit.master("video.mp4"), root / "Heat (1995).mp4")
    data = tmp_path / "data"
    data.mkdir()
    (root / "Server data").symlink_to(data, target_is_directory=True)
    running = RunningServer(data)
    try:
        server = running.server
        actor = system_actor()
        library = server.services.libraries.add(actor, "Movies", "movies", [str(root)])
        server.services.scanning.start_for_system(library)
        assert _wait_for(lambda: not server.services.scanning.state_of(library.id).running)
        server.watch_libraries()
        running.create_user("owner", Role.OWNER)
        caplog.set_level(logging.INFO, logger="reelhouse.services.scanning")
        caplog.clear()
        deadline = time.monotonic() + WINDOW_SECONDS
        while time.monotonic() < deadline:
            running.sign_in("owner")  # a session and an audit entry: database writes in the data folder
            time.sleep(0.2)
        scans = [r for r in caplog.records if r.getMessage().startswith("scanned ")]
        assert len(scans) <= 1, [r.getMessage() for r in scans]
        # Still watching: a real change in the library is picked up.
        shutil.copy(media_kit.master("video.mp4"), root / "Ronin (1998).mp4")
        assert _wait_for(
            lambda: (
                sorted(
                    i.title for i in server.services.catalogue.browse(actor, library.id, ItemQuery()).items
                )
                == ["Heat", "Ronin"]
            )
        )
    finally:
        running.stop()
        running.server.close()
