"""Fixtures shared across test packages: generated media, a migrated database, libraries and a scanner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reelhouse.domain.library import Library, LibraryKind
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.scanner.runner import Scanner
from tests.mediagen import MediaKit


@pytest.fixture(scope="session")
def media_kit(tmp_path_factory: pytest.TempPathFactory) -> MediaKit:
    return MediaKit(tmp_path_factory.mktemp("media-masters"))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'r.db'}")
    database.migrate()
    yield database
    database.close()


@pytest.fixture
def library_factory(db: Database, tmp_path: Path) -> Callable[..., Library]:
    """``library_factory(kind)`` makes a library over a fresh folder; pass ``roots=[...]`` to choose them."""

    def make(kind: LibraryKind, roots: list[Path] | None = None, name: str | None = None) -> Library:
        folders = roots or [tmp_path / f"lib-{kind.value}"]
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        with db.begin() as conn:
            return LibraryRepository().add(conn, name or kind.value, kind, [str(f) for f in folders])

    return make


@pytest.fixture
def scanner(db: Database, tmp_path: Path) -> Scanner:
    return Scanner(db, tmp_path / "cache", workers=1)
