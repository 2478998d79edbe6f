"""Phase 4, artwork: posters, fanart, NFO metadata and sidecar subtitles from the files beside the media."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reelhouse.domain.ids import new_id
from reelhouse.domain.library import LibraryKind
from reelhouse.domain.ratings import PENDING_RANK, UNKNOWN_RANK, rank
from reelhouse.domain.scanning import ScanIssue
from reelhouse.errors import MediaError
from reelhouse.media import artwork
from reelhouse.media.lyrics import read_sidecar
from reelhouse.media.names import sort_title
from reelhouse.media.nfo import Nfo, read_nfo
from reelhouse.media.subtitles import match_sidecar
from reelhouse.media.tags import read_cover, read_tags
from reelhouse.persistence.scanstore import NFO_EXTRA, ItemPatch, StoredFile, StoredItem
from reelhouse.scanner.identify import named
from reelhouse.scanner.reconcile import lyrics_row
from reelhouse.scanner.walk import Folder

_PLAYABLE_VIDEO = frozenset({"movie", "episode", "video", "extra"})
_NO_NFO_EXTRA: dict[str, Any] = dict.fromkeys(NFO_EXTRA)
_PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class Look:
    """Where to look for one item's sidecars."""

    folders: tuple[str, ...]
    posters: tuple[tuple[str, list[str]], ...]  # (folder, stems) in order of preference
    fanart: tuple[tuple[str, list[str]], ...] = ()
    nfo: tuple[tuple[str, str], ...] = ()  # (folder, file name)


class ArtworkPlanner:
    def __init__(
        self,
        roots: tuple[str, ...],
        folders: dict[str, Folder],
        items: list[StoredItem],
        files: dict[str, StoredFile],
        cache_dir: Path,
        kind: LibraryKind,
    ) -> None:
        self.kind = kind
        self.roots = {os.path.abspath(r) for r in roots}
        self.folders = folders
        self.items = {i.id: i for i in items}
        self.cache_dir = cache_dir
        self.files: dict[str, list[StoredFile]] = defaultdict(list)
        for stored in files.values():
            if stored.item_id is not None and stored.missing_since is None:
                self.files[stored.item_id].append(stored)
        for group in self.files.values():
            group.sort(key=lambda f: (f.part, f.path))
        self.children: dict[str, list[str]] = defaultdict(list)
        for item in items:
            if item.parent_id is not None:
                self.children[item.parent_id].append(item.id)
        self._latest: dict[str, float] = {}
        self._chain: dict[str, float] = {}
        # NFOs refused in this plan (each a scan error), and every NFO path this plan tried to read.
        self.errors: list[ScanIssue] = []
        self.nfo_tried: set[str] = set()
        self._actor_photos: dict[str, dict[str, str]] = {}

    def latest(self, folder: str) -> float:
        if folder not in self._latest:
            listing = self.folders.get(folder)
            stamps = [listing.mtime, *(m for _, m in listing.sidecars.values())] if listing else [0.0]
            self._latest[folder] = max(stamps)
        return self._latest[folder]

    def first_file(self, item_id: str, depth: int = 2) -> StoredFile | None:
        if self.files.get(item_id):
            return self.files[item_id][0]
        if depth == 0:
            return None
        for child in self.children.get(item_id, ()):
            found = self.first_file(child, depth - 1)
            if found is not None:
                return found
        return None

    def top_folder(self, path: str) -> str | None:
        """The folder directly under a library root that holds ``path``, or None for a loose file."""
        folder = os.path.dirname(path)
        while folder not in self.roots:
            parent = os.path.dirname(folder)
            if parent in self.roots:
                return folder
            if parent == folder:
                return None
            folder = parent
        return None

    def look(self, item: StoredItem) -> Look | None:
        sample = self.first_file(item.id)
        if sample is None:
            return None
        folder = os.path.dirname(sample.path)
        stem = os.path.splitext(os.path.basename(sample.path))[0]
        dedicated = folder not in self.roots
        if item.kind == "movie":
            return Look(
                (folder,),
                ((folder, artwork.poster_stems(stem, dedicated)),),
                ((folder, artwork.fanart_stems(stem, dedicated)),),
                ((folder, f"{stem}.nfo"), (folder, "movie.nfo")) if dedicated else ((folder, f"{stem}.nfo"),),
            )
        if item.kind in ("show", "season"):
            show = self.top_folder(sample.path)
            if show is None:
                return None
            if item.kind == "show":
                return Look(
                    (show,),
                    ((show, artwork.poster_stems(None, True)),),
                    ((show, artwork.fanart_stems(None, True)),),
                    ((show, "tvshow.nfo"),),
                )
            stems = artwork.season_poster_stems(item.idx or 0)
            posters = [(show, stems)]
            if folder != show:
                posters.append((folder, artwork.poster_stems(None, True)))
            return Look((show, folder), tuple(posters))
        if item.kind == "album":
            return Look((folder,), ((folder, artwork.poster_stems(None, dedicated)),))
        if item.kind == "artist":
            parent = os.path.dirname(folder)
            if folder in self.roots or parent in self.roots or parent == folder:
                return Look((folder,), ())
            return Look(
                (parent,),
                ((parent, ["artist", "folder", "poster"]),),
                ((parent, artwork.fanart_stems(None, True)),),
            )
        if item.kind == "episode":
            return Look((folder,), ((folder, [f"{stem}-thumb", stem]),), (), ((folder, f"{stem}.nfo"),))
        return Look((folder,), ((folder, [f"{stem}-poster", f"{stem}-thumb", stem]),))

    def quiet_since(self, path: str, stamp: float) -> bool:
        """No folder from ``path``'s up to its root changed since ``stamp``: a superset of any Look's folders,
        so an unchanged rescan can skip building Looks for the whole library."""
        return self.chain_latest(os.path.dirname(path)) < stamp

    def chain_latest(self, folder: str) -> float:
        """The latest change in ``folder`` or any folder above it up to its root, memoised per folder."""
        found = self._chain.get(folder)
        if found is None:
            parent = os.path.dirname(folder)
            found = self.latest(folder)
            if folder not in self.roots and parent != folder:
                found = max(found, self.chain_latest(parent))
            self._chain[folder] = found
        return found

    def root_of(self, path: str) -> str:
        return max((r for r in self.roots if path.startswith(r.rstrip(os.sep) + os.sep)), key=len, default="")

    def due(self, item: StoredItem, look: Look, touched: set[str], full: bool) -> bool:
        return full or item.id in touched or any(self.latest(f) >= item.updated_at for f in look.folders)

    def find(self, places: tuple[tuple[str, list[str]], ...]) -> str | None:
        for folder, stems in places:
            listing = self.folders.get(folder)
            if listing is None:
                continue
            real = artwork.pick(listing.names(), stems)
            if real is not None:
                return os.path.join(folder, real)
        return None

    def without_nfo(self, item: StoredItem, touched: set[str], refused: bool = False) -> ItemPatch | None:
        """What an item is once its NFO is deleted or refused: its name's title and year, no NFO fields.
        None when it already is: rewriting a title costs a search-index update per row.

        A refused NFO may have carried any rating, so its item ranks above every cap (UNKNOWN_RANK)."""
        fields: dict[str, Any] = {}
        # A movie or episode touched by this scan already has its name's title: reconcile just wrote it.
        if item.id not in touched or item.kind == "show":
            sample = self.first_file(item.id)
            node = named(self.kind, item.kind, sample.path, self.root_of(sample.path)) if sample else None
            if node is not None and (node.title, node.year) != (item.title, item.year):
                fields.update(title=node.title, sort_title=sort_title(node.title), year=node.year)
        if item.nfo_set or refused:
            fields.update(plot=None, rating=None, content_rating=None, rating_rank=None)
        if refused:
            fields["rating_rank"] = UNKNOWN_RANK
        if not fields:
            return None
        if item.nfo_set or refused:
            return ItemPatch(
                "", None, None, 0.0, fields, (), (), extra=_NO_NFO_EXTRA, people=(), collection=()
            )
        return ItemPatch("", None, None, 0.0, fields)

    def metadata(self, item: StoredItem, look: Look, touched: set[str]) -> ItemPatch | None:
        try:
            return self.nfo(look) or self.without_nfo(item, touched)
        except MediaError:
            return self.without_nfo(item, touched, refused=True)

    def nfo(self, look: Look) -> ItemPatch | None:
        """The first NFO of the Look that reads as a movie, show or episode; MediaError when one is refused."""
        for folder, name in look.nfo:
            listing = self.folders.get(folder)
            if listing is None or name.casefold() not in listing.sidecars:
                continue
            path = os.path.join(folder, listing.sidecars[name.casefold()][0])
            self.nfo_tried.add(path)
            try:
                parsed = read_nfo(path)
            except MediaError as exc:
                self.errors.append(ScanIssue(path, str(exc)))
                raise
            if parsed is None:
                continue
            fields: dict[str, Any] = {
                "plot": parsed.plot,
                "rating": parsed.rating,
                "content_rating": parsed.content_rating,
                "rating_rank": rank(parsed.content_rating),
            }
            if parsed.title:
                fields.update(title=parsed.title, sort_title=sort_title(parsed.title))
            if parsed.year:
                fields["year"] = parsed.year
            return ItemPatch(
                "",
                None,
                None,
                0.0,
                fields,
                parsed.genres or None,
                parsed.tags,
                extra=_nfo_extra(parsed),
                people=self.credits(parsed, folder),
                collection=(parsed.collection,) if parsed.collection else (),
            )
        return None

    def credits(self, parsed: Nfo, folder: str) -> tuple[dict[str, Any], ...]:
        """The NFO's people, each actor with a local photo when ``.actors/`` beside the NFO (or, for an
        episode in a season folder, beside the show) has one named after them."""
        # Never above a library root: a loose movie's folder is the root itself.
        above = self.actor_photos(os.path.dirname(folder)) if folder not in self.roots else {}
        photos = {**above, **self.actor_photos(folder)}
        return tuple(
            {
                "name": p.name,
                "kind": p.kind,
                "role": p.role,
                "position": p.order or 0,
                "photo": photos.get(p.name.casefold().replace(" ", "_")) if p.kind == "actor" else None,
            }
            for p in parsed.people
        )

    def actor_photos(self, folder: str) -> dict[str, str]:
        """``.actors`` photos of one folder by name (spaces as underscores, case-folded), listed once per scan."""
        found = self._actor_photos.get(folder)
        if found is None:
            found = {}
            actors = os.path.join(folder, ".actors")
            try:
                entries = list(os.scandir(actors))
            except OSError:
                entries = []
            for entry in entries:
                stem, extension = os.path.splitext(entry.name)
                if extension.lower() in _PHOTO_EXTENSIONS and entry.is_file(follow_symlinks=False):
                    found.setdefault(stem.casefold().replace(" ", "_"), entry.path)
            self._actor_photos[folder] = found
        return found

    def cover(self, item: StoredItem, covers: dict[str, str]) -> str | None:
        if item.poster and os.path.exists(item.poster):
            return item.poster
        source = covers.get(item.id)
        if source is None:
            return None
        try:
            data = read_cover(source)
        except MediaError:
            return None
        return artwork.save_cover(data, self.cache_dir) if data else None

    def plan(
        self, touched: set[str], full: bool, covers: dict[str, str]
    ) -> tuple[list[ItemPatch], dict[str, dict[str, list[dict[str, Any]]]]]:
        """Patches for items due a look, and sidecar subtitle rows by item id, then file id."""
        now = time.time()
        patches: list[ItemPatch] = []
        subtitles: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for item in self.items.values():
            if item.kind == "photo":
                sample = self.first_file(item.id, 0)
                if sample is not None and item.poster != sample.path:
                    patches.append(self.ranked(item, ItemPatch(item.id, sample.path, None, now)))
                continue
            if not full and item.id not in touched:
                sample = self.first_file(item.id)
                if sample is None or self.quiet_since(sample.path, item.updated_at):
                    continue
            look = self.look(item)
            if look is None or not self.due(item, look, touched, full):
                continue
            poster = self.find(look.posters)
            fanart = self.find(look.fanart)
            if item.kind == "album" and poster is None:
                poster = self.cover(item, covers)
            metadata = self.metadata(item, look, touched) if look.nfo else None
            found = ItemPatch(item.id, poster, fanart, now)
            if metadata is not None:
                found = replace(metadata, id=item.id, poster=poster, fanart=fanart, updated_at=now)
            if item.kind == "track":
                found = replace(found, lyrics=self.lyrics(item, touched))
            patches.append(self.ranked(item, found))
            if item.kind in _PLAYABLE_VIDEO:
                subtitles[item.id] = {
                    stored.id: self.sidecar_subtitles(item.id, stored)
                    for stored in self.files.get(item.id, ())
                }
        return patches, subtitles

    def ranked(self, item: StoredItem, patch: ItemPatch) -> ItemPatch:
        """The patch as the store writes it: a top item that was waiting for its rating gets one (unrated
        when nothing gave one), and everything below a top item takes its rank and labels with it."""
        if item.top_id != item.id:
            return replace(patch, top=False)
        fields = dict(patch.nfo or {})
        if item.rating_rank == PENDING_RANK and "rating_rank" not in fields:
            fields["rating_rank"] = None
        return replace(patch, nfo=fields or None, descendants=tuple(self.descendants(item.id)))

    def descendants(self, item_id: str) -> list[str]:
        found: list[str] = []
        stack = list(self.children.get(item_id, ()))
        while stack:
            child = stack.pop()
            found.append(child)
            stack.extend(self.children.get(child, ()))
        return found

    def lyrics(self, item: StoredItem, touched: set[str]) -> tuple[dict[str, Any], ...] | None:
        """A track's lyrics row: its ``<stem>.lrc`` when one reads as lyrics, else the embedded ones, which
        reconcile has just written for a track it touched (None: leave them) and which are read again here
        for one whose folder changed (the .lrc may have gone)."""
        stored = next(iter(self.files.get(item.id, ())), None)
        if stored is None:
            return None
        folder = os.path.dirname(stored.path)
        listing = self.folders.get(folder)
        stem = os.path.splitext(os.path.basename(stored.path))[0]
        entry = listing.sidecars.get(f"{stem}.lrc".casefold()) if listing is not None else None
        found = None
        if entry is not None:
            sidecar = os.path.join(folder, entry[0])
            # Remembered as tried, so a refusal from an earlier scan is not kept for a file read again.
            self.nfo_tried.add(sidecar)
            try:
                found = read_sidecar(sidecar)
            except MediaError as exc:
                # A broken .lrc costs the track its sidecar lyrics only; the embedded ones still apply.
                self.errors.append(ScanIssue(sidecar, str(exc)))
        if found is None:
            if item.id in touched:
                return None
            try:
                found = read_tags(stored.path).lyrics
            except MediaError:
                return None
        row = lyrics_row(found)
        return (row,) if row is not None else ()

    def sidecar_subtitles(self, item_id: str, stored: StoredFile) -> list[dict[str, Any]]:
        folder = os.path.dirname(stored.path)
        listing = self.folders.get(folder)
        if listing is None:
            return []
        stem = os.path.splitext(os.path.basename(stored.path))[0]
        rows = []
        for real, _ in listing.sidecars.values():
            found = match_sidecar(stem, real)
            if found is not None:
                rows.append(
                    {
                        "id": new_id(),
                        "item_id": item_id,
                        "file_id": stored.id,
                        "path": os.path.join(folder, real),
                        "embedded_index": None,
                        "language": found.language,
                        "format": found.format,
                        "forced": found.forced,
                        "title": found.title,
                    }
                )
        return rows


def _nfo_extra(parsed: Nfo) -> dict[str, Any]:
    """Every NFO key of items.extra, None where this NFO has no value, so a merge drops what it no longer says."""
    return {
        "original_title": parsed.original_title if parsed.original_title != parsed.title else None,
        "tagline": parsed.tagline,
        "runtime": parsed.runtime,
        "premiered": parsed.premiered,
        "studios": list(parsed.studios) or None,
        "uniqueids": dict(parsed.uniqueids) or None,
    }
