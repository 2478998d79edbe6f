"""The list of libraries is reused for a moment (LibraryService.LIST_SECONDS), since every client-app listing
starts from it: a change made through the service shows at once, one made by another process within that
moment, and who sees which library is decided on every call, never kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.app import Reelhouse
from reelhouse.config import load_config
from reelhouse.domain.access import Actor, LibraryScope, Role, system_actor
from reelhouse.domain.ids import LibraryId, UserId
from reelhouse.persistence.audit import AuditRepository
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.services import libraries as library_service
from reelhouse.services.audit import AuditService
from reelhouse.services.libraries import LibraryService


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Reelhouse]:
    found = Reelhouse(
        load_config(environ={}, overrides={"data_dir": tmp_path / "data", "demo_library": False})
    )
    yield found
    found.close()


def _folder(tmp_path: Path, name: str) -> str:
    (tmp_path / name).mkdir()
    return str(tmp_path / name)


def _names(service: LibraryService, who: Actor) -> list[str]:
    return sorted(lib.name for lib in service.visible(who))


def test_changes_made_here_are_listed_at_once(server: Reelhouse, tmp_path: Path) -> None:
    service, owner = server.services.libraries, system_actor()
    films = service.add(owner, "Films", "movies", [_folder(tmp_path, "films")])
    assert _names(service, owner) == ["Films"]
    service.add(owner, "Music", "music", [_folder(tmp_path, "music")])
    assert _names(service, owner) == ["Films", "Music"]
    assert [lib.seek_previews for lib in service.visible(owner) if lib.name == "Films"] == [True]
    service.set_seek_previews(owner, films.id, False)
    assert [lib.seek_previews for lib in service.visible(owner) if lib.name == "Films"] == [False]
    service.remove(owner, films.id)
    assert _names(service, owner) == ["Music"]


def test_a_library_another_process_adds_is_listed_within_the_moment(
    server: Reelhouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library_service, "LIST_SECONDS", 0.3)
    service, owner = server.services.libraries, system_actor()
    assert _names(service, owner) == []
    # The CLI's own service over the same database: nothing tells this process.
    other = LibraryService(server.db, LibraryRepository(), AuditService(server.db, AuditRepository()))
    other.add(owner, "Shows", "shows", [_folder(tmp_path, "shows")])
    time.sleep(0.35)
    assert _names(service, owner) == ["Shows"]


def test_who_sees_which_library_is_decided_on_every_call(server: Reelhouse, tmp_path: Path) -> None:
    service, owner = server.services.libraries, system_actor()
    films = service.add(owner, "Films", "movies", [_folder(tmp_path, "films")])
    service.add(owner, "Kids", "movies", [_folder(tmp_path, "kids")])
    assert _names(service, owner) == ["Films", "Kids"]  # the list is now kept
    member = Actor(
        UserId("m"), "m", Role.MEMBER, LibraryScope(UserId("m"), False, frozenset({LibraryId(films.id)}))
    )
    assert _names(service, member) == ["Films"]
    nobody = Actor(UserId("n"), "n", Role.MEMBER, LibraryScope(UserId("n"), False, frozenset()))
    assert _names(service, nobody) == []
