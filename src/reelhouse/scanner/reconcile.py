"""Phase 3, reconcile: turn identified files into items and file rows, keeping ids across moves and rescans."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from reelhouse.domain.ids import new_id
from reelhouse.domain.library import ItemKind
from reelhouse.domain.people import Lyrics
from reelhouse.domain.ratings import PENDING_RANK
from reelhouse.media.names import sort_title
from reelhouse.media.probe import TEXT_SUBTITLE_CODECS, subtitle_format
from reelhouse.persistence.database import Database
from reelhouse.persistence.scanstore import Changes, ScanStore, StoredFile, StoredItem
from reelhouse.scanner.identify import Identified, Node

# Rows per transaction: small enough that a kill loses little, large enough that commits stay cheap.
CHUNK_ROWS = 2000
_GroupKey = tuple[str | None, str, str]


@dataclass
class Tally:
    added: int = 0
    updated: int = 0
    moved: int = 0
    touched: set[str] = field(default_factory=set)
    # album item id → a track path whose embedded cover can stand in for a missing folder cover
    covers: dict[str, str] = field(default_factory=dict)


def lyrics_row(lyrics: Lyrics | None) -> dict[str, Any] | None:
    """item_lyrics's columns (but item_id) for these lyrics."""
    if lyrics is None:
        return None
    return {
        "synced": lyrics.synced,
        "source": lyrics.source,
        "language": lyrics.language,
        "lines": json.dumps([[line.start_ms, line.text] for line in lyrics.lines], separators=(",", ":")),
    }


class Reconciler:
    """The single writer: everything goes through here in order, so parents exist before children."""

    def __init__(
        self,
        db: Database,
        store: ScanStore,
        library_id: str,
        stored_files: dict[str, StoredFile],
        stored_items: list[StoredItem],
        vanished: list[StoredFile],
    ) -> None:
        self.db = db
        self.store = store
        self.library_id = library_id
        self.stored_files = stored_files
        self.groups: dict[_GroupKey, str] = {}
        self.known: set[str] = set()
        self.tops: dict[str, str] = {}
        for item in stored_items:
            self.known.add(item.id)
            self.tops[item.id] = item.top_id
            if item.group_key is not None:
                self.groups[(item.parent_id, item.kind, item.group_key)] = item.id
        self.vanished: dict[str, list[StoredFile]] = {}
        for stored in vanished:
            self.vanished.setdefault(stored.fingerprint, []).append(stored)
        self.changes = Changes()
        self.tally = Tally()

    def remaining_vanished(self) -> list[StoredFile]:
        return [f for files in self.vanished.values() for f in files]

    def _item_row(self, node: Node, parent_id: str | None, top_id: str | None, now: float) -> dict[str, Any]:
        return {
            "parent_id": parent_id,
            "group_key": node.key,
            "title": node.title or "Untitled",
            "sort_title": sort_title(node.title or "Untitled"),
            "year": node.year,
            "idx": node.idx,
            "parent_idx": node.parent_idx,
            "aired": node.aired,
            "duration": node.duration,
            "taken_at": node.taken_at,
            "extra": json.dumps(
                {k: v for k, v in node.extra.items() if v is not None}, separators=(",", ":")
            ),
            "missing": False,
            "updated_at": now,
            "top_id": top_id,
        }

    def _create(self, node: Node, parent_id: str | None, top_id: str | None, now: float) -> str:
        item_id = new_id()
        row = self._item_row(node, parent_id, top_id or item_id, now)
        # Its rating and labels are read in the artwork phase: until then no restricted viewer may see it.
        row.update(
            id=item_id,
            library_id=self.library_id,
            kind=node.kind.value,
            added_at=now,
            rating_rank=PENDING_RANK,
        )
        self.changes.new_items.append(row)
        if node.genres:
            self.changes.genres[item_id] = node.genres
        self.known.add(item_id)
        if node.key is not None:
            self.groups[(parent_id, node.kind.value, node.key)] = item_id
        return item_id

    def _container(self, node: Node, parent_id: str | None, top_id: str | None, now: float) -> str:
        assert node.key is not None
        found = self.groups.get((parent_id, node.kind.value, node.key))
        item_id = found if found is not None else self._create(node, parent_id, top_id, now)
        if node.extra:
            # A container is written once, by its first file; the facts its files carry (an album's release
            # type) are merged from each, a value any file states winning over one that states none.
            patch = self.changes.extra_patches.setdefault(item_id, {})
            for key, value in node.extra.items():
                if value is not None or key not in patch:
                    patch[key] = value
        return item_id

    def add(self, found: Identified) -> None:
        now = time.time()
        job = found.job
        existing = self.stored_files.get(job.path)
        moved = None
        if existing is None:
            candidates = self.vanished.get(found.fingerprint)
            moved = candidates.pop(0) if candidates else None
        row = existing or moved
        parent_id: str | None = None
        top_id: str | None = None
        for node in found.chain[:-1]:
            parent_id = self._container(node, parent_id, top_id, now)
            top_id = top_id or parent_id
            self.tally.touched.add(parent_id)
        leaf = found.chain[-1]
        item_id = row.item_id if row is not None and row.item_id in self.known else None
        if item_id is None and leaf.key is not None:
            item_id = self.groups.get((parent_id, leaf.kind.value, leaf.key))
        if item_id is None:
            item_id = self._create(leaf, parent_id, top_id, now)
        else:
            update = self._item_row(leaf, parent_id, top_id or item_id, now)
            update["b_id"] = item_id
            if self.tops.get(item_id, update["top_id"]) != update["top_id"]:
                # Moved under another show or movie: its old top's rating no longer applies.
                update.update(rating_rank=PENDING_RANK, label_mask=0)
                self.tops[item_id] = update["top_id"]
            self.changes.item_updates.append(update)
            self.changes.genres[item_id] = leaf.genres
            if leaf.key is not None:
                self.groups[(parent_id, leaf.kind.value, leaf.key)] = item_id
        self.tally.touched.add(item_id)
        if found.has_cover and leaf.kind == ItemKind.TRACK and parent_id is not None:
            self.tally.covers.setdefault(parent_id, job.path)
        file_row: dict[str, Any] = {
            "item_id": item_id,
            "size": job.size,
            "mtime": job.mtime,
            "device": job.device,
            "inode": job.inode,
            "fingerprint": found.fingerprint,
            "part": found.part,
            "media": found.media_json,
            "missing_since": None,
            "scanned_at": now,
            "reprobe": False,
        }
        if row is None:
            file_id = new_id()
            file_row.update(id=file_id, library_id=self.library_id, path=job.path)
            self.changes.new_files.append(file_row)
            self.tally.added += 1
        else:
            file_id = row.id
            file_row.update(b_id=file_id, path=job.path)
            self.changes.file_updates.append(file_row)
            if moved is not None:
                self.tally.moved += 1
            else:
                self.tally.updated += 1
        if leaf.kind == ItemKind.TRACK:
            self.changes.lyrics[item_id] = lyrics_row(found.lyrics)
        if found.media is not None:
            self.changes.embedded_subtitles[file_id] = [
                {
                    "id": new_id(),
                    "item_id": item_id,
                    "file_id": file_id,
                    "path": None,
                    "embedded_index": s.index,
                    "language": s.language,
                    "format": subtitle_format(s.codec),
                    "forced": s.forced,
                    "title": s.title,
                }
                for s in found.media.streams
                if s.type == "subtitle" and s.codec in TEXT_SUBTITLE_CODECS
            ]
        if len(self.changes) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not len(self.changes):
            return
        with self.db.begin() as conn:
            self.store.write(conn, self.changes)
        self.changes = Changes()
