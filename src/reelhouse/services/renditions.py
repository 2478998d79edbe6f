"""Derived media an allowed viewer gets: photo renditions, resized artwork, video frames and WebVTT subtitles."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from reelhouse.domain.access import Action, Actor, can
from reelhouse.errors import InvalidInput, MediaError, NotFound, PermissionDenied
from reelhouse.media import ffmpeg, images
from reelhouse.media.subtitles import to_vtt
from reelhouse.persistence.catalogue import CatalogueRepository
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.persistence.subtitles import SubtitleRepository

ARTWORK_KINDS = ("poster", "fanart")
ARTWORK_WIDTHS = (160, 320, 480, 720, 1080)
PHOTO_WIDTHS = images.WIDTHS
MAX_SUBTITLE_BYTES = 8 * 1024 * 1024


class RenditionService:
    def __init__(
        self,
        db: Database,
        catalogue: CatalogueRepository,
        libraries: LibraryRepository,
        subtitles: SubtitleRepository,
        cache_dir: Path,
    ) -> None:
        self._db = db
        self._catalogue = catalogue
        self._libraries = libraries
        self._subtitles = subtitles
        self._cache = cache_dir / "images"

    def _cached(self, source: str, width: int, keep_gps: bool, tag: str) -> Path:
        try:
            st = os.stat(source)
        except OSError:
            raise NotFound("The image is not available right now.") from None
        key = hashlib.sha256(
            f"{tag}|{source}|{st.st_mtime_ns}|{st.st_size}|{width}|{keep_gps}".encode()
        ).hexdigest()
        target = self._cache / key[:2] / f"{key}.jpg"
        if not target.exists():
            images.render(source, target, width, keep_gps)
        return target

    def artwork(self, actor: Actor, item_id: str, kind: str, width: int | None) -> Path:
        """An item's poster or fanart, resized when asked; a frame of the video when it has no poster."""
        if kind not in ARTWORK_KINDS:
            raise InvalidInput(f"Artwork kind must be one of {', '.join(ARTWORK_KINDS)}.", "kind")
        if width is not None:
            images.check_width(width, ARTWORK_WIDTHS)
        with self._db.read() as conn:
            item = self._catalogue.get(conn, actor.scope, item_id)
            path = self._catalogue.artwork_path(conn, actor.scope, item_id, kind)
            library = None if item is None else self._libraries.get(conn, item.summary.library_id)
        if item is None or library is None:
            raise NotFound("No such item.")
        if path is None and kind == "poster":
            path = str(self._frame(item.files[0].path if item.files else None, item.duration, library.roots))
        if path is None:
            raise NotFound("No such artwork.")
        if width is None:
            return Path(path)
        return self._cached(path, width, keep_gps=False, tag="artwork")

    def _frame(self, video: str | None, duration: float | None, roots: tuple[str, ...]) -> Path:
        if video is None:
            raise NotFound("No such artwork.")
        try:
            st = os.stat(video)
        except OSError:
            raise NotFound("No such artwork.") from None
        key = hashlib.sha256(f"frame|{video}|{st.st_mtime_ns}|{st.st_size}".encode()).hexdigest()
        target = self._cache / key[:2] / f"frame-{key}.jpg"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            at = min(60.0, (duration or 0.0) * 0.1)
            partial = target.with_suffix(".partial.jpg")
            try:
                ffmpeg.run(ffmpeg.frame_argv(video, roots, round(at, 3), partial))
                os.replace(partial, target)
            except MediaError:
                partial.unlink(missing_ok=True)
                raise NotFound("No such artwork.") from None
        return target

    def photo(self, actor: Actor, item_id: str, width: int) -> Path:
        """A resized, upright photo; the GPS position is kept only for admins."""
        images.check_width(width, PHOTO_WIDTHS)
        with self._db.read() as conn:
            item = self._catalogue.get(conn, actor.scope, item_id)
        if item is None or item.summary.kind.value != "photo" or not item.files:
            raise NotFound("No such photo.")
        if not can(actor, Action.STREAM, item.summary.library_id):
            raise PermissionDenied("Your account may not view this photo.")
        return self._cached(item.files[0].path, width, keep_gps=actor.is_admin, tag="photo")

    def subtitle_vtt(self, actor: Actor, item_id: str, subtitle_id: str) -> str:
        with self._db.read() as conn:
            found = self._subtitles.source(conn, actor.scope, item_id, subtitle_id)
            library = None if found is None else self._libraries.get(conn, found.library_id)
        if found is None or library is None:
            raise NotFound("No such subtitle.")
        if found.sidecar is not None:
            # Read only inside the library's folders, like every other input.
            real = ffmpeg.input_path(found.sidecar, library.roots).removeprefix("file:")
            if os.path.getsize(real) > MAX_SUBTITLE_BYTES:
                raise MediaError("This subtitle file is too large.")
            raw = Path(real).read_bytes()
            text = raw.decode("utf-8-sig", errors="replace")
            return to_vtt(text, found.format)
        if found.media_path is None or found.embedded_index is None:
            raise NotFound("No such subtitle.")
        data = ffmpeg.output(ffmpeg.subtitle_argv(found.media_path, library.roots, found.embedded_index))
        return data.decode("utf-8", errors="replace")
