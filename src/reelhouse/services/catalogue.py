"""Browsing the catalogue: every call takes the viewer and reads through their scope."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reelhouse.domain.access import Action, Actor, can
from reelhouse.domain.finding import FULL, SEARCH_GROUPS, FindQuery, FindSort, FoundItem, GroupedSearch, Needs
from reelhouse.domain.library import (
    TOP_LEVEL_KINDS,
    ItemDetail,
    ItemKind,
    ItemQuery,
    ItemSort,
    ItemSummary,
    Library,
    Page,
    PhotoFacets,
)
from reelhouse.domain.people import CollectionCard, CollectionDetail, Lyrics, PersonDetail, PersonHit
from reelhouse.errors import InvalidInput, NotFound, PermissionDenied
from reelhouse.persistence.catalogue import CatalogueRepository, Listing
from reelhouse.persistence.database import Database
from reelhouse.persistence.family_names import FamilyNames
from reelhouse.persistence.finding import ItemFinder
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.persistence.people import PeopleRepository

MAX_PAGE = 500
ANCHOR_EVERY = 500
MAX_OFFSET = 10_000_000
MAX_FIND = 1000
RECENT_KINDS = (ItemKind.MOVIE, ItemKind.EPISODE, ItemKind.ALBUM, ItemKind.PHOTO, ItemKind.VIDEO)
# Grouped recently added finds new shows and albums by their newest episodes and tracks.
GROUPED_RECENT_KINDS = frozenset(
    {ItemKind.MOVIE, ItemKind.EPISODE, ItemKind.TRACK, ItemKind.PHOTO, ItemKind.VIDEO}
)


class TotalsCache:
    """Counting 100,000 index entries costs ~10 ms, more than the page itself, so totals are kept briefly;
    so are page anchors, which turn a deep OFFSET into a seek plus a short skip.

    Scans and library changes clear it; the TTL bounds staleness from writers in other processes (the CLI)."""

    TTL = 30.0
    SIZE = 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: Hashable, total: Any) -> None:
        with self._lock:
            if len(self._entries) >= self.SIZE:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self.TTL, total)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _lowest_priority() -> None:
    """The anchor walk runs at the lowest CPU priority (Linux threads each have their own nice value), so
    on a busy machine requests get the cores first; it spends its time inside SQLite, without the GIL."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


_BROWSE_SORTS = {
    FindSort.TITLE: ItemSort.TITLE,
    FindSort.ADDED: ItemSort.ADDED,
    FindSort.YEAR: ItemSort.YEAR,
    FindSort.RATING: ItemSort.RATING,
}


def _as_browse(query: FindQuery) -> tuple[tuple[ItemKind, ...], ItemQuery] | None:
    """The browse page a FindQuery of one library stands for, when it asks nothing a browse cannot answer."""
    narrowed = (
        query.parent_id,
        query.ancestor_id,
        query.ids,
        query.text,
        query.name_starts_with,
        query.top_ids,
        query.parent_ids,
        query.person_ids,
        query.played,
        query.favourite,
        query.folders,
    )
    if any(value is not None for value in narrowed) or query.resumable or query.present_only:
        return None
    if query.exclude_kinds or len(query.genres) > 1 or len(query.years) > 1 or len(query.sort) != 1:
        return None
    sort = _BROWSE_SORTS.get(query.sort[0])
    if sort is None or query.limit > MAX_PAGE or query.kinds == frozenset():
        return None
    kinds = tuple(sorted(query.kinds if query.kinds is not None else ItemKind))
    browse = ItemQuery(
        sort=sort,
        descending=query.descending,
        offset=query.offset,
        limit=query.limit,
        genre=query.genres[0] if query.genres else None,
        year=query.years[0] if query.years else None,
    )
    return kinds, browse


def _check_find(actor: Actor, query: FindQuery) -> None:
    """What every listing across libraries must be: a page of sane size, and a caller who may browse."""
    if not 1 <= query.limit <= MAX_FIND:
        raise InvalidInput(f"limit must be between 1 and {MAX_FIND}.", "limit")
    if not 0 <= query.offset <= MAX_OFFSET:
        raise InvalidInput("offset must not be negative.", "offset")
    if query.ids is not None and len(query.ids) > MAX_FIND:
        raise InvalidInput(f"Ask for at most {MAX_FIND} ids at once.", "ids")
    if not can(actor, Action.BROWSE):
        raise PermissionDenied("This token may not read the catalogue.")


def _search_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("Type something to search for.", "q")
    if len(text) > 200:
        raise InvalidInput("Search text is limited to 200 characters.", "q")
    return text


class CatalogueService:
    def __init__(
        self,
        db: Database,
        items: CatalogueRepository,
        libraries: LibraryRepository,
        people: PeopleRepository | None = None,
    ) -> None:
        self._db = db
        self._items = items
        self._libraries = libraries
        self._people = people or PeopleRepository()
        self._totals = TotalsCache()
        self._finder = ItemFinder()
        # Listings' parent and top item names, kept per catalogue version (cleared with the totals).
        self._names = FamilyNames()
        # One background worker finds the rest of an ordering's anchors after its first deep page, so a jump
        # to any later page is a seek rather than a walk; the generation stops work that a change made stale.
        self._filler = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="anchor-fill", initializer=_lowest_priority
        )
        self._filling: set[tuple[Any, ...]] = set()
        self._fill_lock = threading.Lock()
        self._generation = 0
        self._closed = False

    def close(self) -> None:
        self._closed = True
        self._filler.shutdown(wait=True, cancel_futures=True)

    def browse(self, actor: Actor, library_id: str, query: ItemQuery) -> Page[ItemSummary]:
        if not 1 <= query.limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}.", "limit")
        if not 0 <= query.offset <= MAX_OFFSET:
            raise InvalidInput("offset must not be negative.", "offset")
        with self._db.read() as conn:
            library = self._libraries.get(conn, library_id)
            if library is None or not can(actor, Action.BROWSE, library.id):
                raise NotFound("No such library.")
            kinds = (query.kind,) if query.kind else TOP_LEVEL_KINDS[library.kind]
            page, total = self._browse_page(conn, actor, library, kinds, query)
        return Page(tuple(page), total, query.offset, query.limit)

    def _browse_page(
        self, conn: Any, actor: Actor, library: Library, kinds: tuple[ItemKind, ...], query: ItemQuery
    ) -> tuple[list[ItemSummary], int]:
        ids, total = self._browse_ids(conn, actor, library, kinds, query)
        return self._items.summaries(conn, ids), total

    def _browse_ids(
        self, conn: Any, actor: Actor, library: Library, kinds: tuple[ItemKind, ...], query: ItemQuery
    ) -> tuple[list[str], int]:
        """One page of a library in one of its browse orders, seeking from cached anchors, with its cached total."""
        key = (
            library.id,
            kinds,
            query.genre,
            query.year,
            query.camera,
            query.taken_from,
            query.taken_before,
            repr(actor.scope),
        )
        listing = Listing(actor.scope, library, kinds, query, self._labels(conn))
        after, skip = self._anchor(conn, listing, key)
        ids = self._items.browse_ids(conn, listing, after, skip)
        total = self._totals.get(key)
        if total is None:
            total = self._items.count(conn, listing)
            self._totals.put(key, total)
        return ids, total

    def _labels(self, conn: Any) -> frozenset[str]:
        labels: frozenset[str] | None = self._totals.get("labels in use")
        if labels is None:
            labels = self._items.labels_in_use(conn)
            self._totals.put("labels in use", labels)
        return labels

    def _anchor(self, conn: Any, listing: Listing, key: tuple[Any, ...]) -> tuple[Any, int | None]:
        """Where a deep page starts: the anchor (sort value and id) of the row just before its block of
        ANCHOR_EVERY rows in this viewer's ordering, and how many rows past it. A missing anchor is found by
        seeking from the nearest known one before it, so each deep step is paid once while the cache holds it."""
        query = listing.query
        blocks = query.offset // ANCHOR_EVERY
        if not blocks:
            return None, None
        order_key = (*key, query.sort, query.descending)
        anchors: dict[int, Any] = self._totals.get(order_key) or {}
        if blocks - 1 not in anchors:
            known = max((b for b in anchors if b < blocks - 1), default=None)
            start_at = None if known is None else anchors[known]
            distance = (blocks - 1 - (known if known is not None else -1)) * ANCHOR_EVERY - 1
            found = self._items.row_at(conn, listing, start_at, distance)
            if found is None:
                return None, None
            anchors[blocks - 1] = found
            self._totals.put(order_key, anchors)
            self._fill_later(listing, order_key)
        return anchors[blocks - 1], query.offset - blocks * ANCHOR_EVERY

    def _fill_later(self, listing: Listing, order_key: tuple[Any, ...]) -> None:
        with self._fill_lock:
            if self._closed or order_key in self._filling:
                return
            self._filling.add(order_key)
        self._filler.submit(self._fill, listing, order_key, self._generation)

    def _fill(self, listing: Listing, order_key: tuple[Any, ...], generation: int) -> None:
        """Find every anchor of the ordering in one pass over its index, through a lean connection outside
        the request pool. A catalogue change meanwhile (a new generation) discards the result."""
        try:
            with self._db.walk() as conn:
                if self._closed or generation != self._generation:
                    return
                found = dict(enumerate(self._items.anchors(conn, listing, ANCHOR_EVERY)))
            if generation == self._generation:
                self._totals.put(order_key, {**(self._totals.get(order_key) or {}), **found})
        finally:
            with self._fill_lock:
                self._filling.discard(order_key)

    def catalogue_changed(self) -> None:
        """Called when a scan or a library change may have changed what pages contain."""
        self._generation += 1
        self._totals.clear()
        self._names.clear()

    def item(self, actor: Actor, item_id: str) -> ItemDetail:
        with self._db.read() as conn:
            detail = self._items.get(conn, actor.scope, item_id)
            if detail is not None:
                detail = dataclasses.replace(
                    detail,
                    credits=tuple(self._people.credits(conn, item_id)),
                    collection=self._people.collection(conn, item_id),
                )
        if detail is None or not can(actor, Action.BROWSE, detail.summary.library_id):
            raise NotFound("No such item.")
        if not actor.is_admin and "gps" in detail.extra:
            extra = {k: v for k, v in detail.extra.items() if k != "gps"}
            detail = ItemDetail(**{**detail.__dict__, "extra": extra})
        return detail

    def person(self, actor: Actor, person_id: str) -> PersonDetail:
        """A person and the items this viewer may see them in; one seen in nothing visible is a 404."""
        if not can(actor, Action.BROWSE):
            raise NotFound("No such person.")
        with self._db.read() as conn:
            found = self._people.person(conn, actor.scope, person_id)
        if found is None:
            raise NotFound("No such person.")
        return found

    def collection(self, actor: Actor, collection_id: str) -> CollectionDetail:
        """A collection's items this viewer may see; one with none visible is a 404 like an unknown id."""
        if not can(actor, Action.BROWSE):
            raise NotFound("No such collection.")
        with self._db.read() as conn:
            found = self._people.collection_detail(conn, actor.scope, collection_id)
        if found is None:
            raise NotFound("No such collection.")
        return found

    def library_collections(self, actor: Actor, library_id: str) -> list[CollectionCard]:
        with self._db.read() as conn:
            library = self._libraries.get(conn, library_id)
            if library is None or not can(actor, Action.BROWSE, library.id):
                raise NotFound("No such library.")
            return self._people.library_collections(conn, actor.scope, library.id)

    def lyrics(self, actor: Actor, item_id: str) -> Lyrics | None:
        """A track's lyrics (None when it has none); an item the viewer cannot see is a 404."""
        with self._db.read() as conn:
            visible = self._items.get(conn, actor.scope, item_id)
            if visible is None or not can(actor, Action.BROWSE, visible.summary.library_id):
                raise NotFound("No such item.")
            return self._people.lyrics(conn, item_id)

    def find(self, actor: Actor, query: FindQuery, needs: Needs = FULL) -> Page[FoundItem]:
        """Items across every library the viewer sees (or one, or under one item), filtered and ordered as
        client apps ask; a library, parent or ancestor the viewer cannot see is a 404 like a missing one.
        ``needs`` leaves out what the answer never shows (Needs): a grid of posters shows no plot, and
        Subsonic's search has no place for a total, which for a common word reads every match (about 4 ms at
        100,000 tracks)."""
        _check_find(actor, query)
        names = self._names.current()
        with self._db.read() as conn:
            library = None
            if query.library_id is not None:
                library = self._libraries.get(conn, query.library_id)
                if library is None or not can(actor, Action.BROWSE, library.id):
                    raise NotFound("No such library.")
            browse = _as_browse(query) if library is not None else None
            if library is not None and browse is not None:
                # A plain page of one library is a browse page: the same anchors and cached totals.
                # Only the ids: the finder reads the rows once, with everything an app's list needs.
                ids, total = self._browse_ids(conn, actor, library, *browse)
                rows = self._finder.rows(conn, actor.scope, ids, needs, names)
                return Page(tuple(rows), total, query.offset, query.limit)
            kind = library.kind if library is not None else None
            # Totals are cached like a browse's, but not where the viewer's own marks decide: those change
            # with every report, and nothing clears the cache for them.
            marked = query.played is not None or query.resumable or query.favourite is not None
            key = None
            if not marked:
                key = ("find", dataclasses.replace(query, offset=0, limit=1, sort=()), repr(actor.scope))
            cached = self._totals.get(key) if key is not None else None
            labels = self._labels(conn)
            found = self._finder.find(conn, actor.scope, query, kind, labels, cached, needs, names)
            if found is not None and key is not None and cached is None and needs.total:
                self._totals.put(key, found[1])
        if found is None:
            raise NotFound("No such item.")
        return Page(tuple(found[0]), found[1], query.offset, query.limit)

    def found(self, actor: Actor, item_id: str) -> FoundItem:
        """One item as listings show it (with the viewer's marks); hidden answers like missing."""
        if not can(actor, Action.BROWSE):
            raise NotFound("No such item.")
        names = self._names.current()
        with self._db.read() as conn:
            rows = self._finder.rows(conn, actor.scope, [item_id], names=names)
        if not rows:
            raise NotFound("No such item.")
        return rows[0]

    def children(self, actor: Actor, item_id: str) -> list[ItemSummary]:
        with self._db.read() as conn:
            found = self._items.children(conn, actor.scope, item_id)
        if found is None:
            raise NotFound("No such item.")
        return found

    def recently_added(
        self, actor: Actor, library_id: str | None = None, limit: int = 24
    ) -> list[ItemSummary]:
        if not 1 <= limit <= 100:
            raise InvalidInput("limit must be between 1 and 100.", "limit")
        with self._db.read() as conn:
            if library_id is not None:
                library = self._libraries.get(conn, library_id)
                if library is None or not can(actor, Action.BROWSE, library.id):
                    raise NotFound("No such library.")
            return self._items.recently_added(conn, actor.scope, library_id, RECENT_KINDS, limit)

    def search(self, actor: Actor, text: str, limit: int = 50) -> list[ItemSummary]:
        text = _search_text(text)
        if not 1 <= limit <= 200:
            raise InvalidInput("limit must be between 1 and 200.", "limit")
        with self._db.read() as conn:
            return self._items.search(conn, actor.scope, text, limit)

    def search_grouped(
        self, actor: Actor, text: str, per_kind: int = 6, kinds: tuple[str, ...] = SEARCH_GROUPS
    ) -> GroupedSearch:
        """Search as you type: the best matches of each kind (and the people credited on what the viewer
        sees), each kind ranked on its own, under the viewer's scope."""
        text = _search_text(text)
        if not 1 <= per_kind <= 20:
            raise InvalidInput("per_kind must be between 1 and 20.", "per_kind")
        unknown = [k for k in kinds if k not in SEARCH_GROUPS]
        if unknown:
            raise InvalidInput(
                f"Unknown kind '{unknown[0][:20]}'; kinds are {', '.join(SEARCH_GROUPS)}.", "kinds"
            )
        if not can(actor, Action.BROWSE):
            raise PermissionDenied("This token may not read the catalogue.")
        item_kinds = tuple(ItemKind(k) for k in SEARCH_GROUPS if k in kinds and k != "person")
        queries = [
            FindQuery(kinds=frozenset({k}), text=text, sort=(FindSort.RELEVANCE,), limit=per_kind)
            for k in item_kinds
        ]
        names = self._names.current()
        with self._db.read() as conn:
            found = self._finder.best_matches_each(
                conn, actor.scope, queries, self._labels(conn), Needs(details=False, leaves=False), names
            )
            hits: tuple[PersonHit, ...] = ()
            if "person" in kinds:
                hits = tuple(self._people.search(conn, actor.scope, text, per_kind))
        groups = tuple(
            (kind.value, tuple(page)) for kind, page in zip(item_kinds, found, strict=True) if page
        )
        return GroupedSearch(groups, hits)

    def search_each(
        self, actor: Actor, queries: list[FindQuery], needs: Needs = FULL
    ) -> list[list[FoundItem]]:
        """Best matches first for each query with words (each its own kind, say), in one read: Subsonic's
        search3 asks for artists, albums and songs at once. A library the viewer cannot see is a 404."""
        for query in queries:
            _search_text(query.text or "")
            _check_find(actor, query)
        names = self._names.current()
        with self._db.read() as conn:
            for library_id in {q.library_id for q in queries if q.library_id is not None}:
                library = self._libraries.get(conn, library_id)
                if library is None or not can(actor, Action.BROWSE, library.id):
                    raise NotFound("No such library.")
            ranked = [dataclasses.replace(q, sort=(FindSort.RELEVANCE,)) for q in queries]
            return self._finder.best_matches_each(conn, actor.scope, ranked, self._labels(conn), needs, names)

    def labels(self, actor: Actor) -> list[str]:
        """Every label titles carry, for admins choosing a user's allowed and blocked labels, which must match
        exactly; read fresh rather than from the cache, so a label a scan just added is offered at once."""
        if not can(actor, Action.MANAGE_USERS):
            raise PermissionDenied("Only admins can list the labels titles carry.")
        with self._db.read() as conn:
            found = self._items.labels_in_use(conn)
        return sorted(found, key=lambda label: (label.casefold(), label))

    def photo_facets(self, actor: Actor, library_id: str) -> PhotoFacets:
        """The years and cameras a photos library's filters offer, as far as the viewer sees the library."""
        with self._db.read() as conn:
            library = self._libraries.get(conn, library_id)
            if library is None or not can(actor, Action.BROWSE, library.id):
                raise NotFound("No such library.")
            key = ("photo facets", library.id, repr(actor.scope))
            found: PhotoFacets | None = self._totals.get(key)
            if found is None:
                found = self._items.photo_facets(conn, actor.scope, library)
                self._totals.put(key, found)
            return found

    def genres(self, actor: Actor, library_id: str) -> list[str]:
        with self._db.read() as conn:
            library = self._libraries.get(conn, library_id)
            if library is None or not can(actor, Action.BROWSE, library.id):
                raise NotFound("No such library.")
            # A distinct scan over every item's genres: cached like totals, cleared by scans.
            key = ("genres", library.id, repr(actor.scope))
            found: list[str] | None = self._totals.get(key)
            if found is None:
                found = self._items.genres(conn, actor.scope, library)
                self._totals.put(key, found)
            return found

    def listed(self, actor: Actor, ids: list[str]) -> list[FoundItem]:
        """Items as listings show them (family names, duration, the viewer's marks), in the order asked; ids
        the viewer cannot see are left out rather than refused, as a shelf may outlive an item."""
        if not ids:
            return []
        page = self.find(actor, FindQuery(ids=tuple(ids), limit=min(len(ids), MAX_FIND)))
        by_id: dict[str, FoundItem] = {found.summary.id: found for found in page.items}
        return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]

    def recently_added_grouped(
        self, actor: Actor, library_id: str | None = None, limit: int = 24
    ) -> list[FoundItem]:
        """Newest first, where a new episode stands for its show and a new track for its album: a season
        added in one scan is one card, not twelve."""
        if not 1 <= limit <= 100:
            raise InvalidInput("limit must be between 1 and 100.", "limit")
        newest = self.find(
            actor,
            FindQuery(
                kinds=GROUPED_RECENT_KINDS,
                library_id=library_id,
                present_only=True,
                sort=(FindSort.ADDED,),
                descending=True,
                # Many of the newest rows may share one show; eight per card is plenty to fill a shelf.
                limit=min(limit * 8, MAX_FIND),
            ),
        )
        chosen: list[str] = []
        for found in newest.items:
            key: str = found.summary.id
            if found.summary.kind is ItemKind.EPISODE:
                key = found.top_id
            elif found.summary.kind is ItemKind.TRACK and found.summary.parent_id:
                key = found.summary.parent_id
            if key not in chosen:
                chosen.append(key)
            if len(chosen) == limit:
                break
        return self.listed(actor, chosen)

    def next_up(self, actor: Actor, limit: int = 20) -> list[FoundItem]:
        """For each show the viewer watched lately (most recent first), the first unwatched episode after
        the last one they watched; a show they have finished has none."""
        if not 1 <= limit <= 100:
            raise InvalidInput("limit must be between 1 and 100.", "limit")
        watched = self.find(
            actor,
            FindQuery(
                kinds=frozenset({ItemKind.EPISODE}),
                played=True,
                sort=(FindSort.PLAYED_AT,),
                descending=True,
                limit=MAX_FIND,
            ),
        )
        last_of_show: dict[str, FoundItem] = {}
        for found in watched.items:
            last_of_show.setdefault(found.top_id, found)
        chosen: list[FoundItem] = []
        for show, last in last_of_show.items():
            after = (last.summary.parent_index or 0, last.summary.index or 0)
            episodes = self.find(
                actor,
                FindQuery(
                    kinds=frozenset({ItemKind.EPISODE}),
                    top_ids=(show,),
                    sort=(FindSort.PARENT_INDEX, FindSort.INDEX),
                    limit=MAX_FIND,
                ),
            )
            following = next(
                (
                    e
                    for e in episodes.items
                    if (e.summary.parent_index or 0, e.summary.index or 0) > after and not e.marks.watched
                ),
                None,
            )
            if following is not None:
                chosen.append(following)
            if len(chosen) == limit:
                break
        return chosen
