"""Listings across libraries with client apps' filters, always under the viewer's scope (scope_clause): the
page's ids by the WHERE clause and order of persistence/find_clauses.py, then the listed rows in one statement."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, null, or_, select
from sqlalchemy.orm import aliased

from reelhouse.domain.access import LibraryScope
from reelhouse.domain.finding import (
    FOLDER_KINDS,
    FULL,
    NO_MARKS,
    FindQuery,
    FindSort,
    FoundItem,
    Needs,
    ViewerMarks,
)
from reelhouse.domain.ids import ItemId, LibraryId
from reelhouse.domain.library import ItemKind, ItemSummary, LibraryKind
from reelhouse.persistence.catalogue import (
    _SUMMARY_COLUMNS,
    HITS,
    ITEM_ROW,
    best_first,
    fts_match,
    scope_clause,
    search_tokens,
)
from reelhouse.persistence.family_names import NamesAt
from reelhouse.persistence.find_clauses import marks_of, relevance_order, sort_column, visible, where_clause
from reelhouse.persistence.schema import item_genres, items, play_state

# A list of ids bound as one expanding parameter: SQLAlchemy coerces each element of a literal list in Python,
# about 4 µs an id, and a page's statements bind hundreds.
_IDS: Any = bindparam("ids", expanding=True)
_FOLDER_VALUES = frozenset(k.value for k in FOLDER_KINDS)
_LEAF_KINDS = ("episode", "track")
_parent = aliased(items, name="parent")
_top = aliased(items, name="top")
_MARKED = (
    play_state.c.user_id.label("m_user"),
    play_state.c.position.label("m_position"),
    play_state.c.watched.label("m_watched"),
    play_state.c.play_count.label("m_play_count"),
    play_state.c.favourite_at.label("m_favourite_at"),
    play_state.c.updated_at.label("m_updated_at"),
)
# An item's genres as one string, split again in Python: a unit separator no genre name carries.
_GENRE_SEPARATOR = "\x1f"
_GENRE_LIST = (
    select(func.aggregate_strings(item_genres.c.genre, _GENRE_SEPARATOR))
    .where(item_genres.c.item_id == items.c.id)
    .scalar_subquery()
    .label("genre_list")
)


def _family_columns() -> tuple[Any, ...]:
    """A listed row's parent's name, its top item's name where its parent is not its top (a track's artist,
    an episode's show): primary-key lookups SQLite makes per row far more cheaply than Python handles a
    statement of its own. And for folders how many children they hold, which the row keeps (items.child_count,
    kept by triggers: counting ix_items_children per row was a fifth of a page of albums' statement).

    The count is not the viewer's but holds for them, because children share the listed folder's visibility:
    the same library (tests/scanner/test_child_counts.py), and the rating rank and label mask the scan copies
    down from the same top item (where labels are looked up too). The folder itself passed the scope."""
    parent_title = select(_parent.c.title).where(_parent.c.id == items.c.parent_id).scalar_subquery()
    top_title = select(_top.c.title).where(_top.c.id == items.c.top_id).scalar_subquery()
    own_top = or_(items.c.top_id == items.c.id, items.c.top_id == items.c.parent_id)
    folder = items.c.kind.in_(sorted(_FOLDER_VALUES))
    return (
        parent_title.label("parent_title"),
        case((own_top, null()), else_=top_title).label("top_title"),
        case((folder, items.c.child_count), else_=null()).label("child_count"),
    )


def _page(conn: Connection, where: Any, order: list[Any], query: FindQuery) -> list[str]:
    statement = select(items.c.id).where(where).order_by(*order).offset(query.offset).limit(query.limit)
    return list(conn.execute(statement).scalars())


_KINDS = {kind.value: kind for kind in ItemKind}


def _listed_summary(row: Any) -> ItemSummary:
    """catalogue._summary, reading the row by position: the rows' statement starts with _SUMMARY_COLUMNS, in
    their order. By name, a page of a hundred rows spent 0.7 ms on these fields; by position, 0.2 ms."""
    parent_id, taken_at = row[11], row[13]
    return ItemSummary(
        id=ItemId(row[0]),
        library_id=LibraryId(row[1]),
        kind=_KINDS[row[2]],
        title=row[3],
        year=row[4],
        index=row[5],
        parent_index=row[6],
        rating=row[7],
        content_rating=row[8],
        added_at=datetime.fromtimestamp(row[9], UTC),
        has_artwork=row[10] is not None,
        parent_id=ItemId(parent_id) if parent_id else None,
        missing=bool(row[12]),
        taken_at=datetime.fromtimestamp(taken_at, UTC) if taken_at is not None else None,
    )


def _marks(row: Any) -> ViewerMarks:
    """The viewer's marks from a row of ``rows``; an item they never touched has none."""
    if row.m_user is None:
        return NO_MARKS
    return ViewerMarks(
        position=float(row.m_position),
        watched=bool(row.m_watched),
        play_count=int(row.m_play_count),
        favourite=row.m_favourite_at is not None,
        favourite_at=None if row.m_favourite_at is None else datetime.fromtimestamp(row.m_favourite_at, UTC),
        played_at=datetime.fromtimestamp(row.m_updated_at, UTC)
        if row.m_play_count or row.m_position
        else None,
    )


def _titles(conn: Connection, names: NamesAt, rows: Any, at: dict[str, int]) -> dict[str, str]:
    """The names of the listed rows' parents and top items (other than themselves)."""
    top_at, parent_at, id_at = at["top_id"], at["parent_id"], at["id"]
    wanted = {row[parent_at] for row in rows if row[parent_at]}
    wanted |= {row[top_at] for row in rows if row[top_at] != row[id_at]}
    return names.titles(conn, wanted)


class ItemFinder:
    def __init__(self) -> None:
        # The rows' statement for each scope (and with or without details), built once: building it and
        # working out its cache key took a sixth of a page's time. It holds no more than the scope says.
        self._statements: dict[tuple[str, bool, bool], Any] = {}
        self._lock = threading.Lock()

    def _rows_statement(self, scope: LibraryScope, details: bool, named: bool) -> Any:
        """``named``: the family's names come from the caller's FamilyNames, not from lookups per row."""
        key = (repr(scope), details, named)
        with self._lock:
            statement = self._statements.get(key)
        if statement is not None:
            return statement
        columns: list[Any] = [*_SUMMARY_COLUMNS, items.c.sort_title, items.c.top_id, items.c.duration]
        columns += [items.c.aired, items.c.plot, _GENRE_LIST] if details else [items.c.aired]
        mine = and_(play_state.c.item_id == items.c.id, play_state.c.user_id == scope.user_id)
        family = _family_columns()
        statement = (
            select(*columns, *_MARKED, *(family[2:] if named else family))
            .select_from(items.outerjoin(play_state, mine))
            .where(items.c.id.in_(_IDS), scope_clause(scope, library_index=False))
        )
        with self._lock:
            if len(self._statements) >= 512:
                self._statements.clear()
            self._statements[key] = statement
        return statement

    def find(
        self,
        conn: Connection,
        scope: LibraryScope,
        query: FindQuery,
        library_kind: LibraryKind | None = None,
        labels_in_use: frozenset[str] | None = None,
        total: int | None = None,
        needs: Needs = FULL,
        names: NamesAt | None = None,
    ) -> tuple[list[FoundItem], int] | None:
        """A page of matching items and how many match in all; None when the parent or ancestor asked for is
        not visible, so that hidden and absent answer the same. A listing without its total only says how far
        this page reaches (its offset and its items)."""
        for family in (query.parent_id, query.ancestor_id):
            if family is not None and not visible(conn, scope, family):
                return None
        fts = conn.dialect.name == "sqlite"
        where = where_clause(scope, query, library_kind, labels_in_use, fts, dialect=conn.dialect.name)
        order = relevance_order(conn, query)
        for sort in query.sort:
            column = sort_column(scope, sort)
            order.append(column.desc() if query.descending else column.asc())
        order.append(items.c.id.desc() if query.descending else items.c.id.asc())
        if fts and query.text and FindSort.RELEVANCE in query.sort:
            bare = where_clause(
                scope, replace(query, text=None), library_kind, labels_in_use, fts, by_words=True
            )
            ids = self._best_matches(conn, query, bare, order)
        else:
            ids = _page(conn, where, order, query)
        if total is None and not needs.total:
            total = query.offset + len(ids)
        if total is None:  # the caller may know it from a cache
            total = int(conn.execute(select(func.count()).select_from(items).where(where)).scalar_one())
        return self.rows(conn, scope, ids, needs, names), total

    def _best_matches(self, conn: Connection, query: FindQuery, where: Any, order: list[Any]) -> list[str]:
        """A page of the items with the query's words, best match first (catalogue.best_first)."""
        tokens = search_tokens(query.text or "")
        if not tokens:  # only punctuation or symbols: nothing a title could start a word with
            return []
        statement = (
            select(items.c.id)
            .join(HITS, HITS.c.row == ITEM_ROW)
            .where(where)
            .order_by(HITS.c.rank, *order)
            .offset(query.offset)
            .limit(query.limit)
        )
        rows = best_first(
            conn, statement, fts_match(tokens, query.kinds), query.limit, query.offset + query.limit
        )
        return [row[0] for row in rows]

    def best_matches_each(
        self,
        conn: Connection,
        scope: LibraryScope,
        queries: list[FindQuery],
        labels_in_use: frozenset[str] | None = None,
        needs: Needs = FULL,
        names: NamesAt | None = None,
    ) -> list[list[FoundItem]]:
        """A page of best matches for each query with words (search as you type's groups, Subsonic's search3):
        each ranked on its own, so a few artists are not buried under thousands of tracks, and the rows read
        once for all of them."""
        fts = conn.dialect.name == "sqlite"
        chosen: list[list[str]] = []
        for query in queries:
            order = [*relevance_order(conn, query), items.c.sort_title, items.c.id]
            if fts:
                bare = where_clause(scope, replace(query, text=None), None, labels_in_use, fts, by_words=True)
                chosen.append(self._best_matches(conn, query, bare, order))
            else:
                where = where_clause(scope, query, None, labels_in_use, fts, dialect=conn.dialect.name)
                chosen.append(_page(conn, where, order, query))
        every = [item_id for ids in chosen for item_id in ids]
        found = {str(f.summary.id): f for f in self.rows(conn, scope, every, needs, names)}
        return [[found[i] for i in ids if i in found] for ids in chosen]

    def rows(
        self,
        conn: Connection,
        scope: LibraryScope,
        ids: list[str],
        needs: Needs = FULL,
        names: NamesAt | None = None,
    ) -> list[FoundItem]:
        """The listed items in ``ids`` order, with their family's names, child counts and the viewer's marks,
        and what else the listing asks for (see Needs).

        One statement reads the rows, the viewer's marks, the family's names, the child counts and the
        genres: each further statement cost more in Python than SQLite spends on its lookups (a page of
        albums took twice our own browse page). Only the episodes and tracks under folders, when asked for,
        take a pass of their own. With ``names`` (persistence/family_names.py) the family's names come from
        there instead: a page names the same few families again and again."""
        if not ids:
            return []
        result = conn.execute(self._rows_statement(scope, needs.details, names is not None), {"ids": ids})
        # Fields by position, not by name: a Row's attribute lookup costs about ten times its index, and a
        # page of a hundred rows reads a dozen of the finder's own fields from each.
        at = {key: i for i, key in enumerate(result.keys())}
        rows = {r[at["id"]]: r for r in result}
        leaves = self._leaves(conn, scope, rows.values()) if needs.leaves else {}
        top_at, parent_at = at["top_id"], at["parent_id"]
        marked_at, count_at = at["m_user"], at["child_count"]
        titles = None if names is None else _titles(conn, names, rows.values(), at)
        sort_at, duration_at, aired_at = at["sort_title"], at["duration"], at["aired"]
        plot_at, genres_at = (at["plot"], at["genre_list"]) if needs.details else (None, None)
        found: list[FoundItem] = []
        for item_id in ids:
            row = rows.get(item_id)
            if row is None:
                continue
            top_id, parent_id = row[top_at], row[parent_at]
            under = leaves.get(item_id)
            if titles is None:
                parent_title = row[at["parent_title"]]
                # An album's or a season's top item is its parent, whose name the row already carries.
                top_title = parent_title if top_id == parent_id else row[at["top_title"]]
            else:
                parent_title = titles.get(parent_id) if parent_id else None
                top_title = titles.get(top_id)
            genres = row[genres_at] if genres_at is not None else None
            found.append(
                FoundItem(
                    summary=_listed_summary(row),
                    sort_title=row[sort_at],
                    top_id=top_id,
                    duration=row[duration_at],
                    plot=row[plot_at] if plot_at is not None else None,
                    aired=row[aired_at],
                    genres=tuple(sorted(genres.split(_GENRE_SEPARATOR))) if genres else (),
                    parent_title=parent_title,
                    top_title=top_title if top_id != item_id else None,
                    child_count=row[count_at],
                    marks=NO_MARKS if row[marked_at] is None else _marks(row),
                    leaf_count=under[0] if under else None,
                    unwatched_count=under[1] if under else None,
                )
            )
        return found

    def _leaves(self, conn: Connection, scope: LibraryScope, rows: Any) -> dict[str, tuple[int, int]]:
        """Per listed show, season, artist or album: the episodes or tracks under it, and how many of those the
        viewer has not watched. Counted under the viewer's scope, so a hidden episode never shows."""
        by_parent = [r.id for r in rows if r.kind in ("season", "album")]
        by_top = [r.id for r in rows if r.kind in ("show", "artist")]
        if not by_parent and not by_top:
            return {}
        unwatched = func.sum(case((marks_of(scope, play_state.c.watched.is_(True)), 0), else_=1))
        out: dict[str, tuple[int, int]] = {}
        # A season's or an album's episodes or tracks are its children (ix_items_children); a show's or an
        # artist's are found by top item (ix_items_top holds both columns).
        for link, wanted in ((items.c.parent_id, by_parent), (items.c.top_id, by_top)):
            if not wanted:
                continue
            counted = conn.execute(
                select(link, func.count(), unwatched)
                .where(
                    link.in_(_IDS), items.c.kind.in_(_LEAF_KINDS), scope_clause(scope, library_index=False)
                )
                .group_by(link),
                {"ids": wanted},
            )
            out |= {row[0]: (int(row[1]), int(row[2] or 0)) for row in counted}
        return {item_id: out.get(item_id, (0, 0)) for item_id in by_parent + by_top}
