"""Derived media, made from files the access decision opened: photo and artwork renditions, location-free
originals, video frames and WebVTT subtitles. Nothing here decides who may have them or opens a path itself."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from reelhouse.errors import MediaError, NotFound
from reelhouse.media import ffmpeg, images
from reelhouse.media.subtitles import to_vtt
from reelhouse.services.media_files import MediaFiles, OpenedFile
from reelhouse.services.transcoding import TranscodeService

ARTWORK_KINDS = ("poster", "fanart")
ARTWORK_WIDTHS = (160, 320, 480, 720, 1080)
PHOTO_WIDTHS = images.WIDTHS
MAX_SUBTITLE_BYTES = 8 * 1024 * 1024
# "No width": a full-size copy, re-encoded (Pillow only ever shrinks to a bound, so this keeps the original size).
FULL_SIZE = 16384


_SUFFIXES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_TYPES = {suffix: media_type for media_type, suffix in _SUFFIXES.items()}


def identity_key(source: OpenedFile, *parts: object) -> str:
    # The opened file's own identity, not its path: a file replaced under the same name is a new rendition.
    st = os.fstat(source.fd)
    fields = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, *parts)
    return hashlib.sha256("|".join(map(str, fields)).encode()).hexdigest()


class RenditionService:
    def __init__(self, cache_dir: Path, files: MediaFiles, encoders: TranscodeService) -> None:
        self._cache = cache_dir / "images"
        self._files = files
        self._encoders = encoders
        # One frame grab per video at a time: a burst of poster requests must not start an encoder each.
        self._frame_locks: dict[str, threading.Lock] = {}
        self._frame_locks_guard = threading.Lock()

    @property
    def cache_root(self) -> Path:
        return self._cache

    def _open_cached(self, target: Path) -> OpenedFile:
        return self._files.open_inside(str(target), (str(self._cache),))

    def image(self, source: OpenedFile, width: int | None, keep_location: bool, tag: str) -> OpenedFile:
        """A JPEG of ``source`` no wider than ``width`` (None: full size), upright, location kept only when
        asked. Every image a viewer gets is re-encoded, so only pixels leave, never a file's other bytes."""
        key = identity_key(source, tag, width, keep_location)
        target = self._cache / key[:2] / f"{key}.jpg"
        if not target.exists():
            images.render(source.proc_path, target, width or FULL_SIZE, keep_location)
        return self._open_cached(target)

    def placeholder(self) -> OpenedFile:
        """What an image answer shows when the picture cannot be rendered (a PNG)."""
        target = self._cache / "placeholder.png"
        if not target.exists():
            images.placeholder(target)
        return self._open_cached(target)

    def location_free(self, source: OpenedFile) -> tuple[OpenedFile, str]:
        """The original without its location (EXIF GPS, XMP, IPTC places), at full resolution: JPEG, PNG and
        WebP rewritten without re-encoding, other formats as a JPEG. Returns the copy and its media type."""
        key = identity_key(source, "location-free")
        folder = self._cache / key[:2]
        existing = next(folder.glob(f"plain-{key}.*"), None) if folder.is_dir() else None
        if existing is None:
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f"plain-{key}.partial"
            try:
                media_type = images.strip_location(source.proc_path, partial)
                existing = folder / f"plain-{key}.{_SUFFIXES.get(media_type, 'bin')}"
                os.replace(partial, existing)
            finally:
                partial.unlink(missing_ok=True)
        return self._open_cached(existing), _TYPES.get(
            existing.suffix.lstrip("."), "application/octet-stream"
        )

    def frame(self, source: OpenedFile, duration: float | None) -> OpenedFile:
        """A frame of the video, for an item with no poster; counted as an encoder while it is made."""
        key = identity_key(source, "frame")
        target = self._cache / key[:2] / f"frame-{key}.jpg"
        with self._frame_locks_guard:
            lock = self._frame_locks.setdefault(key, threading.Lock())
        with lock:
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(".partial.jpg")
                try:
                    self._encoders.frame(source, min(60.0, (duration or 0.0) * 0.1), partial)
                    os.replace(partial, target)
                except MediaError:
                    partial.unlink(missing_ok=True)
                    raise NotFound("No such artwork.") from None
                finally:
                    with self._frame_locks_guard:
                        self._frame_locks.pop(key, None)
        return self._open_cached(target)

    @staticmethod
    def sidecar_vtt(source: OpenedFile, fmt: str) -> str:
        if source.size > MAX_SUBTITLE_BYTES:
            raise MediaError("This subtitle file is too large.")
        with open(source.proc_path, "rb") as stream:
            raw = stream.read(MAX_SUBTITLE_BYTES + 1)
        return to_vtt(raw.decode("utf-8-sig", errors="replace"), fmt)

    @staticmethod
    def embedded_vtt(source: OpenedFile, index: int) -> str:
        data = ffmpeg.output(ffmpeg.subtitle_argv(source.ffmpeg_input(), index), source.ffmpeg_input())
        return data.decode("utf-8", errors="replace")
