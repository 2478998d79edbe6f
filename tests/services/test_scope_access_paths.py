"""A viewer kept to some libraries: a query that reaches its rows by id, parent or play state must not walk
the viewer's whole library through the browse index to filter them (SQLite has no statistics to know better)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from reelhouse.app import Reelhouse
from reelhouse.domain.access import LibraryScope
from reelhouse.domain.ids import LibraryId, UserId
from reelhouse.persistence.finding import ItemFinder
from tests.catalogue_factory import Row, add_rows, movie_server, synthetic_movies


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[tuple[Reelhouse, str, list[str]]]:
    server, library = movie_server(tmp_path, synthetic_movies(400))
    show = Row("A Show", kind="show")
    seasons = [Row(f"Season {n}", kind="season", parent_id=show.id, top_id=show.id, idx=n) for n in (1, 2)]
    episodes = [
        Row(f"Episode {n}", kind="episode", parent_id=s.id, top_id=show.id, idx=n, parent_idx=s.idx)
        for s in seasons
        for n in range(1, 4)
    ]
    add_rows(server.db, library.id, [show, *seasons, *episodes])
    ids = [show.id, *(s.id for s in seasons)]
    yield server, library.id, ids
    server.close()


def _plans(server: Reelhouse, run: Any) -> list[str]:
    """EXPLAIN QUERY PLAN of every statement `run` sends that reads items."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "items." in statement and not statement.startswith("EXPLAIN"):
            sent.append((statement, parameters))

    event.listen(server.db.engine, "before_cursor_execute", capture)
    try:
        with server.db.read() as conn:
            run(conn)
            return [
                " ".join(str(step) for step in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p).all())
                for s, p in sent
            ]
    finally:
        event.remove(server.db.engine, "before_cursor_execute", capture)


def test_listing_rows_by_id_never_walk_the_library(stage: tuple[Reelhouse, str, list[str]]) -> None:
    server, library_id, ids = stage
    scope = LibraryScope(
        UserId("viewer"), all_libraries=False, library_ids=frozenset({LibraryId(library_id)})
    )
    plans = _plans(server, lambda conn: ItemFinder().rows(conn, scope, ids))
    # The rows by id, child counts by parent, and episode counts by show and by season.
    assert len(plans) >= 3
    assert not [plan for plan in plans if "ix_items_browse" in plan], plans
