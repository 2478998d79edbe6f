"""Deep pages come from anchors (and a background walk that finds them all) yet match a plain OFFSET exactly."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from reelhouse.domain.access import Actor, LibraryScope, Role
from reelhouse.domain.ids import UserId
from reelhouse.domain.library import TOP_LEVEL_KINDS, ItemQuery, ItemSort, LibraryKind
from reelhouse.domain.ratings import rank
from reelhouse.persistence.catalogue import CatalogueRepository, Listing
from reelhouse.services.catalogue import ANCHOR_EVERY
from tests.catalogue_factory import Row, add_rows, movie_server

COUNT = 2600


class World:
    def __init__(self, data_dir: Path) -> None:
        rng = random.Random(5)
        # Few distinct years and titles, so most rows tie on the sort value and the id must break the tie.
        rows = [
            Row(
                title=f"Film {rng.randrange(40)}",
                year=rng.choice((1999, 2001, 2010)),
                content_rating=rng.choice(("G", "PG", "R", None)),
                tags=("kids",) if rng.random() < 0.2 else (),
            )
            for _ in range(COUNT)
        ]
        self.server, self.library = movie_server(data_dir, rows)
        scope = LibraryScope(
            user_id=UserId("viewer"),
            all_libraries=True,
            max_rating_rank={LibraryKind.MOVIES: rank("PG") or 0},
            hide_unrated=False,
            allowed_labels=frozenset(),
            blocked_labels=frozenset({"kids"}),
        )
        self.viewer = Actor(user_id=UserId("viewer"), username="viewer", role=Role.MEMBER, scope=scope)

    def reference(self, sort: ItemSort, descending: bool) -> list[str]:
        """The whole ordering read with a plain OFFSET, no anchors involved."""
        repository = CatalogueRepository()
        query = ItemQuery(limit=500, sort=sort, descending=descending)
        found: list[str] = []
        with self.server.db.read() as conn:
            labels = repository.labels_in_use(conn)
            kinds = TOP_LEVEL_KINDS[self.library.kind]
            while True:
                listing = Listing(
                    self.viewer.scope, self.library, kinds, replace(query, offset=len(found)), labels
                )
                page = repository.browse(conn, listing)
                found += [item.id for item in page]
                if len(page) < query.limit:
                    return found

    def page(self, offset: int, sort: ItemSort, descending: bool, limit: int = 37) -> list[str]:
        query = ItemQuery(limit=limit, offset=offset, sort=sort, descending=descending)
        return [
            item.id
            for item in self.server.services.catalogue.browse(self.viewer, self.library.id, query).items
        ]


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.server.close()


def _wait_for_walks(world: World) -> None:
    deadline = time.monotonic() + 20
    while world.server.services.catalogue._filling and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not world.server.services.catalogue._filling


@pytest.mark.parametrize("sort", list(ItemSort))
@pytest.mark.parametrize("descending", [False, True])
def test_pages_jumped_to_in_any_order_match_a_plain_offset(
    world: World, sort: ItemSort, descending: bool
) -> None:
    expected = world.reference(sort, descending)
    assert len(expected) > 2 * ANCHOR_EVERY, "the viewer sees enough rows for several anchors"
    offsets = [*range(0, len(expected) + 40, 37), ANCHOR_EVERY - 1, ANCHOR_EVERY, 2 * ANCHOR_EVERY + 1]
    random.Random(sort.value).shuffle(offsets)
    for number, offset in enumerate(offsets):
        if number == len(offsets) // 2:
            _wait_for_walks(world)  # the second half is served from the background walk's anchors
        assert world.page(offset, sort, descending) == expected[offset : offset + 37], offset


def test_the_background_walk_finds_every_anchor_of_the_ordering(world: World) -> None:
    expected = world.reference(ItemSort.TITLE, False)
    world.page(2 * ANCHOR_EVERY + 3, ItemSort.TITLE, False)
    _wait_for_walks(world)
    anchors = {
        key: value
        for key, value in world.server.services.catalogue._totals._entries.items()
        if isinstance(key, tuple) and ItemSort.TITLE in key
    }
    (found,) = (value for _, value in anchors.values())
    assert sorted(found) == list(range(len(expected) // ANCHOR_EVERY))
    assert [found[block][1] for block in sorted(found)] == expected[ANCHOR_EVERY - 1 :: ANCHOR_EVERY]


def test_a_catalogue_change_drops_anchors_so_pages_follow_the_new_rows(world: World) -> None:
    world.page(3 * ANCHOR_EVERY, ItemSort.TITLE, False)
    _wait_for_walks(world)
    add_rows(
        world.server.db, world.library.id, [Row(title=f"Aaa {i}", content_rating="G") for i in range(300)]
    )
    world.server.services.catalogue.catalogue_changed()
    expected = world.reference(ItemSort.TITLE, False)
    for offset in (3 * ANCHOR_EVERY, ANCHOR_EVERY + 10, 0):
        assert world.page(offset, ItemSort.TITLE, False) == expected[offset : offset + 37]
