"""Reads of the catalogue. Every query here takes the viewer's LibraryScope: no unscoped branch exists."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    and_,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
    tuple_,
)

from reelhouse.domain import ratings
from reelhouse.domain.access import LibraryScope, label_mask
from reelhouse.domain.ids import ItemId, LibraryId
from reelhouse.domain.library import (
    Chapter,
    ExtraInfo,
    ItemDetail,
    ItemKind,
    ItemQuery,
    ItemSort,
    ItemSummary,
    Library,
    LibraryKind,
    MediaFileInfo,
    MediaInfo,
    PhotoFacets,
    StreamInfo,
    SubtitleInfo,
)
from reelhouse.persistence import text_search
from reelhouse.persistence.portable import json_field
from reelhouse.persistence.schema import (
    item_genres,
    item_tags,
    items,
    libraries,
    media_files,
    subtitles,
)

_SUMMARY_COLUMNS = (
    items.c.id,
    items.c.library_id,
    items.c.kind,
    items.c.title,
    items.c.year,
    items.c.idx,
    items.c.parent_idx,
    items.c.rating,
    items.c.content_rating,
    items.c.added_at,
    items.c.poster,
    items.c.parent_id,
    items.c.missing,
    items.c.taken_at,
)
_SORT_COLUMNS = {
    ItemSort.TITLE: items.c.sort_title,
    ItemSort.YEAR: items.c.year_key,
    ItemSort.ADDED: items.c.added_at,
    ItemSort.RATING: items.c.rating_key,
    ItemSort.TAKEN: items.c.taken_key,
}
# The camera the scanner read from EXIF (scanner/identify.py keeps it in the item's extra JSON).
_CAMERA = json_field(items.c.extra, "camera")
_EXTRA_TYPE = json_field(items.c.extra, "extra_type")


def _extra_type(value: object) -> str | None:
    # Scans before trailers beside a movie were read stored a Trailers folder's files as "trailers".
    if not isinstance(value, str):
        return None
    return "trailer" if value == "trailers" else value


_CLAUSE_CACHE = 512
SEARCH_CANDIDATES = (500, 20_000, -1)  # -1: no LIMIT in SQLite
_SEARCH_TOKEN = re.compile(r"\w+", re.UNICODE)


def search_tokens(query: str) -> list[str]:
    """The words a search looks for: at most eight, punctuation dropped."""
    return _SEARCH_TOKEN.findall(query)[:8]


def fts_match(tokens: list[str], kinds: frozenset[ItemKind] | None = None) -> str:
    """An FTS5 query where every word must start a word of the title (and, given ``kinds``, the item is of
    one of them). Each word is quoted, so nothing the user types is read as FTS5 syntax."""
    words = " ".join('"' + t.replace('"', "") + '"*' for t in tokens)
    match = f"title : ({words})"
    if kinds:
        match += " AND kind : (" + " OR ".join(f'"{k.value}"' for k in sorted(kinds)) + ")"
    return match


# A match in the search index is the row number of its item (0020: the index reads `items` itself).
ITEM_ROW: ColumnElement[int] = literal_column("items.rowid", Integer())
# The index's matches for :match, best first (only the title's words count), at most :cap of them (-1: all):
# join it to items on ITEM_ROW. FTS5 ranks in C and hands over only the best; best_first widens :cap.
HITS = (
    text(
        "SELECT rowid AS row, bm25(items_fts, 0.0, 1.0) AS rank FROM items_fts WHERE items_fts MATCH :match"
        " ORDER BY rank LIMIT :cap"
    )
    .columns(row=Integer(), rank=Float())
    .subquery("hits")
)


def best_first(conn: Connection, statement: Any, match: str, limit: int, wanted: int) -> list[Any]:
    """The rows of ``statement`` (built on HITS) from the index's best candidates. The viewer's filters may
    leave a page of ``limit`` short; then the candidates widen, to every match at the last, but only while the
    index holds more matches than were read. ``wanted``: how deep the page reaches (offset and limit)."""
    rows: list[Any] = []
    for cap in (max(SEARCH_CANDIDATES[0], 4 * wanted), *SEARCH_CANDIDATES[1:]):
        rows = list(conn.execute(statement, {"match": match, "cap": cap}).all())
        if len(rows) >= limit or cap < 0:
            break
        counted = conn.execute(
            text("SELECT count(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH :match LIMIT :over)"),
            {"match": match, "over": cap + 1},
        ).scalar_one()
        if int(counted) <= cap:
            break
    return rows


Anchor = tuple[Any, str]


def _past(column: Any, anchor: Anchor, descending: bool) -> ColumnElement[bool]:
    """Rows strictly after ``anchor`` in (column, id) order: a row-value comparison the index can seek to."""
    pair, bound = tuple_(column, items.c.id), tuple_(literal(anchor[0]), literal(anchor[1]))
    return pair < bound if descending else pair > bound


def scope_clause(
    scope: LibraryScope,
    kind: LibraryKind | None = None,
    labels_in_use: frozenset[str] | None = None,
    library_index: bool = True,
) -> ColumnElement[bool]:
    """The WHERE clause that limits ``items`` to what this viewer may see.

    ``kind``, when every candidate row is known to be in a library of that kind (a browse of one library),
    lets the rating cap be applied directly instead of through a lookup of library kinds per row.

    ``library_index=False`` where the query reaches its rows another way (by id, parent, person, playlist or
    play state): SQLite, without statistics, would otherwise walk a viewer's whole library through the
    browse index to filter a page of ids, about 250 ms at 100,000 items. The library test then only filters."""
    clauses: list[ColumnElement[bool]] = []
    if not scope.all_libraries:
        if not scope.library_ids:
            return false()
        library = items.c.library_id if library_index else items.c.library_id + ""
        clauses.append(library.in_(sorted(scope.library_ids)))
    for capped, max_rank in scope.max_rating_rank.items():
        if kind is not None and capped is not kind:
            continue
        allowed = items.c.rating_rank <= ratings.cap(max_rank)
        if not scope.hide_unrated:
            allowed = or_(allowed, items.c.rating_rank.is_(None))
        if kind is None:
            of_kind = select(libraries.c.id).where(libraries.c.kind == capped.value).scalar_subquery()
            allowed = or_(items.c.library_id.not_in(of_kind), allowed)
        clauses.append(allowed)
    if scope.hide_unrated:
        clauses.append(items.c.rating_rank.is_not(None))
    if scope.hide_unrated or scope.blocked_labels or scope.allowed_labels:
        # A row the scanner has not yet given its labels would pass a blocked-label test; a cap already
        # keeps it out (PENDING_RANK is above every cap), so only these scopes need the extra test.
        clauses.append(or_(items.c.rating_rank.is_(None), items.c.rating_rank < ratings.PENDING_RANK))
    # The mask comes from the index; the tag table is probed only where a label's bit is set, to confirm.
    if scope.blocked_labels:
        bits = label_mask(scope.blocked_labels)
        clear = items.c.label_mask.bitwise_and(bits) == 0
        shared = labels_in_use is None or any(
            label_mask((label,)) & bits for label in labels_in_use - scope.blocked_labels
        )
        # When no other label shares the blocked labels' bits, a set bit is proof and no probe is needed.
        clauses.append(or_(clear, not_(_tagged(scope.blocked_labels))) if shared else clear)
    if scope.allowed_labels:
        bits = label_mask(scope.allowed_labels)
        clauses.append(and_(items.c.label_mask.bitwise_and(bits) != 0, _tagged(scope.allowed_labels)))
    return and_(true(), *clauses)


def _tagged(labels: frozenset[str]) -> ColumnElement[bool]:
    return exists().where(item_tags.c.item_id == items.c.top_id, item_tags.c.tag.in_(sorted(labels)))


def _summary(row: Any) -> ItemSummary:
    return ItemSummary(
        id=ItemId(row.id),
        library_id=LibraryId(row.library_id),
        kind=ItemKind(row.kind),
        title=row.title,
        year=row.year,
        index=row.idx,
        parent_index=row.parent_idx,
        rating=row.rating,
        content_rating=row.content_rating,
        added_at=datetime.fromtimestamp(row.added_at, UTC),
        has_artwork=row.poster is not None,
        parent_id=ItemId(row.parent_id) if row.parent_id else None,
        missing=bool(row.missing),
        taken_at=datetime.fromtimestamp(row.taken_at, UTC) if row.taken_at is not None else None,
    )


def _media(raw: str | None) -> MediaInfo | None:
    if not raw:
        return None
    data = json.loads(raw)
    streams = tuple(StreamInfo(**s) for s in data.get("streams", ()))
    return MediaInfo(
        container=data["container"],
        duration=data.get("duration"),
        bit_rate=data.get("bit_rate"),
        streams=streams,
        chapters=tuple(Chapter(start, end, title) for start, end, title in data.get("chapters", ())),
    )


@dataclass(frozen=True)
class Listing:
    """One viewer's listing of one library: what browse, anchors and counts filter and order by.

    ``labels_in_use`` (every label in the catalogue, when the caller knows it) lets a blocked-label filter
    trust the label mask alone when no other label shares its bits. A stale set can only hide more, never
    show more: a newer label that shares a blocked label's bit hides its items until the set is refreshed."""

    scope: LibraryScope
    library: Library
    kinds: tuple[ItemKind, ...]
    query: ItemQuery
    labels_in_use: frozenset[str] | None = None


class CatalogueRepository:
    def __init__(self) -> None:
        self._clauses: dict[tuple[Any, ...], tuple[Any, ColumnElement[bool], tuple[Any, Any]]] = {}

    def _browse_where(self, listing: Listing) -> ColumnElement[bool]:
        query = listing.query
        where = and_(
            items.c.library_id == listing.library.id,
            items.c.kind.in_([k.value for k in listing.kinds]),
            scope_clause(listing.scope, listing.library.kind, listing.labels_in_use),
        )
        if query.genre is not None:
            tagged = select(item_genres.c.item_id).where(item_genres.c.genre == query.genre)
            where = and_(where, items.c.id.in_(tagged))
        if query.year is not None:
            where = and_(where, items.c.year == query.year)
        if query.camera is not None:
            where = and_(where, _CAMERA == query.camera)
        # The range reads taken_key, which the timeline's index covers; an undated photo is in no range.
        if query.taken_from is not None:
            where = and_(where, items.c.taken_key >= query.taken_from.timestamp())
        if query.taken_before is not None:
            where = and_(
                where, items.c.taken_key < query.taken_before.timestamp(), items.c.taken_at.is_not(None)
            )
        return where

    def _ordered(
        self, listing: Listing, after: Anchor | None
    ) -> tuple[Any, ColumnElement[bool], tuple[Any, Any]]:
        # Building a restricted viewer's clause costs more Python than the page's SQL costs SQLite, and
        # clause objects are immutable, so each viewer's is built once and reused for every page.
        query = listing.query
        key = (
            repr(listing.scope),
            listing.library.id,
            listing.library.kind,
            listing.kinds,
            listing.labels_in_use,
            query.genre,
            query.year,
            query.camera,
            query.taken_from,
            query.taken_before,
            query.sort,
            query.descending,
        )
        built = self._clauses.get(key)
        if built is None:
            column = _SORT_COLUMNS[query.sort]
            order = (
                (column.desc(), items.c.id.desc()) if query.descending else (column.asc(), items.c.id.asc())
            )
            built = (column, self._browse_where(listing), order)
            if len(self._clauses) >= _CLAUSE_CACHE:
                self._clauses.clear()
            self._clauses[key] = built
        column, where, order = built
        if after is not None:
            where = and_(where, _past(column, after, query.descending))
        return column, where, order

    def browse(
        self, conn: Connection, listing: Listing, after: Anchor | None = None, skip: int | None = None
    ) -> list[ItemSummary]:
        """A page of items. With ``after`` (a row's sort value and id) the page starts past that row and
        ``skip`` replaces the query's offset, so a deep page does not step through every earlier row."""
        # Two steps: the page's ids from the covering index, then only those rows. SQLite would otherwise
        # read every skipped row in full for a deep OFFSET.
        return self.summaries(conn, self.browse_ids(conn, listing, after, skip))

    def browse_ids(
        self, conn: Connection, listing: Listing, after: Anchor | None = None, skip: int | None = None
    ) -> list[str]:
        """The ids of the page ``browse`` answers, in order: for callers that read the rows their own way."""
        _, where, order = self._ordered(listing, after)
        offset = listing.query.offset if skip is None else skip
        ids = conn.execute(
            select(items.c.id).where(where).order_by(*order).offset(offset).limit(listing.query.limit)
        )
        return list(ids.scalars())

    def summaries(self, conn: Connection, wanted: list[str]) -> list[ItemSummary]:
        rows = {r.id: r for r in conn.execute(select(*_SUMMARY_COLUMNS).where(items.c.id.in_(wanted)))}
        return [_summary(rows[i]) for i in wanted if i in rows]

    def row_at(self, conn: Connection, listing: Listing, after: Anchor | None, skip: int) -> Anchor | None:
        """The sort value and id of the row ``skip`` rows past ``after`` (or past the start) in browse order."""
        column, where, order = self._ordered(listing, after)
        row = conn.execute(
            select(column, items.c.id).where(where).order_by(*order).offset(skip).limit(1)
        ).first()
        return None if row is None else (row[0], row[1])

    def anchors(self, conn: Connection, listing: Listing, every: int) -> list[Anchor]:
        """The sort value and id of every ``every``-th row in browse order (rows every-1, 2*every-1, …), in
        one statement: SQLite walks the covering index in order and hands back only those rows, so a
        background caller holds the GIL once per anchor rather than once per row or per query."""
        column, where, order = self._ordered(listing, None)
        numbered = (
            select(
                column.label("value"),
                items.c.id.label("id"),
                func.row_number().over(order_by=order).label("n"),
            )
            .where(where)
            .subquery()
        )
        rows = conn.execute(
            select(numbered.c.value, numbered.c.id).where(numbered.c.n % every == 0).order_by(numbered.c.n)
        )
        return [(row[0], row[1]) for row in rows]

    def count(self, conn: Connection, listing: Listing) -> int:
        _, where, _ = self._ordered(listing, None)
        return int(conn.execute(select(func.count()).select_from(items).where(where)).scalar_one())

    def labels_in_use(self, conn: Connection) -> frozenset[str]:
        return frozenset(conn.execute(select(item_tags.c.tag).distinct()).scalars())

    def get(self, conn: Connection, scope: LibraryScope, item_id: str) -> ItemDetail | None:
        row = conn.execute(
            select(items).where(items.c.id == item_id, scope_clause(scope, library_index=False))
        ).first()
        if row is None:
            return None
        genres = conn.execute(
            select(item_genres.c.genre).where(item_genres.c.item_id == item_id).order_by(item_genres.c.genre)
        ).scalars()
        tags = conn.execute(
            select(item_tags.c.tag).where(item_tags.c.item_id == item_id).order_by(item_tags.c.tag)
        ).scalars()
        files = conn.execute(
            select(media_files).where(media_files.c.item_id == item_id).order_by(media_files.c.part)
        ).all()
        subs = conn.execute(
            select(subtitles).where(subtitles.c.item_id == item_id).order_by(subtitles.c.language)
        ).all()
        artwork = tuple(kind for kind in ("poster", "fanart") if getattr(row, kind))
        extras = conn.execute(
            select(items.c.id, items.c.title, items.c.duration, _EXTRA_TYPE.label("extra_type"))
            .where(
                items.c.parent_id == item_id,
                items.c.kind == ItemKind.EXTRA.value,
                items.c.missing == false(),
                scope_clause(scope, library_index=False),
            )
            .order_by(items.c.sort_title, items.c.id)
        ).all()
        return ItemDetail(
            summary=_summary(row),
            sort_title=row.sort_title,
            plot=row.plot,
            genres=tuple(genres),
            tags=tuple(tags),
            duration=row.duration,
            taken_at=datetime.fromtimestamp(row.taken_at, UTC) if row.taken_at else None,
            extra=json.loads(row.extra or "{}"),
            files=tuple(
                MediaFileInfo(
                    id=f.id,
                    path=f.path,
                    size=f.size,
                    mtime=f.mtime,
                    part=f.part,
                    media=_media(f.media),
                    missing=f.missing_since is not None,
                    device=f.device,
                    inode=f.inode,
                )
                for f in files
            ),
            subtitles=tuple(
                SubtitleInfo(
                    id=s.id,
                    language=s.language,
                    format=s.format,
                    forced=bool(s.forced),
                    embedded_index=s.embedded_index,
                    title=s.title,
                )
                for s in subs
            ),
            artwork=artwork,
            extras=tuple(
                ExtraInfo(
                    id=e.id,
                    title=e.title,
                    extra_type=_extra_type(e.extra_type),
                    duration=e.duration,
                )
                for e in extras
            ),
        )

    def children(self, conn: Connection, scope: LibraryScope, item_id: str) -> list[ItemSummary] | None:
        """None when the parent itself is not visible, so that hidden and absent answer the same."""
        visible = conn.execute(
            select(items.c.id).where(items.c.id == item_id, scope_clause(scope, library_index=False))
        ).first()
        if visible is None:
            return None
        rows = conn.execute(
            select(*_SUMMARY_COLUMNS)
            .where(items.c.parent_id == item_id, scope_clause(scope, library_index=False))
            .order_by(items.c.parent_idx, items.c.idx, items.c.sort_title, items.c.id)
        ).all()
        return [_summary(r) for r in rows]

    def recently_added(
        self,
        conn: Connection,
        scope: LibraryScope,
        library_id: str | None,
        kinds: tuple[ItemKind, ...],
        limit: int,
    ) -> list[ItemSummary]:
        where = and_(
            items.c.kind.in_([k.value for k in kinds]), scope_clause(scope), items.c.missing == false()
        )
        if library_id is not None:
            where = and_(where, items.c.library_id == library_id)
        rows = conn.execute(
            select(*_SUMMARY_COLUMNS).where(where).order_by(items.c.added_at.desc(), items.c.id).limit(limit)
        ).all()
        return [_summary(r) for r in rows]

    def search(self, conn: Connection, scope: LibraryScope, query: str, limit: int) -> list[ItemSummary]:
        tokens = search_tokens(query)
        if not tokens:
            return []
        if conn.dialect.name == "sqlite":
            # Best matches first: the scope filters the index's best candidates, widened on a short page.
            stmt = (
                select(*_SUMMARY_COLUMNS)
                .join(HITS, HITS.c.row == ITEM_ROW)
                .where(scope_clause(scope, library_index=False))
                .order_by(HITS.c.rank, items.c.sort_title)
                .limit(limit)
            )
            rows = best_first(conn, stmt, fts_match(tokens), limit, limit)
        elif conn.dialect.name == "postgresql":
            stmt = (
                select(*_SUMMARY_COLUMNS)
                .where(text_search.matches(tokens), scope_clause(scope, library_index=False))
                .order_by(text_search.rank(tokens).desc(), items.c.sort_title)
                .limit(limit)
            )
            rows = list(conn.execute(stmt).all())
        else:
            clauses = [items.c.title.ilike("%" + _escape_like(t) + "%", escape="\\") for t in tokens]
            stmt = (
                select(*_SUMMARY_COLUMNS)
                .where(and_(*clauses), scope_clause(scope))
                .order_by(items.c.sort_title)
                .limit(limit)
            )
            rows = list(conn.execute(stmt).all())
        return [_summary(r) for r in rows]

    def artwork_path(self, conn: Connection, scope: LibraryScope, item_id: str, kind: str) -> str | None:
        column = {"poster": items.c.poster, "fanart": items.c.fanart}[kind]
        return conn.execute(
            select(column).where(items.c.id == item_id, scope_clause(scope, library_index=False))
        ).scalar_one_or_none()

    def photo_facets(self, conn: Connection, scope: LibraryScope, library: Library) -> PhotoFacets:
        """The years photos were taken in (newest first) and the cameras that took them, of what the viewer sees."""
        where = and_(
            items.c.library_id == library.id,
            items.c.kind.in_([ItemKind.PHOTO.value, ItemKind.VIDEO.value]),
            scope_clause(scope, library.kind),
        )
        years = conn.execute(
            select(items.c.year)
            .where(where, items.c.taken_at.is_not(None))
            .distinct()
            .order_by(items.c.year.desc())
        ).scalars()
        cameras = conn.execute(
            select(_CAMERA).where(where, _CAMERA.is_not(None)).distinct().order_by(_CAMERA)
        ).scalars()
        return PhotoFacets(
            years=tuple(y for y in years if y is not None), cameras=tuple(str(c) for c in cameras if c)
        )

    def genres(self, conn: Connection, scope: LibraryScope, library: Library) -> list[str]:
        rows = conn.execute(
            select(item_genres.c.genre)
            .join(items, items.c.id == item_genres.c.item_id)
            .where(items.c.library_id == library.id, scope_clause(scope, library.kind))
            .distinct()
            .order_by(item_genres.c.genre)
        ).scalars()
        return list(rows)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
