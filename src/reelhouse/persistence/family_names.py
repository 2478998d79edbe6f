"""The titles of the parents and top items that listed rows name (an album's artist, a track's album and
artist, an episode's season and show), kept between listings.

Looked up per listed row inside the rows' statement they were a fifth of a page of albums' time at 100,000
tracks (two B-tree descents each into the wide items table); a page names few distinct families, the same ones
again and again. A title is read unscoped: a parent or top item is in its child's library and carries the same
top item's rating rank and label mask, so whoever sees the child sees it (as the subquery it replaces did).

Kept per catalogue version: `clear` (the catalogue service calls it whenever a scan or a library change may
have changed what pages contain) starts a new one, and the whole set also lapses after TTL seconds, which
bounds staleness from writers in other processes (the CLI), as the totals cache's TTL does. A listing takes
`current()` before its read transaction begins, so titles read from a snapshot older than a `clear` are never
kept under the newer version."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import Connection, bindparam, select

from reelhouse.persistence.schema import items

_IDS: Any = bindparam("ids", expanding=True)
_TITLES = select(items.c.id, items.c.title).where(items.c.id.in_(_IDS))


class FamilyNames:
    TTL = 30.0
    # A family per ten items or so: a hundred thousand titles is a catalogue of about a million items.
    SIZE = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._titles: dict[str, str] = {}
        self._lapses = time.monotonic() + self.TTL

    def clear(self) -> None:
        with self._lock:
            self._start_version()

    def _start_version(self) -> None:
        self._version += 1
        self._titles = {}
        self._lapses = time.monotonic() + self.TTL

    def current(self) -> NamesAt:
        """Names as of now: take it before the read transaction the listing will use."""
        with self._lock:
            if time.monotonic() >= self._lapses:
                self._start_version()
            return NamesAt(self, self._version, self._titles)

    def _keep(self, version: int, found: dict[str, str]) -> None:
        with self._lock:
            if version != self._version:
                return
            if len(self._titles) + len(found) > self.SIZE:
                self._start_version()
                return
            self._titles.update(found)


class NamesAt:
    """The names of one catalogue version, for one listing."""

    def __init__(self, names: FamilyNames, version: int, titles: dict[str, str]) -> None:
        self._names = names
        self._version = version
        self._titles = titles

    def titles(self, conn: Connection, wanted: set[str]) -> dict[str, str]:
        """The title of each item in ``wanted``, those not known yet read in one statement on ``conn``.
        Key by key: another listing may be adding titles to the same version meanwhile."""
        known = self._titles
        out: dict[str, str] = {}
        missing: list[str] = []
        for item_id in wanted:
            title = known.get(item_id)
            if title is None:
                missing.append(item_id)
            else:
                out[item_id] = title
        if missing:
            found: dict[str, str] = {row[0]: row[1] for row in conn.execute(_TITLES, {"ids": missing})}
            self._names._keep(self._version, found)
            out.update(found)
        return out
