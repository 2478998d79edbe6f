"""What the scanner reads and writes: files, items, subtitles and scan errors of one library."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, exists, func, insert, or_, select, text, update

from reelhouse.domain.access import label_mask
from reelhouse.domain.ids import new_id
from reelhouse.domain.ratings import PENDING_RANK, UNKNOWN_RANK
from reelhouse.domain.scanning import ScanIssue
from reelhouse.persistence.portable import json_has
from reelhouse.persistence.schema import (
    collections,
    item_collections,
    item_genres,
    item_lyrics,
    item_people,
    item_tags,
    items,
    media_files,
    people,
    scan_errors,
    subtitles,
)

_NFO_KINDS = ("movie", "show", "episode")
# The keys of items.extra that only an NFO sets.
NFO_EXTRA = ("original_title", "tagline", "runtime", "premiered", "studios", "uniqueids")
LEAF_KINDS = ("movie", "episode", "track", "photo", "video", "extra")
_CONTAINER_LEVELS = (("season", "album"), ("show", "artist"))
_LEAF_MISSING = text(
    "UPDATE items SET missing = NOT EXISTS (SELECT 1 FROM media_files f WHERE f.item_id = items.id "
    "AND f.missing_since IS NULL) WHERE library_id = :lib AND kind IN :leaf "
    "AND EXISTS (SELECT 1 FROM media_files f WHERE f.item_id = items.id)"
).bindparams(bindparam("leaf", expanding=True))
_PRUNE_LEAVES = text(
    "DELETE FROM items WHERE library_id = :lib AND kind IN :leaf "
    "AND NOT EXISTS (SELECT 1 FROM media_files f WHERE f.item_id = items.id) "
    "AND NOT EXISTS (SELECT 1 FROM items c WHERE c.parent_id = items.id)"
).bindparams(bindparam("leaf", expanding=True))
_PRUNE_CONTAINERS = text(
    "DELETE FROM items WHERE library_id = :lib AND kind IN :kinds "
    "AND NOT EXISTS (SELECT 1 FROM items c WHERE c.parent_id = items.id)"
).bindparams(bindparam("kinds", expanding=True))
_CONTAINER_MISSING = text(
    "UPDATE items SET missing = NOT EXISTS (SELECT 1 FROM items c WHERE c.parent_id = items.id "
    "AND NOT c.missing) WHERE library_id = :lib AND kind IN :kinds"
).bindparams(bindparam("kinds", expanding=True))


# IS DISTINCT FROM (SQLite 3.39+, PostgreSQL): NULL-safe "differs", spelled alike on both.
_INHERIT_FROM_TOP = tuple(
    text(
        f"UPDATE items SET {column} = (SELECT t.{column} FROM items t WHERE t.id = items.top_id) "  # noqa: S608 (fixed names)
        f"WHERE library_id = :lib AND top_id != id AND {column} IS DISTINCT FROM "
        f"(SELECT t.{column} FROM items t WHERE t.id = items.top_id)"
    )
    for column in ("rating_rank", "label_mask")
)
# A top item the scan wrote without reading a rating for (no NFO, or a kind that has none) is unrated.
_UNPEND_TOPS = text(
    "UPDATE items SET rating_rank = NULL WHERE library_id = :lib AND top_id = id AND rating_rank = :pending"
)
_FROM_TOP = text(
    "UPDATE items SET rating_rank = (SELECT t.rating_rank FROM items t WHERE t.id = items.top_id), "
    "label_mask = (SELECT t.label_mask FROM items t WHERE t.id = items.top_id) "
    "WHERE id IN :ids AND top_id != id AND (rating_rank IS DISTINCT FROM (SELECT t.rating_rank FROM items t "
    "WHERE t.id = items.top_id) OR label_mask IS DISTINCT FROM (SELECT t.label_mask FROM items t "
    "WHERE t.id = items.top_id))"
).bindparams(bindparam("ids", expanding=True))


@dataclass(frozen=True)
class StoredFile:
    id: str
    item_id: str | None
    path: str
    size: int
    mtime: float
    fingerprint: str
    part: int
    missing_since: float | None
    device: int | None = None
    inode: int | None = None
    reprobe: bool = False


@dataclass(frozen=True)
class StoredItem:
    id: str
    kind: str
    parent_id: str | None
    top_id: str
    group_key: str | None
    idx: int | None
    poster: str | None
    fanart: str | None
    updated_at: float
    title: str = ""
    year: int | None = None
    # Something only an NFO sets (plot, rating, content rating, genres or tags of a video item) is present,
    # or a refused NFO left its mark (an unknown rank on a top item).
    nfo_set: bool = False
    rating_rank: int | None = None


@dataclass
class Changes:
    """One transaction's worth of reconcile output; rows are plain dicts keyed by column name."""

    new_items: list[dict[str, Any]] = field(default_factory=list)
    item_updates: list[dict[str, Any]] = field(default_factory=list)
    genres: dict[str, tuple[str, ...]] = field(default_factory=dict)
    new_files: list[dict[str, Any]] = field(default_factory=list)
    file_updates: list[dict[str, Any]] = field(default_factory=list)
    # file id → subtitle rows for its embedded text streams (replacing the previous ones)
    embedded_subtitles: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # track item id → its embedded lyrics row (None: it has none), replacing the previous row
    lyrics: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # item id → a JSON merge patch for its extra (a key set to None is removed), applied after the rows above
    extra_patches: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.new_items) + len(self.item_updates) + len(self.new_files) + len(self.file_updates)


@dataclass(frozen=True)
class ItemPatch:
    """Artwork, and NFO metadata when ``nfo`` is set, for one item.

    Only a top item's rating rank and labels govern who sees it and everything below it: a patch of a
    child never sets them, and a top's patch rewrites its ``descendants`` in the same transaction, so a show
    and its seasons and episodes are never seen apart."""

    id: str
    poster: str | None
    fanart: str | None
    updated_at: float
    nfo: dict[str, Any] | None = None
    genres: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    top: bool = True
    descendants: tuple[str, ...] = ()
    # Merged into items.extra as a JSON merge patch: a key set to None is removed. None: extra is left alone.
    extra: dict[str, Any] | None = None
    # Credits as rows of item_people without item_id and person_id (``name`` names the person); None: unchanged.
    people: tuple[dict[str, Any], ...] | None = None
    # The collection's name, or () for none; None: unchanged.
    collection: tuple[str, ...] | None = None
    # The item's lyrics row (columns of item_lyrics but item_id), () for none; None: unchanged.
    lyrics: tuple[dict[str, Any], ...] | None = None


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class ScanStore:
    def files(self, conn: Connection, library_id: str) -> dict[str, StoredFile]:
        rows = conn.execute(
            select(
                media_files.c.id,
                media_files.c.item_id,
                media_files.c.path,
                media_files.c.size,
                media_files.c.mtime,
                media_files.c.fingerprint,
                media_files.c.part,
                media_files.c.missing_since,
                media_files.c.device,
                media_files.c.inode,
                media_files.c.reprobe,
            ).where(media_files.c.library_id == library_id)
        ).all()
        # .all() fetches in bulk: iterating the result would fetch one row per call, a third of a rescan's time.
        return {r[2]: StoredFile(*tuple(r)) for r in rows}

    def items(self, conn: Connection, library_id: str) -> list[StoredItem]:
        rows = conn.execute(
            select(
                items.c.id,
                items.c.kind,
                items.c.parent_id,
                items.c.top_id,
                items.c.group_key,
                items.c.idx,
                items.c.poster,
                items.c.fanart,
                items.c.updated_at,
                items.c.title,
                items.c.year,
                or_(
                    items.c.plot.is_not(None),
                    items.c.rating.is_not(None),
                    items.c.content_rating.is_not(None),
                    and_(items.c.id == items.c.top_id, items.c.rating_rank == UNKNOWN_RANK),
                    and_(
                        items.c.kind.in_(_NFO_KINDS),
                        or_(
                            exists().where(item_genres.c.item_id == items.c.id),
                            exists().where(item_tags.c.item_id == items.c.id),
                            exists().where(item_people.c.item_id == items.c.id),
                            exists().where(item_collections.c.item_id == items.c.id),
                            *(json_has(items.c.extra, key) for key in NFO_EXTRA),
                        ),
                    ),
                ),
                items.c.rating_rank,
            ).where(items.c.library_id == library_id)
        ).all()
        # Column 11 is the nfo_set test; mypy cannot count a row's columns, hence the explicit fields.
        return [
            StoredItem(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], bool(r[11]), r[12])
            for r in rows
        ]

    def write(self, conn: Connection, changes: Changes) -> None:
        if changes.new_items:
            conn.execute(insert(items), changes.new_items)
        for rows in _by_keys(changes.item_updates).values():
            conn.execute(update(items).where(items.c.id == bindparam("b_id")), rows)
        if changes.extra_patches:
            conn.execute(
                update(items)
                .where(items.c.id == bindparam("b_id"))
                .values(extra=func.json_patch(items.c.extra, bindparam("x_extra"))),
                [
                    {"b_id": item_id, "x_extra": json.dumps(patch, separators=(",", ":"))}
                    for item_id, patch in changes.extra_patches.items()
                ],
            )
        if changes.genres:
            ids = list(changes.genres)
            for chunk in _chunks(ids):
                conn.execute(delete(item_genres).where(item_genres.c.item_id.in_(chunk)))
            rows = [{"item_id": i, "genre": g} for i, gs in changes.genres.items() for g in gs]
            if rows:
                conn.execute(insert(item_genres), rows)
        if changes.new_files:
            conn.execute(insert(media_files), changes.new_files)
        for rows in _by_keys(changes.file_updates).values():
            conn.execute(update(media_files).where(media_files.c.id == bindparam("b_id")), rows)
        if changes.embedded_subtitles:
            for chunk in _chunks(list(changes.embedded_subtitles)):
                conn.execute(
                    delete(subtitles).where(
                        subtitles.c.file_id.in_(chunk), subtitles.c.embedded_index.is_not(None)
                    )
                )
            rows = [r for rs in changes.embedded_subtitles.values() for r in rs]
            if rows:
                conn.execute(insert(subtitles), rows)
        if changes.lyrics:
            self.replace_lyrics(conn, changes.lyrics)

    def mark_missing(self, conn: Connection, file_ids: list[str], now: float) -> None:
        for chunk in _chunks(file_ids):
            conn.execute(update(media_files).where(media_files.c.id.in_(chunk)).values(missing_since=now))

    def purge_missing(self, conn: Connection, library_id: str, before: float) -> int:
        """Forget files missing since before ``before``; ``settle`` then drops items left without files."""
        result = conn.execute(
            delete(media_files).where(
                media_files.c.library_id == library_id,
                media_files.c.missing_since.is_not(None),
                media_files.c.missing_since < before,
            )
        )
        return int(result.rowcount or 0)

    def artwork_in_use(self, conn: Connection, prefix: str) -> set[str]:
        """Poster and fanart paths under ``prefix`` that any item of any library still shows."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        used: set[str] = set()
        for column in (items.c.poster, items.c.fanart):
            used.update(
                r[0] for r in conn.execute(select(column).where(column.like(pattern, escape="\\"))).all()
            )
        return used

    def settle(self, conn: Connection, library_id: str) -> None:
        """Missing flags from files up to shows and artists; drop items left without files or children."""
        params: dict[str, Any] = {"lib": library_id, "leaf": list(LEAF_KINDS)}
        conn.execute(_LEAF_MISSING, params)
        conn.execute(_PRUNE_LEAVES, params)
        for level in _CONTAINER_LEVELS:
            conn.execute(_PRUNE_CONTAINERS, {"lib": library_id, "kinds": list(level)})
            conn.execute(_CONTAINER_MISSING, {"lib": library_id, "kinds": list(level)})

    def inherit_from_top(self, conn: Connection, library_id: str) -> None:
        """Children carry their top item's rating rank and label mask, so a viewer's rating cap and label
        filters apply to them too. Top items still pending (never patched) become unrated first."""
        conn.execute(_UNPEND_TOPS, {"lib": library_id, "pending": PENDING_RANK})
        for statement in _INHERIT_FROM_TOP:
            conn.execute(statement, {"lib": library_id})

    def patch(self, conn: Connection, patches: list[ItemPatch]) -> None:
        rows: list[dict[str, Any]] = []
        for p in patches:
            row: dict[str, Any] = {
                "b_id": p.id,
                "poster": p.poster,
                "fanart": p.fanart,
                "updated_at": p.updated_at,
            }
            row.update(p.nfo or {})
            if p.extra is not None:
                row["x_extra"] = json.dumps(p.extra, separators=(",", ":"))
            if not p.top:
                row.pop("rating_rank", None)
            elif p.tags is not None:
                row["label_mask"] = label_mask(p.tags)
            rows.append(row)
        for keys, group in _by_keys(rows).items():
            statement = update(items).where(items.c.id == bindparam("b_id"))
            if "x_extra" in keys:
                # Merged, not replaced: the scan's own keys (an extra's type, an episode's range) stay.
                statement = statement.values(extra=func.json_patch(items.c.extra, bindparam("x_extra")))
            conn.execute(statement, group)
        for column, table, values in (
            ("genre", item_genres, {p.id: p.genres for p in patches if p.genres is not None}),
            ("tag", item_tags, {p.id: p.tags for p in patches if p.tags is not None}),
        ):
            if not values:
                continue
            for chunk in _chunks(list(values)):
                conn.execute(delete(table).where(table.c.item_id.in_(chunk)))
            new = [{"item_id": i, column: v} for i, vs in values.items() for v in vs]
            if new:
                conn.execute(insert(table), new)
        self._credits(conn, {p.id: p.people for p in patches if p.people is not None})
        self._collections(conn, {p.id: p.collection for p in patches if p.collection is not None})
        lyrics = {p.id: (p.lyrics[0] if p.lyrics else None) for p in patches if p.lyrics is not None}
        if lyrics:
            self.replace_lyrics(conn, lyrics)
        below = [d for p in patches if p.top for d in p.descendants]
        for chunk in _chunks(below):
            conn.execute(_FROM_TOP, {"ids": chunk})

    def _credits(self, conn: Connection, by_item: dict[str, tuple[dict[str, Any], ...]]) -> None:
        if not by_item:
            return
        for chunk in _chunks(list(by_item)):
            conn.execute(delete(item_people).where(item_people.c.item_id.in_(chunk)))
        ids = _named_ids(conn, people, {r["name"] for rows in by_item.values() for r in rows})
        new = [
            {
                "item_id": item_id,
                "person_id": ids[r["name"].casefold()],
                "kind": r["kind"],
                "role": r.get("role"),
                "position": r.get("position") or 0,
                "photo": r.get("photo"),
            }
            for item_id, rows in by_item.items()
            for r in rows
        ]
        if new:
            conn.execute(insert(item_people), new)
        # People no item credits any more are forgotten (their ids are not kept across that).
        conn.execute(delete(people).where(~exists().where(item_people.c.person_id == people.c.id)))

    def _collections(self, conn: Connection, by_item: dict[str, tuple[str, ...]]) -> None:
        if not by_item:
            return
        for chunk in _chunks(list(by_item)):
            conn.execute(delete(item_collections).where(item_collections.c.item_id.in_(chunk)))
        ids = _named_ids(conn, collections, {n for names in by_item.values() for n in names})
        new = [
            {"item_id": item_id, "collection_id": ids[names[0].casefold()]}
            for item_id, names in by_item.items()
            if names
        ]
        if new:
            conn.execute(insert(item_collections), new)
        conn.execute(
            delete(collections).where(~exists().where(item_collections.c.collection_id == collections.c.id))
        )

    def replace_lyrics(self, conn: Connection, by_item: dict[str, dict[str, Any] | None]) -> None:
        """Each item's lyrics row becomes exactly this one (None: the item has none)."""
        for chunk in _chunks(list(by_item)):
            conn.execute(delete(item_lyrics).where(item_lyrics.c.item_id.in_(chunk)))
        rows = [{"item_id": i, **row} for i, row in by_item.items() if row is not None]
        if rows:
            conn.execute(insert(item_lyrics), rows)

    def replace_sidecar_subtitles(self, conn: Connection, by_file: dict[str, list[dict[str, Any]]]) -> None:
        for chunk in _chunks(list(by_file)):
            conn.execute(
                delete(subtitles).where(subtitles.c.file_id.in_(chunk), subtitles.c.path.is_not(None))
            )
        rows = [r for rs in by_file.values() for r in rs]
        if rows:
            conn.execute(insert(subtitles), rows)

    def replace_errors(self, conn: Connection, library_id: str, errors: list[ScanIssue], now: float) -> None:
        """The library's error list becomes exactly this scan's: fixed files drop off."""
        conn.execute(delete(scan_errors).where(scan_errors.c.library_id == library_id))
        unique = {e.path: e.reason for e in errors}
        if unique:
            conn.execute(
                insert(scan_errors),
                [
                    {"library_id": library_id, "path": p, "reason": r[:500], "at": now}
                    for p, r in unique.items()
                ],
            )

    def note_error(self, conn: Connection, library_id: str, path: str, reason: str, now: float) -> None:
        """One file found broken outside a scan (a photo that would not render): listed until the next scan."""
        conn.execute(
            delete(scan_errors).where(scan_errors.c.library_id == library_id, scan_errors.c.path == path)
        )
        conn.execute(
            insert(scan_errors).values(library_id=library_id, path=path, reason=reason[:500], at=now)
        )

    def errors(self, conn: Connection, library_id: str) -> list[ScanIssue]:
        rows = conn.execute(
            select(scan_errors.c.path, scan_errors.c.reason)
            .where(scan_errors.c.library_id == library_id)
            .order_by(scan_errors.c.path)
        )
        return [ScanIssue(r.path, r.reason) for r in rows]


def _named_ids(conn: Connection, table: Any, names: set[str]) -> dict[str, str]:
    """Ids by case-folded name in a table of named things (people, collections), adding the missing ones."""
    keys: dict[str, str] = {}
    for name in names:
        keys.setdefault(name.casefold(), name)
    found: dict[str, str] = {}
    for chunk in _chunks(list(keys)):
        found.update(
            (r[0], r[1])
            for r in conn.execute(select(table.c.name_key, table.c.id).where(table.c.name_key.in_(chunk)))
        )
    missing = [{"id": new_id(), "name": keys[k], "name_key": k} for k in keys if k not in found]
    if missing:
        conn.execute(insert(table), missing)
        found.update((r["name_key"], r["id"]) for r in missing)
    return found


def _by_keys(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """executemany needs one shape per statement: group rows by the columns they set."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return groups
