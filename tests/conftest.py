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
from tests.postgres import PostgresServer, choose, chosen_database_url


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the database behind the `db` fixture: sqlite (default) or a throwaway PostgreSQL",
    )


@pytest.fixture(scope="session")
def media_kit(tmp_path_factory: pytest.TempPathFactory) -> MediaKit:
    return MediaKit(tmp_path_factory.mktemp("media-masters"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL for the session; fails (never skips) when Debian's binaries are missing."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _postgres_database(server: PostgresServer, migrated: bool) -> Iterator[str]:
    name, url = server.fresh(migrated)
    yield url
    server.drop(name)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh PostgreSQL database at the migrations' head, dropped after the test."""
    yield from _postgres_database(postgres_server, migrated=True)


@pytest.fixture
def postgres_empty_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database (no tables, not migrated), dropped after the test."""
    yield from _postgres_database(postgres_server, migrated=False)


@pytest.fixture(autouse=True)
def _chosen_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """With `--database=postgresql`, every test gets a fresh migrated PostgreSQL database, which
    RunningServer, the `db` fixture and the CLI helpers use instead of SQLite in the data folder."""
    if request.config.getoption("--database") != "postgresql":
        yield
        return
    choose(str(request.getfixturevalue("postgres_url")))
    try:
        yield
    finally:
        choose(None)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A migrated database's URL: SQLite in tmp_path, or PostgreSQL with `pytest --database=postgresql`."""
    chosen = chosen_database_url()
    if chosen is not None:
        return chosen
    url = f"sqlite:///{tmp_path / 'r.db'}"
    database = Database(url)
    database.migrate()
    database.close()
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
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
