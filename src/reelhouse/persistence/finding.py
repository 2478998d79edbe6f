"""Listings across libraries with client apps' filters, always under the viewer's scope (scope_clause)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, exists, func, not_, or_, select, true
from sqlalchemy.orm import aliased

from reelhouse.domain.access import LibraryScope
from reelhouse.domain.finding import FOLDER_KINDS, FindQuery, FindSort, FoundItem, ViewerMarks
from reelhouse.domain.library import LibraryKind
from reelhouse.persistence.catalogue import _SUMMARY_COLUMNS, _escape_like, _summary, scope_clause
from reelhouse.persistence.schema import item_genres, item_people, items, play_state

_family = aliased(items, name="family")
_FOLDER_VALUES = frozenset(k.value for k in FOLDER_KINDS)
_NO_MARKS = ViewerMarks()


def _marks_of(scope: LibraryScope, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Whether the viewer's own play-state row for the listed item meets ``conditions``."""
    return exists().where(
        play_state.c.user_id == scope.user_id, play_state.c.item_id == items.c.id, *conditions
    )


def _mark_value(scope: LibraryScope, column: Any) -> Any:
    return (
        select(column)
        .where(play_state.c.user_id == scope.user_id, play_state.c.item_id == items.c.id)
        .scalar_subquery()
    )


def _family_title(link: Any) -> Any:
    return select(_family.c.sort_title).where(_family.c.id == link).scalar_subquery()


def _sort_column(scope: LibraryScope, sort: FindSort) -> Any:
    match sort:
        case FindSort.TITLE:
            return items.c.sort_title
        case FindSort.ADDED:
            return items.c.added_at
        case FindSort.YEAR:
            return items.c.year_key
        case FindSort.RATING:
            return items.c.rating_key
        case FindSort.RUNTIME:
            return items.c.duration
        case FindSort.INDEX:
            return items.c.idx
        case FindSort.PARENT_INDEX:
            return items.c.parent_idx
        case FindSort.PLAYED_AT:
            return _mark_value(scope, play_state.c.updated_at)
        case FindSort.PLAY_COUNT:
            return _mark_value(scope, play_state.c.play_count)
        case FindSort.PARENT_TITLE:
            return _family_title(items.c.parent_id)
        case FindSort.TOP_TITLE:
            return _family_title(items.c.top_id)
        case FindSort.RANDOM:
            return func.random()


def _visible(conn: Connection, scope: LibraryScope, item_id: str) -> bool:
    found = conn.execute(
        select(items.c.id).where(items.c.id == item_id, scope_clause(scope, library_index=False))
    ).first()
    return found is not None


def _where(
    scope: LibraryScope,
    query: FindQuery,
    library_kind: LibraryKind | None,
    labels_in_use: frozenset[str] | None,
) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = [scope_clause(scope, library_kind, labels_in_use)]
    if query.library_id is not None:
        clauses.append(items.c.library_id == query.library_id)
    if query.kinds is not None:
        clauses.append(items.c.kind.in_(sorted(k.value for k in query.kinds)))
    if query.exclude_kinds:
        clauses.append(items.c.kind.not_in(sorted(k.value for k in query.exclude_kinds)))
    if query.parent_id is not None:
        clauses.append(items.c.parent_id == query.parent_id)
    if query.ancestor_id is not None:
        # Families are at most three deep (show, season, episode; artist, album, track).
        below = select(_family.c.id).where(_family.c.parent_id == query.ancestor_id)
        clauses.append(or_(items.c.parent_id == query.ancestor_id, items.c.parent_id.in_(below)))
    if query.ids is not None:
        clauses.append(items.c.id.in_(query.ids))
    if query.top_ids is not None:
        clauses.append(and_(items.c.top_id.in_(query.top_ids), items.c.id.not_in(query.top_ids)))
    if query.parent_ids is not None:
        clauses.append(items.c.parent_id.in_(query.parent_ids))
    if query.person_ids is not None:
        credited = select(item_people.c.item_id).where(item_people.c.person_id.in_(query.person_ids))
        clauses.append(items.c.id.in_(credited))
    if query.text:
        clauses.append(items.c.title.ilike("%" + _escape_like(query.text) + "%", escape="\\"))
    if query.name_starts_with:
        clauses.append(items.c.sort_title.ilike(_escape_like(query.name_starts_with) + "%", escape="\\"))
    if query.genres:
        tagged = select(item_genres.c.item_id).where(item_genres.c.genre.in_(query.genres))
        clauses.append(items.c.id.in_(tagged))
    if query.years:
        clauses.append(items.c.year.in_(query.years))
    if query.played is not None:
        watched = _marks_of(scope, play_state.c.watched.is_(True))
        clauses.append(watched if query.played else not_(watched))
    if query.resumable:
        clauses.append(_marks_of(scope, play_state.c.watched.is_(False), play_state.c.position > 0))
    if query.favourite is not None:
        starred = _marks_of(scope, play_state.c.favourite_at.is_not(None))
        clauses.append(starred if query.favourite else not_(starred))
    if query.folders is not None:
        folder = items.c.kind.in_(sorted(k.value for k in FOLDER_KINDS))
        clauses.append(folder if query.folders else not_(folder))
    if query.present_only:
        clauses.append(items.c.missing.is_(False))
    return and_(true(), *clauses)


def _marks(row: Any) -> ViewerMarks:
    """The viewer's marks from a row of ``rows``; an item they never touched has none."""
    if row.m_user is None:
        return _NO_MARKS
    return ViewerMarks(
        position=float(row.m_position),
        watched=bool(row.m_watched),
        play_count=int(row.m_play_count),
        favourite=row.m_favourite_at is not None,
        played_at=datetime.fromtimestamp(row.m_updated_at, UTC)
        if row.m_play_count or row.m_position
        else None,
    )


class ItemFinder:
    def find(
        self,
        conn: Connection,
        scope: LibraryScope,
        query: FindQuery,
        library_kind: LibraryKind | None = None,
        labels_in_use: frozenset[str] | None = None,
        total: int | None = None,
        details: bool = True,
    ) -> tuple[list[FoundItem], int] | None:
        """A page of matching items and how many match in all; None when the parent or ancestor asked for is
        not visible, so that hidden and absent answer the same."""
        for family in (query.parent_id, query.ancestor_id):
            if family is not None and not _visible(conn, scope, family):
                return None
        where = _where(scope, query, library_kind, labels_in_use)
        order: list[Any] = []
        for sort in query.sort:
            column = _sort_column(scope, sort)
            order.append(column.desc() if query.descending else column.asc())
        order.append(items.c.id.desc() if query.descending else items.c.id.asc())
        ids = list(
            conn.execute(
                select(items.c.id).where(where).order_by(*order).offset(query.offset).limit(query.limit)
            ).scalars()
        )
        if total is None:  # the caller may know it from a cache
            total = int(conn.execute(select(func.count()).select_from(items).where(where)).scalar_one())
        return self.rows(conn, scope, ids, details), total

    def rows(
        self, conn: Connection, scope: LibraryScope, ids: list[str], details: bool = True
    ) -> list[FoundItem]:
        """The listed items in ``ids`` order, with their family's names, child counts and the viewer's marks;
        with ``details``, also their plot and genres (long text and a query more, which grids do not show)."""
        if not ids:
            return []
        columns: list[Any] = [*_SUMMARY_COLUMNS, items.c.sort_title, items.c.top_id, items.c.duration]
        columns += [items.c.aired, items.c.plot] if details else [items.c.aired]
        # The viewer's marks come with the rows (a primary-key lookup per row), not in a second statement.
        mine = and_(play_state.c.item_id == items.c.id, play_state.c.user_id == scope.user_id)
        marked = (
            play_state.c.user_id.label("m_user"),
            play_state.c.position.label("m_position"),
            play_state.c.watched.label("m_watched"),
            play_state.c.play_count.label("m_play_count"),
            play_state.c.favourite_at.label("m_favourite_at"),
            play_state.c.updated_at.label("m_updated_at"),
        )
        statement = (
            select(*columns, *marked)
            .select_from(items.outerjoin(play_state, mine))
            .where(items.c.id.in_(ids), scope_clause(scope, library_index=False))
        )
        rows = {r.id: r for r in conn.execute(statement)}
        genres: dict[str, list[str]] = {}
        if details:
            for item_id, genre in conn.execute(
                select(item_genres.c.item_id, item_genres.c.genre)
                .where(item_genres.c.item_id.in_(ids))
                .order_by(item_genres.c.genre)
            ):
                genres.setdefault(item_id, []).append(genre)
        # A page of movies needs none of the lookups below; each runs only when the page calls for it.
        titles: dict[str, str] = {}
        family_ids: set[str] = set()
        folders: set[str] = set()
        for r in rows.values():
            titles[r.id] = r.title
            family_ids.add(r.top_id)
            if r.parent_id:
                family_ids.add(r.parent_id)
            if r.kind in _FOLDER_VALUES:
                folders.add(r.id)
        family_ids -= titles.keys()
        if family_ids:
            titles |= {
                row.id: row.title
                for row in conn.execute(select(items.c.id, items.c.title).where(items.c.id.in_(family_ids)))
            }
        counts: dict[str, int] = {}
        if folders:
            counts = {
                row[0]: int(row[1])
                for row in conn.execute(
                    select(items.c.parent_id, func.count())
                    .where(items.c.parent_id.in_(sorted(folders)), scope_clause(scope, library_index=False))
                    .group_by(items.c.parent_id)
                )
            }
        leaves = self._leaf_counts(conn, scope, rows.values())
        found: list[FoundItem] = []
        for item_id in ids:
            row = rows.get(item_id)
            if row is None:
                continue
            parent_id, top_id = row.parent_id, row.top_id
            leaf = leaves.get(item_id)
            found.append(
                FoundItem(
                    summary=_summary(row),
                    sort_title=row.sort_title,
                    top_id=top_id,
                    duration=row.duration,
                    plot=row.plot if details else None,
                    aired=row.aired,
                    genres=tuple(genres[item_id]) if item_id in genres else (),
                    parent_title=titles.get(parent_id) if parent_id else None,
                    top_title=titles.get(top_id) if top_id != item_id else None,
                    child_count=counts.get(item_id, 0) if item_id in folders else None,
                    marks=_NO_MARKS if row.m_user is None else _marks(row),
                    leaf_count=leaf[0] if leaf else None,
                    unwatched_count=leaf[1] if leaf else None,
                )
            )
        return found

    def _leaf_counts(self, conn: Connection, scope: LibraryScope, rows: Any) -> dict[str, tuple[int, int]]:
        """(episodes or tracks under it, of which unwatched by the viewer) per listed show, season, artist or
        album; counted under the viewer's scope, so a hidden episode never shows in a count."""
        by_top = [r.id for r in rows if r.kind in ("show", "artist")]
        by_parent = [r.id for r in rows if r.kind in ("season", "album")]
        if not by_top and not by_parent:
            return {}
        watched = _marks_of(scope, play_state.c.watched.is_(True))
        found: dict[str, tuple[int, int]] = {}
        # By parent the kind is wrapped in lower(): SQLite, without statistics, would otherwise search the
        # kind index and read every track of every library for each page (ix_items_children is the one to use).
        # By top item, ix_items_top holds both columns.
        leaf_kinds = ("episode", "track")
        for link, wanted, kind in (
            (items.c.top_id, by_top, items.c.kind),
            (items.c.parent_id, by_parent, func.lower(items.c.kind)),
        ):
            if not wanted:
                continue
            counted = conn.execute(
                select(link, func.count(), func.sum(case((watched, 0), else_=1)))
                .where(link.in_(wanted), kind.in_(leaf_kinds), scope_clause(scope, library_index=False))
                .group_by(link)
            )
            found |= {row[0]: (int(row[1]), int(row[2] or 0)) for row in counted}
        return found
