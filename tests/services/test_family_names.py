"""Listings take their parents' and top items' names from FamilyNames (persistence/family_names.py), kept per
catalogue version: a page of albums is then one statement, and a renamed artist shows as soon as the catalogue
changes, after the TTL when another process renamed it, and never under a version newer than its read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update

from reelhouse.app import Reelhouse
from reelhouse.config import load_config
from reelhouse.domain.access import system_actor
from reelhouse.domain.finding import FindQuery, Needs
from reelhouse.domain.library import ItemKind
from reelhouse.persistence import family_names
from reelhouse.persistence.family_names import FamilyNames
from reelhouse.persistence.schema import items
from tests.catalogue_factory import Row, add_rows

ALBUMS = FindQuery(kinds=frozenset({ItemKind.ALBUM}))
TRACKS = FindQuery(kinds=frozenset({ItemKind.TRACK}))
LISTING = Needs(leaves=False)


@pytest.fixture
def music(tmp_path: Path) -> Iterator[tuple[Reelhouse, dict[str, Row]]]:
    server = Reelhouse(
        load_config(environ={}, overrides={"data_dir": tmp_path / "data", "demo_library": False})
    )
    root = tmp_path / "music"
    root.mkdir()
    library = server.services.libraries.add(system_actor(), "Music", "music", [str(root)])
    artist = Row("The Band", kind="artist")
    album = Row("First Light", kind="album", parent_id=artist.id, top_id=artist.id)
    track = Row("Song", kind="track", parent_id=album.id, top_id=artist.id, idx=1)
    add_rows(server.db, library.id, [artist, album, track])
    yield server, {"artist": artist, "album": album, "track": track}
    server.close()


def _rename(server: Reelhouse, item_id: str, title: str) -> None:
    with server.db.begin() as conn:
        conn.execute(update(items).where(items.c.id == item_id).values(title=title))


def _names(server: Reelhouse, query: FindQuery = ALBUMS) -> list[tuple[str | None, str | None]]:
    page = server.services.catalogue.find(system_actor(), query, LISTING)
    return [(f.parent_title, f.top_title) for f in page.items]


def _lookups(server: Reelhouse, query: FindQuery) -> tuple[list[tuple[str | None, str | None]], int]:
    """A listing's names, and how many statements looked names up by id."""
    sent: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(server.db.engine, "before_cursor_execute", capture)
    try:
        found = _names(server, query)
    finally:
        event.remove(server.db.engine, "before_cursor_execute", capture)
    lookup = "SELECT items.id, items.title FROM items WHERE items.id IN"
    return found, sum(s.startswith(lookup) for s in sent)


def test_a_listing_names_parents_and_tops_and_reads_each_name_once(
    music: tuple[Reelhouse, dict[str, Row]],
) -> None:
    server, _ = music
    assert _lookups(server, TRACKS) == ([("First Light", "The Band")], 1)
    assert _lookups(server, TRACKS) == ([("First Light", "The Band")], 0)
    # The album's artist is its parent and its top, already known.
    assert _lookups(server, ALBUMS) == ([("The Band", "The Band")], 0)


def test_a_rename_shows_once_the_catalogue_changes(music: tuple[Reelhouse, dict[str, Row]]) -> None:
    server, rows = music
    assert _names(server) == [("The Band", "The Band")]
    _rename(server, rows["artist"].id, "The New Band")
    server.services.catalogue.catalogue_changed()
    assert _names(server) == [("The New Band", "The New Band")]


def test_a_rename_by_another_process_shows_after_the_ttl(
    music: tuple[Reelhouse, dict[str, Row]], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, rows = music
    assert _names(server) == [("The Band", "The Band")]
    _rename(server, rows["artist"].id, "The New Band")
    now = family_names.time.monotonic()
    monkeypatch.setattr(family_names.time, "monotonic", lambda: now + FamilyNames.TTL + 1)
    assert _names(server) == [("The New Band", "The New Band")]


def test_names_read_before_a_change_are_not_kept_after_it(music: tuple[Reelhouse, dict[str, Row]]) -> None:
    server, rows = music
    artist = rows["artist"].id
    names = FamilyNames()
    before = names.current()
    names.clear()
    # A listing whose snapshot predates the change reads the old name, and the change lands meanwhile.
    with server.db.read() as conn:
        assert before.titles(conn, {artist}) == {artist: "The Band"}
    _rename(server, artist, "The New Band")
    with server.db.read() as conn:
        assert names.current().titles(conn, {artist}) == {artist: "The New Band"}
