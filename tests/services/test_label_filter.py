"""Label and rating filters in SQL agree with a plain reading of the grants, label-mask collisions included."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from reelhouse.app import Reelhouse
from reelhouse.config import load_config
from reelhouse.domain.access import Actor, LibraryScope, Role, label_mask, system_actor
from reelhouse.domain.ids import UserId
from reelhouse.domain.library import ItemKind, ItemQuery, ItemSort, LibraryKind
from reelhouse.domain.ratings import rank
from reelhouse.persistence.catalogue import CatalogueRepository, Listing
from reelhouse.persistence.scanstore import ScanStore
from reelhouse.persistence.schema import items
from tests.catalogue_factory import Row, add_rows, movie_server

# Two pairs of labels share a mask bit, so the filters must confirm a set bit before they trust it.
POOL = ("kids", "horror", "favourite", "label2", "4k", "label5")
RATINGS = ("G", "PG", "PG-13", "R", None)
CAPS = (None, "PG", "PG-13")


def test_the_label_pool_really_has_colliding_labels() -> None:
    assert label_mask(["favourite"]) == label_mask(["label2"])
    assert label_mask(["4k"]) == label_mask(["label5"])
    assert label_mask(["kids"]) != label_mask(["horror"])


class World:
    def __init__(self, data_dir: Path) -> None:
        rng = random.Random(11)
        self.rows = [
            Row(
                title=f"Film {i}",
                content_rating=rng.choice(RATINGS),
                tags=tuple(label for label in POOL if rng.random() < 0.25),
            )
            for i in range(240)
        ]
        self.server, self.library = movie_server(data_dir, self.rows)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = World(tmp_path_factory.mktemp("labels"))
    yield made
    made.server.close()


def _scope(
    blocked: frozenset[str], allowed: frozenset[str], cap: str | None, hide_unrated: bool
) -> LibraryScope:
    caps = {} if cap is None else {LibraryKind.MOVIES: rank(cap) or 0}
    return LibraryScope(
        user_id=UserId("viewer"),
        all_libraries=True,
        max_rating_rank=caps,
        hide_unrated=hide_unrated,
        allowed_labels=allowed,
        blocked_labels=blocked,
    )


def _expected(world: World, scope: LibraryScope) -> set[str]:
    cap = scope.max_rating_rank.get(LibraryKind.MOVIES)
    seen = set()
    for row in world.rows:
        row_rank = rank(row.content_rating)
        if row_rank is None and scope.hide_unrated:
            continue
        if cap is not None and row_rank is not None and row_rank > cap:
            continue
        if scope.blocked_labels & set(row.tags):
            continue
        if scope.allowed_labels and not scope.allowed_labels & set(row.tags):
            continue
        seen.add(row.id)
    return seen


labels = st.frozensets(st.sampled_from(POOL), max_size=3)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(labels, labels, st.sampled_from(CAPS), st.booleans())
def test_browse_and_count_show_exactly_what_the_grants_allow(
    world: World, blocked: frozenset[str], allowed: frozenset[str], cap: str | None, hide_unrated: bool
) -> None:
    scope = _scope(blocked, allowed, cap, hide_unrated)
    viewer = Actor(user_id=UserId("viewer"), username="viewer", role=Role.MEMBER, scope=scope)
    page = world.server.services.catalogue.browse(viewer, world.library.id, ItemQuery(limit=500))
    assert {item.id for item in page.items} == _expected(world, scope)
    assert page.total == len(_expected(world, scope))


@SETTINGS
@given(labels, labels, st.frozensets(st.sampled_from(POOL)), st.sampled_from(list(ItemSort)))
def test_a_stale_list_of_labels_in_use_can_hide_more_but_never_show_more(
    world: World, blocked: frozenset[str], allowed: frozenset[str], known: frozenset[str], sort: ItemSort
) -> None:
    scope = _scope(blocked, allowed, None, False)
    listing = Listing(scope, world.library, (ItemKind.MOVIE,), ItemQuery(limit=500, sort=sort), known)
    with world.server.db.read() as conn:
        shown = {item.id for item in CatalogueRepository().browse(conn, listing)}
    expected = _expected(world, scope)
    assert shown <= expected
    if known >= set(POOL):
        assert shown == expected


def test_rows_carry_the_mask_of_their_labels(world: World) -> None:
    with world.server.db.read() as conn:
        masks = dict(conn.execute(select(items.c.id, items.c.label_mask)).all())
    for row in world.rows:
        assert masks[row.id] == label_mask(row.tags)


def test_episodes_inherit_their_shows_label_mask(tmp_path: Path) -> None:
    server = Reelhouse(
        load_config(environ={}, overrides={"data_dir": tmp_path / "data", "demo_library": False})
    )
    try:
        root = tmp_path / "shows"
        root.mkdir()
        library = server.services.libraries.add(system_actor(), "Shows", "shows", [str(root)])
        show = Row(title="A Show", kind="show", tags=("kids",))
        episodes = [Row(title=f"Ep {i}", kind="episode", parent_id=show.id, top_id=show.id) for i in (1, 2)]
        add_rows(server.db, library.id, [show, *episodes])
        with server.db.begin() as conn:
            conn.execute(update(items).where(items.c.top_id == show.id).values(label_mask=0))
            ScanStore().inherit_from_top(conn, library.id)
        with server.db.read() as conn:
            masks = dict(conn.execute(select(items.c.id, items.c.label_mask)).all())
        assert masks[show.id] == 0  # the top item's own mask is the source, so it stays as written
        assert all(masks[e.id] == 0 for e in episodes)
        with server.db.begin() as conn:
            conn.execute(update(items).where(items.c.id == show.id).values(label_mask=label_mask(["kids"])))
            ScanStore().inherit_from_top(conn, library.id)
        with server.db.read() as conn:
            masks = dict(conn.execute(select(items.c.id, items.c.label_mask)).all())
        assert all(masks[e.id] == label_mask(["kids"]) for e in episodes)
    finally:
        server.close()
