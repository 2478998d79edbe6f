"""The first start with the default settings: the demo library is generated inside the data folder and added, while
every other folder in or around the data folder is still refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelhouse.app import Reelhouse
from reelhouse.config import load_config
from reelhouse.domain.access import system_actor
from reelhouse.errors import InvalidInput
from reelhouse.serving import prepare_first_run


def test_the_first_start_adds_the_demo_libraries_and_still_guards_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Reelhouse(load_config(environ={}, overrides={"data_dir": data, "demo_library": True}))
    try:
        assert prepare_first_run(server) is not None  # the setup code: nobody owns the server yet
        libraries = server.services.libraries
        names = sorted(library.name for library in libraries.all_for_system())
        assert names and all(name.startswith("Demo ") for name in names), names
        owner = system_actor("test")
        for folder in (data, data / "certificates", data / "demo" / ".." / "certificates", tmp_path):
            folder.mkdir(parents=True, exist_ok=True)
            with pytest.raises(InvalidInput, match="data folder"):
                libraries.add(owner, "Keys", "movies", [str(folder)])
    finally:
        server.close()
