"""People, collections and lyrics of items: every read that can reach past one item goes through a scope."""

from __future__ import annotations

import json

from sqlalchemy import Connection, and_, case, exists, func, or_, select

from reelhouse.domain.access import LibraryScope
from reelhouse.domain.people import (
    Appearance,
    Collection,
    CollectionCard,
    CollectionDetail,
    Credit,
    LyricLine,
    Lyrics,
    PersonDetail,
    PersonHit,
)
from reelhouse.persistence.catalogue import (
    _SUMMARY_COLUMNS,
    _escape_like,
    _summary,
    scope_clause,
    search_tokens,
)
from reelhouse.persistence.portable import json_field
from reelhouse.persistence.schema import (
    collections,
    item_collections,
    item_lyrics,
    item_people,
    items,
    people,
)

_KIND_ORDER = {"actor": 0, "director": 1, "writer": 2}


class PeopleRepository:
    def credits(self, conn: Connection, item_id: str) -> list[Credit]:
        """The item's credits; the caller has already found the item through the viewer's scope."""
        rows = conn.execute(
            select(
                item_people.c.person_id,
                people.c.name,
                item_people.c.kind,
                item_people.c.role,
                item_people.c.position,
                item_people.c.photo,
            )
            .join(people, people.c.id == item_people.c.person_id)
            .where(item_people.c.item_id == item_id)
        ).all()
        found = [Credit(r[0], r[1], r[2], r[3], r[4], r[5] is not None) for r in rows]
        found.sort(key=lambda c: (_KIND_ORDER.get(c.kind, 9), c.order, c.name.casefold()))
        return found

    def collection(self, conn: Connection, item_id: str) -> Collection | None:
        row = conn.execute(
            select(collections.c.id, collections.c.name)
            .join(item_collections, item_collections.c.collection_id == collections.c.id)
            .where(item_collections.c.item_id == item_id)
        ).first()
        return None if row is None else Collection(row[0], row[1])

    def collection_detail(
        self, conn: Connection, scope: LibraryScope, collection_id: str
    ) -> CollectionDetail | None:
        """None when the collection holds nothing this scope shows: hidden and absent answer alike."""
        name = conn.execute(
            select(collections.c.name).where(collections.c.id == collection_id)
        ).scalar_one_or_none()
        if name is None:
            return None
        rows = conn.execute(
            select(*_SUMMARY_COLUMNS)
            .join(item_collections, item_collections.c.item_id == items.c.id)
            .where(
                item_collections.c.collection_id == collection_id, scope_clause(scope, library_index=False)
            )
            # Release order: the year, then the NFO's premiere date within a year; undated films last.
            .order_by(
                items.c.year.is_(None),
                items.c.year,
                func.coalesce(json_field(items.c.extra, "premiered"), "~"),
                items.c.sort_title,
                items.c.id,
            )
        ).all()
        if not rows:
            return None
        return CollectionDetail(collection_id, name, tuple(_summary(r) for r in rows))

    def library_collections(
        self, conn: Connection, scope: LibraryScope, library_id: str
    ) -> list[CollectionCard]:
        """The collections with at least one item of this library that the scope shows, by name."""
        visible = and_(
            items.c.library_id == library_id,
            scope_clause(scope, library_index=False),
        )
        with_poster = func.max(case((items.c.poster.is_not(None), items.c.id), else_=None))
        rows = conn.execute(
            select(collections.c.id, collections.c.name, func.count(items.c.id), with_poster)
            .join(item_collections, item_collections.c.collection_id == collections.c.id)
            .join(items, items.c.id == item_collections.c.item_id)
            .where(visible)
            .group_by(collections.c.id, collections.c.name, collections.c.name_key)
            .order_by(collections.c.name_key)
        ).all()
        return [CollectionCard(r[0], r[1], r[2], r[3]) for r in rows]

    def person(self, conn: Connection, scope: LibraryScope, person_id: str) -> PersonDetail | None:
        """None when the person appears in nothing this scope shows: hidden and absent answer alike."""
        name = conn.execute(select(people.c.name).where(people.c.id == person_id)).scalar_one_or_none()
        if name is None:
            return None
        rows = conn.execute(
            select(*_SUMMARY_COLUMNS, item_people.c.kind.label("credit_kind"), item_people.c.role)
            .join(item_people, item_people.c.item_id == items.c.id)
            .where(item_people.c.person_id == person_id, scope_clause(scope, library_index=False))
            .order_by(items.c.year.desc(), items.c.sort_title, items.c.id, item_people.c.kind)
        ).all()
        if not rows:
            return None
        return PersonDetail(
            person_id, name, tuple(Appearance(_summary(r), r.credit_kind, r.role) for r in rows)
        )

    def search(self, conn: Connection, scope: LibraryScope, words: str, limit: int) -> list[PersonHit]:
        """People whose name has every word as the start of one of its words, credited on something the
        viewer may see; those with the most such credits first. Names are few beside items (a scan of the
        people table, not of the catalogue), so this reads them directly rather than through an index."""
        tokens = search_tokens(words)
        if not tokens:
            return []
        name = people.c.name_key
        starts = [
            or_(name.like(t.casefold() + "%", escape="\\"), name.like("% " + t.casefold() + "%", escape="\\"))
            for t in (_escape_like(t) for t in tokens)
        ]
        # The person's credits the viewer may see: how many, and one whose credit has their photo.
        credited = (
            select(item_people.c.item_id)
            .join(items, items.c.id == item_people.c.item_id)
            .where(item_people.c.person_id == people.c.id, scope_clause(scope, library_index=False))
        )
        seen = credited.with_only_columns(func.count()).scalar_subquery()
        photo = credited.where(item_people.c.photo.is_not(None)).with_only_columns(
            func.max(item_people.c.item_id)
        )
        rows = conn.execute(
            select(people.c.id, people.c.name, photo.scalar_subquery().label("photo_item"))
            .where(*starts, exists(credited))
            .order_by(seen.desc(), people.c.name_key)
            .limit(limit)
        ).all()
        return [PersonHit(r.id, r.name, r.photo_item) for r in rows]

    def photo_path(self, conn: Connection, scope: LibraryScope, item_id: str, person_id: str) -> str | None:
        return conn.execute(
            select(item_people.c.photo)
            .join(items, items.c.id == item_people.c.item_id)
            .where(
                and_(item_people.c.item_id == item_id, item_people.c.person_id == person_id),
                item_people.c.photo.is_not(None),
                scope_clause(scope, library_index=False),
            )
            .limit(1)
        ).scalar_one_or_none()

    def lyrics(self, conn: Connection, item_id: str) -> Lyrics | None:
        row = conn.execute(select(item_lyrics).where(item_lyrics.c.item_id == item_id)).first()
        if row is None:
            return None
        lines = tuple(LyricLine(start, text) for start, text in json.loads(row.lines))
        return Lyrics(bool(row.synced), row.source, row.language, lines)
