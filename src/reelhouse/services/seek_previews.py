"""Seek preview thumbnails (sprite sheets of a video's frames), made in the background after a scan by the
encoder queue and served to viewers through the media access decision.

Both sides open the video through ``MediaAccess``: the background worker as the server itself, a viewer as
themselves. The sheets are cached under the opened file's identity, so a file replaced under the same name gets
new ones, and a viewer is only ever told about the sheets of the file the decision opened for them. The cache is
held to the `seek_previews_cache_mb` setting: past it, the oldest videos' sets go first, whole."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from reelhouse.domain.access import Actor, system_actor
from reelhouse.domain.network import Zone
from reelhouse.errors import MediaError, NotFound, ReelhouseError
from reelhouse.media.ffmpeg import SpriteJob
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.persistence.scanstore import ScanStore
from reelhouse.services.media_access import Allowed, MediaAccess, Purpose
from reelhouse.services.media_files import OpenedFile
from reelhouse.services.renditions import identity_key

log = logging.getLogger(__name__)

# As Jellyfin's trickplay does by default: a frame every 10 s, 160 px wide, 10 x 10 tiles a sheet.
INTERVAL_SECONDS = 10
TILE_WIDTH = 160
COLUMNS = 10
ROWS = 10
# A short video still gets about this many frames, however short its interval has to be.
MIN_FRAMES = 10
# Sheets a viewer may ask for by number; a 100-hour file would need 36.
MAX_SHEETS = 1000


@dataclass(frozen=True)
class Manifest:
    interval: int
    tile_width: int
    tile_height: int
    columns: int
    rows: int
    count: int
    sheets: int


def plan(duration: float, width: int | None, height: int | None) -> Manifest:
    """The layout of a video's previews: its interval, tile size and how many tiles and sheets."""
    interval = max(1, min(INTERVAL_SECONDS, int(duration // MIN_FRAMES)))
    aspect = (height / width) if width and height else 9 / 16
    # JPEG tiles of even height keep the scaler from rounding differently from the manifest.
    tile_height = max(16, min(640, round(TILE_WIDTH * aspect / 2) * 2))
    count = max(1, math.ceil(duration / interval))
    sheets = math.ceil(count / (COLUMNS * ROWS))
    return Manifest(interval, TILE_WIDTH, tile_height, COLUMNS, ROWS, count, sheets)


def _dimensions(allowed: Allowed) -> tuple[int | None, int | None]:
    video = next((s for s in (allowed.media.streams if allowed.media else ()) if s.type == "video"), None)
    return (video.width, video.height) if video is not None else (None, None)


def _is_video(allowed: Allowed) -> bool:
    return allowed.media is not None and any(s.type == "video" for s in allowed.media.streams)


class SeekPreviews:
    def __init__(
        self,
        db: Database,
        media: MediaAccess,
        cache_dir: Path,
        on_broken: Callable[[str, str, str], None] | None = None,
        setting: Callable[[str], int] | None = None,
    ) -> None:
        self._setting = setting
        self._db = db
        self._media = media
        self._libraries = LibraryRepository()
        self._scans = ScanStore()
        self._root = cache_dir / "previews"
        self._on_broken = on_broken
        self._system = system_actor("seek-previews")
        self._lock = threading.Condition()
        self._queue: list[str] = []
        self._queued: set[str] = set()
        self._working = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # How many previews this process made: tests and the log read it.
        self.made = 0

    # Queueing ----------------------------------------------------------------------------------------
    def queue_library(self, library_id: str) -> int:
        """After a scan: queue every video of the library, unless its owner turned seek previews off. Items
        already made are skipped by the worker, which checks the cache under the file it opens."""
        with self._db.read() as conn:
            library = self._libraries.get(conn, library_id)
            if library is None or not library.seek_previews:
                return 0
            files = self._scans.files(conn, library_id)
        items = sorted({f.item_id for f in files.values() if f.item_id and f.missing_since is None})
        with self._lock:
            fresh = [i for i in items if i not in self._queued]
            self._queue.extend(fresh)
            self._queued.update(fresh)
            self._lock.notify_all()
        if fresh:
            self._ensure_worker()
        return len(fresh)

    def wait_idle(self, timeout: float) -> bool:
        """Whether the queue emptied within ``timeout`` seconds (for tests and a clean stop)."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._queue and not self._working, timeout)

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._stop.is_set() or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._work, name="seek-previews", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if not self._queue:
                    return
                item_id = self._queue.pop(0)
                self._working += 1
            try:
                self.make(item_id)
            except Exception:
                # A background job must never take the server down; the next scan queues the item again.
                log.exception("seek previews for item %s failed", item_id)
            finally:
                with self._lock:
                    self._queued.discard(item_id)
                    self._working -= 1
                    self._lock.notify_all()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._queue.clear()
            self._queued.clear()
            thread = self._thread
        if thread is not None:
            thread.join(10)

    # Making --------------------------------------------------------------------------------------------
    def _folder(self, source: OpenedFile, layout: Manifest) -> Path:
        key = identity_key(source, "seek-previews", layout.interval, layout.tile_width)
        return self._root / key[:2] / key

    def make(self, item_id: str) -> bool:
        """Make the item's previews if its library wants them and they are not cached; True when made."""
        try:
            allowed = self._media.allow(self._system, item_id, Purpose.ARTWORK, Zone.LAN.value)
        except NotFound:
            return False
        if not allowed.library.seek_previews or not _is_video(allowed) or allowed.duration <= 0:
            return False
        layout = plan(allowed.duration, *_dimensions(allowed))
        try:
            with self._media.open_file(allowed) as source:
                folder = self._folder(source, layout)
                if (folder / "manifest.json").exists():
                    return False
                self._render(source, folder, layout)
                self._replace_previous(item_id, folder)
                self.trim(keep=folder)
        except (MediaError, NotFound) as exc:
            # A corrupt or vanished file is skipped and reported with the scan's problems, never fatal.
            path = allowed.file.path if allowed.file else item_id
            log.warning("no seek previews for %s: %s", path, exc.message)
            if self._on_broken is not None and isinstance(exc, MediaError):
                self._on_broken(allowed.library.id, path, f"Seek previews: {exc.message}")
            return False
        self.made += 1
        return True

    def _render(self, source: OpenedFile, folder: Path, layout: Manifest) -> None:
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        try:
            job = SpriteJob(
                source.ffmpeg_input(),
                partial,
                layout.interval,
                layout.tile_width,
                layout.tile_height,
                layout.columns,
                layout.rows,
            )
            self._media.encoders.sprites(job)
            sheets = len(list(partial.glob("sheet*.jpg")))
            if sheets == 0:
                raise MediaError("ffmpeg made no preview frames from this file")
            # The frames ffmpeg actually made bound the count: a container may claim more than it holds.
            made = dataclasses.replace(
                layout, sheets=sheets, count=min(layout.count, sheets * layout.columns * layout.rows)
            )
            (partial / "manifest.json").write_text(json.dumps(asdict(made)), encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(partial, folder)
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def _replace_previous(self, item_id: str, folder: Path) -> None:
        """The item's sheets from the file it had before (replaced or re-encoded) are never served again: they
        go, so the cache holds one set per video."""
        marker = self._root / "items" / hashlib.sha256(item_id.encode()).hexdigest()
        try:
            previous = marker.read_text(encoding="utf-8").strip()
        except OSError:
            previous = ""
        if previous and previous != folder.name and all(c in "0123456789abcdef" for c in previous):
            shutil.rmtree(self._root / previous[:2] / previous, ignore_errors=True)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(folder.name, encoding="utf-8")

    def trim(self, keep: Path | None = None) -> int:
        """Hold the cache to its cap: whole sets go, the oldest made first, never ``keep`` (the set just made).
        Returns how many went. A video whose set went gets one again after a later scan."""
        if self._setting is None:
            return 0
        cap = int(self._setting("seek_previews_cache_mb")) * 1024 * 1024
        sets: list[tuple[float, str, Path, int]] = []
        for manifest in self._root.glob("*/*/manifest.json"):
            try:
                size = sum(f.stat().st_size for f in manifest.parent.iterdir())
                sets.append((manifest.stat().st_mtime, manifest.parent.name, manifest.parent, size))
            except OSError:
                continue  # gone meanwhile
        total = sum(s[3] for s in sets)
        gone = 0
        for _made, _name, folder, size in sorted(sets):
            if total <= cap:
                break
            if folder == keep:
                continue
            # Moved aside in one step, so a request finds the whole set or none of it; a sheet already opened
            # for a viewer is sent through its descriptor, which outlives the name.
            doomed = folder.with_name(folder.name + ".evicted")
            try:
                os.replace(folder, doomed)
            except OSError:
                continue
            shutil.rmtree(doomed, ignore_errors=True)
            total -= size
            gone += 1
        if gone:
            log.info("seek preview cache over its cap: %d oldest sets removed", gone)
        return gone

    # Serving --------------------------------------------------------------------------------------------
    def _ready(self, viewer: Actor, item_id: str, zone: str | None) -> tuple[Path, Manifest]:
        allowed = self._media.allow(viewer, item_id, Purpose.ARTWORK, zone)
        if not allowed.library.seek_previews or not _is_video(allowed) or allowed.duration <= 0:
            raise NotFound("This item has no seek previews.")
        layout = plan(allowed.duration, *_dimensions(allowed))
        with self._media.open_file(allowed) as source:
            folder = self._folder(source, layout)
        try:
            raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            return folder, Manifest(**raw)
        except (OSError, ValueError, TypeError):
            raise NotFound("Seek previews for this item are not made yet.") from None

    def manifest(self, viewer: Actor, item_id: str, zone: str | None) -> Manifest:
        """The layout of the item's preview sheets; 404 until the background queue has made them."""
        return self._ready(viewer, item_id, zone)[1]

    def sheet(self, viewer: Actor, item_id: str, number: int, zone: str | None) -> OpenedFile:
        """One preview sheet (a JPEG), from the cache made for the file the decision opens now."""
        if not 0 <= number < MAX_SHEETS:
            raise NotFound("No such preview sheet.")
        folder, layout = self._ready(viewer, item_id, zone)
        if number >= layout.sheets:
            raise NotFound("No such preview sheet.")
        try:
            return self._media.files.open_inside(str(folder / f"sheet{number}.jpg"), (str(self._root),))
        except ReelhouseError:
            raise NotFound("No such preview sheet.") from None
