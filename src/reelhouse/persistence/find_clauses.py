"""What a client app's listing (persistence/finding.py) matches and in what order: one WHERE clause per
`FindQuery`, always starting from the viewer's `scope_clause`, and the sort columns, the viewer's own marks
included. The finder executes these; nothing here reads a row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
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
from reelhouse.domain.finding import FOLDER_KINDS, FindQuery, FindSort
from reelhouse.domain.library import ItemKind, LibraryKind
from reelhouse.persistence import text_search
from reelhouse.persistence.catalogue import ITEM_ROW, _escape_like, fts_match, scope_clause, search_tokens
from reelhouse.persistence.schema import item_genres, item_people, items, play_state

_family = aliased(items, name="family")


def marks_of(scope: LibraryScope, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
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


def sort_column(scope: LibraryScope, sort: FindSort) -> Any:
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


def visible(conn: Connection, scope: LibraryScope, item_id: str) -> bool:
    found = conn.execute(
        select(items.c.id).where(items.c.id == item_id, scope_clause(scope, library_index=False))
    ).first()
    return found is not None


def _text_clause(
    words: str, kinds: frozenset[ItemKind] | None, fts: bool, dialect: str
) -> ColumnElement[bool]:
    """Titles with every word of ``words``, as search finds them: through the FTS5 index where there is one
    (each word starts a word of the title; the index also narrows to ``kinds``), else each word anywhere."""
    tokens = search_tokens(words)
    if not tokens:
        return false()
    if fts:
        hits = text("SELECT rowid FROM items_fts WHERE items_fts MATCH :title_words")
        return ITEM_ROW.in_(hits.bindparams(title_words=fts_match(tokens, kinds)).columns(rowid=Integer()))
    if dialect == "postgresql":
        return text_search.matches(tokens, kinds)
    return and_(*(items.c.title.ilike("%" + _escape_like(t) + "%", escape="\\") for t in tokens))


def where_clause(
    scope: LibraryScope,
    query: FindQuery,
    library_kind: LibraryKind | None,
    labels_in_use: frozenset[str] | None,
    fts: bool = False,
    by_words: bool | None = None,
    dialect: str = "",
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
        clauses.append(_text_clause(query.text, query.kinds, fts, dialect))
    if query.name_starts_with:
        clauses.append(items.c.sort_title.ilike(_escape_like(query.name_starts_with) + "%", escape="\\"))
    if query.genres:
        tagged = select(item_genres.c.item_id).where(item_genres.c.genre.in_(query.genres))
        clauses.append(items.c.id.in_(tagged))
    if query.years:
        clauses.append(items.c.year.in_(query.years))
    if query.played is not None:
        watched = marks_of(scope, play_state.c.watched.is_(True))
        clauses.append(watched if query.played else not_(watched))
    if query.resumable:
        clauses.append(marks_of(scope, play_state.c.watched.is_(False), play_state.c.position > 0))
    if query.favourite is not None:
        starred = marks_of(scope, play_state.c.favourite_at.is_not(None))
        clauses.append(starred if query.favourite else not_(starred))
    if query.folders is not None:
        folder = items.c.kind.in_(sorted(k.value for k in FOLDER_KINDS))
        clauses.append(folder if query.folders else not_(folder))
    if query.present_only:
        clauses.append(items.c.missing.is_(False))
    return and_(true(), *clauses)


def relevance_order(conn: Connection, query: FindQuery) -> list[Any]:
    """PostgreSQL's best matches first for a search by relevance; SQLite ranks in its index (ItemFinder._best_matches)."""
    tokens = search_tokens(query.text or "")
    if conn.dialect.name != "postgresql" or not tokens or FindSort.RELEVANCE not in query.sort:
        return []
    return [text_search.rank(tokens).desc()]
