"""Opening media for a viewer: only what the scan recorded, inside the library's folders, by descriptor.

Library folders are often writable by others (a download folder, a share, a family upload folder), so a path the
scan saw may be something else by the time it is played: another file, a symlink out of the library, a hard link to
one of the server's own keys, or a FIFO that would block the opening thread. The file is therefore opened first and
checked afterwards through its descriptor, and every later read (aiohttp's sendfile, ffmpeg, Pillow) goes through
that same descriptor, so a path swapped after the check changes nothing that is sent."""

from __future__ import annotations

import functools
import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reelhouse.domain.ranges import Validators, validators
from reelhouse.errors import NotFound
from reelhouse.media import ffmpeg

# How long the set of the server's own files (by device and inode) is reused.
PROTECTED_SECONDS = 2.0
CONTENT_TYPES = {
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "mkv": "video/x-matroska",
    "webm": "video/webm",
    "avi": "video/x-msvideo",
    "ts": "video/mp2t",
    "mpegts": "video/mp2t",
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "wav": "audio/wav",
    "aac": "audio/aac",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "heic": "image/heic",
    "heif": "image/heif",
    "hif": "image/heif",
    "tif": "image/tiff",
    "tiff": "image/tiff",
}


def content_type(path: str, container: str | None = None) -> str:
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    return CONTENT_TYPES.get(extension) or CONTENT_TYPES.get(container or "", "application/octet-stream")


@dataclass(frozen=True)
class Identity:
    """What the scan recorded of a file. Device and inode are absent for rows scanned before they were kept."""

    size: int
    mtime: float
    device: int | None = None
    inode: int | None = None


@dataclass
class OpenedFile:
    """A checked, open media file. Readers use ``proc_path`` (the descriptor's own name), never the path."""

    fd: int
    path: str
    size: int
    mtime_ns: int
    closed: bool = field(default=False)

    @property
    def proc_path(self) -> str:
        return f"/proc/self/fd/{self.fd}"

    @property
    def validators(self) -> Validators:
        return validators(self.size, self.mtime_ns)

    def ffmpeg_input(self) -> ffmpeg.Input:
        return ffmpeg.Input(self.fd)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)

    def __enter__(self) -> OpenedFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _inside(real: str, roots: Iterable[str]) -> bool:
    return any(real.startswith(base) for base in _bases(tuple(roots)))


@functools.lru_cache(maxsize=256)
def _bases(roots: tuple[str, ...]) -> tuple[str, ...]:
    # A library root is resolved when it is added; resolving it again per request only costs syscalls.
    return tuple(os.path.realpath(root).rstrip(os.sep) + os.sep for root in roots if root)


class MediaFiles:
    """Opens media files for the access decision; nothing else in the server opens one for a viewer."""

    def __init__(
        self, protected: Callable[[], Iterable[Path]], on_mismatch: Callable[[str], None] | None = None
    ) -> None:
        # The server's own secrets and database: never sent, whatever name they are reached by.
        self._protected = protected
        self._on_mismatch = on_mismatch
        self._protected_cache: tuple[float, set[tuple[int, int]]] | None = None

    def _protected_ids(self, fresh: bool = False) -> set[tuple[int, int]]:
        # Listed afresh at most every PROTECTED_SECONDS: players send many Range requests a second, and the
        # server's own files (a new backup, a certificate) change far less often than that.
        now = time.monotonic()
        cached = self._protected_cache
        if cached is not None and cached[0] > now and not fresh:
            return cached[1]
        ids: set[tuple[int, int]] = set()
        for path in self._protected():
            try:
                st = os.stat(path)
            except OSError:
                continue
            ids.add((st.st_dev, st.st_ino))
        self._protected_cache = (now + PROTECTED_SECONDS, ids)
        return ids

    def _is_protected(self, file_id: tuple[int, int]) -> bool:
        # A hit in the cached list is checked against a fresh one: the server replaces some of its files (the
        # audit head, by renaming a new copy over it), and the file system may give the freed inode number to a
        # media file written just after. Refusing that file until the cache expired would be a false 404.
        return file_id in self._protected_ids() and file_id in self._protected_ids(fresh=True)

    def _open(self, path: str, roots: Iterable[str]) -> tuple[int, os.stat_result]:
        try:
            # Non-blocking: a FIFO swapped in for a film must not hold a server thread until someone writes.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
        except OSError:
            raise NotFound("This item's file is not available right now.") from None
        try:
            st = os.fstat(fd)
            real = os.readlink(f"/proc/self/fd/{fd}")
            if (
                not stat.S_ISREG(st.st_mode)
                or not _inside(real, roots)
                or self._is_protected((st.st_dev, st.st_ino))
            ):
                raise NotFound("This item's file is not available right now.")
        except BaseException:
            os.close(fd)
            raise
        return fd, st

    def open_scanned(
        self, path: str, roots: Iterable[str], identity: Identity, library_id: str
    ) -> OpenedFile:
        """The file the scan recorded at ``path``; anything else there is a 404 and a rescan, never its bytes."""
        try:
            fd, st = self._open(path, roots)
        except NotFound:
            self._changed(library_id)
            raise
        same = (
            st.st_size == identity.size
            and st.st_mtime == identity.mtime
            and (identity.device is None or st.st_dev == identity.device)
            and (identity.inode is None or st.st_ino == identity.inode)
        )
        if not same:
            os.close(fd)
            self._changed(library_id)
            raise NotFound("This item's file changed since the last scan; it is being scanned again.")
        return OpenedFile(fd, path, st.st_size, st.st_mtime_ns)

    def _changed(self, library_id: str) -> None:
        if self._on_mismatch is not None:
            self._on_mismatch(library_id)

    def open_inside(self, path: str, roots: Iterable[str], max_bytes: int | None = None) -> OpenedFile:
        """A file with no recorded identity (artwork, sidecar subtitles, the server's own cache): it must still
        be a regular file inside ``roots`` and none of the server's secrets."""
        fd, st = self._open(path, roots)
        if max_bytes is not None and st.st_size > max_bytes:
            os.close(fd)
            raise NotFound("This file is too large to serve.")
        return OpenedFile(fd, path, st.st_size, st.st_mtime_ns)
