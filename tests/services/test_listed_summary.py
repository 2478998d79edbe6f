"""The finder reads a listed row's summary by position (finding._listed_summary); it must read exactly what
the catalogue's own summaries read by name (catalogue._summary), every field of every kind of row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from reelhouse.domain.access import owner_scope
from reelhouse.domain.finding import Needs
from reelhouse.domain.ids import UserId
from reelhouse.domain.library import LibraryKind
from reelhouse.persistence.catalogue import CatalogueRepository
from reelhouse.persistence.finding import ItemFinder
from reelhouse.persistence.schema import items
from tests.catalogue_factory import Row, add_rows


def test_a_listed_rows_summary_is_the_catalogues_summary(db: Any, library_factory: Any) -> None:
    library = library_factory(LibraryKind.MUSIC)
    artist = Row("Ann", kind="artist", poster="/covers/ann.jpg")
    album = Row("Blue", kind="album", parent_id=artist.id, top_id=artist.id, year=1999, idx=2, rating=7.5)
    track = Row("One", kind="track", parent_id=album.id, top_id=artist.id, idx=1, parent_idx=2)
    photo = Row("Beach", kind="photo", content_rating="PG")
    add_rows(db, library.id, [artist, album, track, photo])
    with db.begin() as conn:
        conn.execute(update(items).where(items.c.id == photo.id).values(taken_at=1_600_000_000.5))
        conn.execute(update(items).where(items.c.id == track.id).values(missing=True))
    ids = [artist.id, album.id, track.id, photo.id]
    with db.read() as conn:
        by_name = CatalogueRepository().summaries(conn, ids)
        found = ItemFinder().rows(conn, owner_scope(UserId("owner")), ids, Needs(leaves=False))
    assert [f.summary for f in found] == by_name
    assert by_name[2].missing and by_name[3].taken_at is not None and by_name[0].has_artwork
