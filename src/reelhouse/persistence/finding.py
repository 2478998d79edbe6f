"""Listings across libraries with client apps' filters, always under the viewer's scope (scope_clause)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import aliased

from reelhouse.domain.access import LibraryScope
from reelhouse.domain.finding import (
    FOLDER_KINDS,
    FULL,
    FindQuery,
    FindSort,
    FoundItem,
    Needs,
    ViewerMarks,
)
from reelhouse.domain.library import ItemKind, LibraryKind
from reelhouse.persistence.catalogue import (
    _SUMMARY_COLUMNS,
    HITS,
    ITEM_ROW,
    _escape_like,
    _summary,
    best_first,
    fts_match,
    scope_clause,
    search_tokens,
)
from reelhouse.persistence.schema import item_genres, item_people, items, play_state

_family = aliased(items, name="family")
# A list of ids bound as one expanding parameter: SQLAlchemy coerces each element of a literal list in Python,
# about 4 µs an id, and a page's statements bind hundreds.
_IDS: Any = bindparam("ids", expanding=True)
_FOLDER_VALUES = frozenset(k.value for k in FOLDER_KINDS)
_NO_MARKS = ViewerMarks()
_LEAF_KINDS = ("episode", "track")


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
        case FindSort.RELEVANCE:
            # The rank comes first where there is a search index (ItemFinder._best_matches); this is the rest.
            return items.c.sort_title


def _visible(conn: Connection, scope: LibraryScope, item_id: str) -> bool:
    found = conn.execute(
        select(items.c.id).where(items.c.id == item_id, scope_clause(scope, library_index=False))
    ).first()
    return found is not None


def _text_clause(words: str, kinds: frozenset[ItemKind] | None, fts: bool) -> ColumnElement[bool]:
    """Titles with every word of ``words``, as search finds them: through the FTS5 index where there is one
    (each word starts a word of the title; the index also narrows to ``kinds``), else each word anywhere."""
    tokens = search_tokens(words)
    if not tokens:
        return false()
    if fts:
        hits = text("SELECT rowid FROM items_fts WHERE items_fts MATCH :title_words")
        return ITEM_ROW.in_(hits.bindparams(title_words=fts_match(tokens, kinds)).columns(rowid=Integer()))
    return and_(*(items.c.title.ilike("%" + _escape_like(t) + "%", escape="\\") for t in tokens))


def _where(
    scope: LibraryScope,
    query: FindQuery,
    library_kind: LibraryKind | None,
    labels_in_use: frozenset[str] | None,
    fts: bool = False,
    by_words: bool | None = None,
) -> ColumnElement[bool]:
    """``fts``: words to search for are looked up in the FTS5 index, and the rows are reached from its matches.
    SQLite, without statistics, would rather walk the library's whole kind through a browse index and test each
    row against the matches (about 30 ms a query at 100,000 tracks), so there the library and kind tests only
    filter (`|| ''` keeps their indexes out of the plan)."""
    by_words = fts and bool(query.text) if by_words is None else by_words
    clauses: list[ColumnElement[bool]] = [
        scope_clause(scope, library_kind, labels_in_use, library_index=not by_words)
    ]
    library, kind = (
        (items.c.library_id + "", items.c.kind + "") if by_words else (items.c.library_id, items.c.kind)
    )
    if query.library_id is not None:
        clauses.append(library == query.library_id)
    if query.kinds is not None:
        clauses.append(kind.in_(sorted(k.value for k in query.kinds)))
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
        clauses.append(_text_clause(query.text, query.kinds, fts))
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


def _page(conn: Connection, where: Any, order: list[Any], query: FindQuery) -> list[str]:
    statement = select(items.c.id).where(where).order_by(*order).offset(query.offset).limit(query.limit)
    return list(conn.execute(statement).scalars())


def _marks(row: Any) -> ViewerMarks:
    """The viewer's marks from a row of ``rows``; an item they never touched has none."""
    if row.m_user is None:
        return _NO_MARKS
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


class ItemFinder:
    def __init__(self) -> None:
        # A folder's children share its visibility (the same library and top item, where caps and labels are
        # judged), so a visible folder's child count is the same for every viewer who sees it. Kept until the
        # catalogue changes (forget_counts, from CatalogueService.catalogue_changed).
        self._child_counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def forget_counts(self) -> None:
        with self._lock:
            self._child_counts.clear()

    def find(
        self,
        conn: Connection,
        scope: LibraryScope,
        query: FindQuery,
        library_kind: LibraryKind | None = None,
        labels_in_use: frozenset[str] | None = None,
        total: int | None = None,
        needs: Needs = FULL,
    ) -> tuple[list[FoundItem], int] | None:
        """A page of matching items and how many match in all; None when the parent or ancestor asked for is
        not visible, so that hidden and absent answer the same. A listing without its total only says how far
        this page reaches (its offset and its items)."""
        for family in (query.parent_id, query.ancestor_id):
            if family is not None and not _visible(conn, scope, family):
                return None
        fts = conn.dialect.name == "sqlite"
        where = _where(scope, query, library_kind, labels_in_use, fts)
        order: list[Any] = []
        for sort in query.sort:
            column = _sort_column(scope, sort)
            order.append(column.desc() if query.descending else column.asc())
        order.append(items.c.id.desc() if query.descending else items.c.id.asc())
        if fts and query.text and FindSort.RELEVANCE in query.sort:
            bare = _where(scope, replace(query, text=None), library_kind, labels_in_use, fts, by_words=True)
            ids = self._best_matches(conn, query, bare, order)
        else:
            ids = _page(conn, where, order, query)
        if total is None and not needs.total:
            total = query.offset + len(ids)
        if total is None:  # the caller may know it from a cache
            total = int(conn.execute(select(func.count()).select_from(items).where(where)).scalar_one())
        return self.rows(conn, scope, ids, needs), total

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
    ) -> list[list[FoundItem]]:
        """A page of best matches for each query with words (search as you type's groups, Subsonic's search3):
        each ranked on its own, so a few artists are not buried under thousands of tracks, and the rows read
        once for all of them."""
        fts = conn.dialect.name == "sqlite"
        chosen: list[list[str]] = []
        for query in queries:
            order = [items.c.sort_title, items.c.id]
            if fts:
                bare = _where(scope, replace(query, text=None), None, labels_in_use, fts, by_words=True)
                chosen.append(self._best_matches(conn, query, bare, order))
            else:
                chosen.append(_page(conn, _where(scope, query, None, labels_in_use, fts), order, query))
        every = [item_id for ids in chosen for item_id in ids]
        found = {str(f.summary.id): f for f in self.rows(conn, scope, every, needs)}
        return [[found[i] for i in ids if i in found] for ids in chosen]

    def rows(
        self, conn: Connection, scope: LibraryScope, ids: list[str], needs: Needs = FULL
    ) -> list[FoundItem]:
        """The listed items in ``ids`` order, with their family's names, child counts and the viewer's marks,
        and what else the listing asks for (see Needs).

        Few statements, since each costs more in Python than SQLite spends on a page: one for the rows with
        their marks and their parent's and top item's names, one to count what is under the folders among them
        (children, and for seasons and albums their episodes or tracks), one more only for shows and artists
        (everything under them), and the genres."""
        if not ids:
            return []
        columns: list[Any] = [*_SUMMARY_COLUMNS, items.c.sort_title, items.c.top_id, items.c.duration]
        columns += [items.c.aired, items.c.plot] if needs.details else [items.c.aired]
        # The viewer's marks and the family's names come with the rows (a primary-key lookup each).
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
            .where(items.c.id.in_(_IDS), scope_clause(scope, library_index=False))
        )
        rows = {r.id: r for r in conn.execute(statement, {"ids": ids})}
        # The family's names in one lookup of the distinct parents and top items: a page's rows share a few
        # (an album's tracks, a show's episodes), and a film is its own top item, so joining them per row read
        # the same rows again and again.
        family_ids = {r.parent_id for r in rows.values() if r.parent_id} | {
            r.top_id for r in rows.values() if r.top_id and r.top_id != r.id
        }
        titles: dict[str, str] = {}
        if family_ids:
            titles = {
                row[0]: row[1]
                for row in conn.execute(
                    select(items.c.id, items.c.title).where(items.c.id.in_(_IDS)), {"ids": sorted(family_ids)}
                )
            }
        genres: dict[str, list[str]] = {}
        if needs.details:
            for item_id, genre in conn.execute(
                select(item_genres.c.item_id, item_genres.c.genre)
                .where(item_genres.c.item_id.in_(_IDS))
                .order_by(item_genres.c.genre),
                {"ids": ids},
            ):
                genres.setdefault(item_id, []).append(genre)
        counts = self._counts(conn, scope, rows.values(), needs.leaves)
        found: list[FoundItem] = []
        for item_id in ids:
            row = rows.get(item_id)
            if row is None:
                continue
            top_id = row.top_id
            count = counts.get(item_id)
            found.append(
                FoundItem(
                    summary=_summary(row),
                    sort_title=row.sort_title,
                    top_id=top_id,
                    duration=row.duration,
                    plot=row.plot if needs.details else None,
                    aired=row.aired,
                    genres=tuple(genres[item_id]) if item_id in genres else (),
                    parent_title=titles.get(row.parent_id) if row.parent_id else None,
                    top_title=titles.get(top_id) if top_id != item_id else None,
                    child_count=count[0] if count else None,
                    marks=_marks(row),
                    leaf_count=count[1] if count else None,
                    unwatched_count=count[2] if count else None,
                )
            )
        return found

    def _counts(
        self, conn: Connection, scope: LibraryScope, rows: Any, leaves: bool = True
    ) -> dict[str, tuple[int, int | None, int | None]]:
        """Per listed folder: (children, episodes or tracks under it, of which unwatched by the viewer); the
        last two only with ``leaves``. Counted under the viewer's scope, so a hidden episode never shows."""
        folders = [r.id for r in rows if r.kind in _FOLDER_VALUES]
        if not folders:
            return {}
        watched = _marks_of(scope, play_state.c.watched.is_(True))
        is_leaf = items.c.kind.in_(_LEAF_KINDS)
        # Children by parent (ix_items_children): a season's or an album's children are its episodes or tracks,
        # so the same pass counts those too.
        tallies: list[Any] = [func.count()]
        if leaves:
            tallies += [
                func.sum(case((is_leaf, 1), else_=0)),
                func.sum(case((and_(is_leaf, not_(watched)), 1), else_=0)),
            ]
        below: dict[str, tuple[int, ...]] = {}
        if not leaves:
            with self._lock:
                below = {f: (self._child_counts[f],) for f in folders if f in self._child_counts}
        asked = [f for f in folders if f not in below]
        if asked:
            counted = {
                row[0]: tuple(int(v or 0) for v in row[1:])
                for row in conn.execute(
                    select(items.c.parent_id, *tallies)
                    .where(items.c.parent_id.in_(_IDS), scope_clause(scope, library_index=False))
                    .group_by(items.c.parent_id),
                    {"ids": asked},
                )
            }
            below.update(counted)
            with self._lock:
                if len(self._child_counts) > 200_000:
                    self._child_counts.clear()
                self._child_counts.update({f: counted.get(f, (0,))[0] for f in asked})
        # Shows and artists count everything under them by top item (ix_items_top holds both columns).
        tops: dict[str, tuple[int, int]] = {}
        by_top = [r.id for r in rows if r.kind in ("show", "artist")] if leaves else []
        if by_top:
            under_top = conn.execute(
                select(items.c.top_id, func.count(), func.sum(case((watched, 0), else_=1)))
                .where(items.c.top_id.in_(_IDS), is_leaf, scope_clause(scope, library_index=False))
                .group_by(items.c.top_id),
                {"ids": by_top},
            )
            tops = {row[0]: (int(row[1]), int(row[2] or 0)) for row in under_top}
        out: dict[str, tuple[int, int | None, int | None]] = {}
        for r in rows:
            if r.kind not in _FOLDER_VALUES:
                continue
            under = below.get(r.id, (0, 0, 0))
            if not leaves:
                out[r.id] = (under[0], None, None)
            elif r.kind in ("show", "artist"):
                out[r.id] = (under[0], *tops.get(r.id, (0, 0)))
            else:
                out[r.id] = (under[0], under[1], under[2])
        return out
