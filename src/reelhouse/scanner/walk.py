"""Phase 1, walk: list media files and sidecars under a library's roots, safely and without reading them."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from reelhouse.domain.library import LibraryKind
from reelhouse.domain.scanning import ScanIssue

VIDEO_EXTENSIONS = frozenset(
    {".mkv", ".mp4", ".m4v", ".avi", ".mov", ".wmv", ".ts", ".m2ts", ".webm", ".mpg", ".mpeg", ".flv", ".ogv"}
)
AUDIO_EXTENSIONS = frozenset(
    {".mp3", ".flac", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".wma", ".aiff", ".aif", ".ape", ".wv"}
)
PHOTO_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".heic", ".heif", ".hif", ".webp", ".tif", ".tiff", ".gif"}
)
SIDECAR_EXTENSIONS = frozenset(
    {".nfo", ".srt", ".ass", ".ssa", ".vtt", ".jpg", ".jpeg", ".png", ".webp", ".lrc"}
)
MEDIA_EXTENSIONS: dict[LibraryKind, frozenset[str]] = {
    LibraryKind.MOVIES: VIDEO_EXTENSIONS,
    LibraryKind.SHOWS: VIDEO_EXTENSIONS,
    LibraryKind.HOME_VIDEOS: VIDEO_EXTENSIONS,
    LibraryKind.MUSIC: AUDIO_EXTENSIONS,
    LibraryKind.PHOTOS: PHOTO_EXTENSIONS,
}


@dataclass(frozen=True)
class FoundFile:
    path: str
    root: str
    size: int
    mtime: float
    # Identity as scanned: what a file opened for a viewer must still be.
    device: int | None = None
    inode: int | None = None


@dataclass
class Folder:
    """One directory's sidecars: lowercased name → (real name, mtime), plus the directory's own mtime."""

    mtime: float
    sidecars: dict[str, tuple[str, float]] = field(default_factory=dict)

    def names(self) -> dict[str, str]:
        return {lower: real for lower, (real, _) in self.sidecars.items()}


@dataclass
class WalkResult:
    files: list[FoundFile] = field(default_factory=list)
    folders: dict[str, Folder] = field(default_factory=dict)
    errors: list[ScanIssue] = field(default_factory=list)
    # Roots that could not be listed: their files are not marked missing (an unmounted disk is not a deletion).
    unavailable_roots: list[str] = field(default_factory=list)


def inside_folders(real: str, real_folders: Iterable[str]) -> bool:
    """The symlink rule, shared with the folder watcher: a link is followed only when its real target is one
    of the library's own folders or lies inside one."""
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in real_folders)


def _printable(path: str) -> str:
    return path.encode("utf-8", "backslashreplace").decode("utf-8")


def _valid_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _Walker:
    def __init__(self, roots: tuple[str, ...], kind: LibraryKind, cancel: threading.Event | None) -> None:
        self.roots = [os.path.abspath(r) for r in roots]
        self.real_roots = [os.path.realpath(r) for r in self.roots]
        self.extensions = MEDIA_EXTENSIONS[kind]
        self.kind = kind
        self.cancel = cancel
        self.result = WalkResult()
        self.seen_dirs: set[tuple[int, int]] = set()

    def inside_roots(self, real: str) -> bool:
        return inside_folders(real, self.real_roots)

    def error(self, path: str, reason: str) -> None:
        self.result.errors.append(ScanIssue(_printable(path), reason))

    def run(self) -> WalkResult:
        for root in self.roots:
            try:
                info = os.stat(root)
            except OSError as exc:
                self.result.unavailable_roots.append(root)
                self.error(root, f"library folder unavailable: {exc.strerror}")
                continue
            if not stat.S_ISDIR(info.st_mode):
                self.result.unavailable_roots.append(root)
                self.error(root, "library folder is not a folder")
                continue
            self.seen_dirs.add((info.st_dev, info.st_ino))
            self.walk_dir(root, root, info.st_mtime, (os.path.realpath(root),))
        return self.result

    def walk_dir(self, path: str, root: str, mtime: float, ancestors: tuple[str, ...]) -> None:
        # An explicit stack of real paths: a symlink loop is detected, not recursed into until it fails.
        stack: list[tuple[str, float, tuple[str, ...]]] = [(path, mtime, ancestors)]
        while stack:
            if self.cancel is not None and self.cancel.is_set():
                return
            current, current_mtime, chain = stack.pop()
            folder = Folder(current_mtime)
            try:
                entries = list(os.scandir(current))
            except OSError as exc:
                self.error(current, f"cannot list folder: {exc.strerror}")
                if current == root:
                    self.result.unavailable_roots.append(root)
                continue
            self.result.folders[current] = folder
            # Once per folder, not per file: the innermost root holding it (roots may nest).
            current_root = self.root_of(current + os.sep)
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                child = self.visit(entry, folder, chain, current_root)
                if child is not None:
                    stack.append(child)

    def visit(
        self, entry: os.DirEntry[str], folder: Folder, chain: tuple[str, ...], root: str
    ) -> tuple[str, float, tuple[str, ...]] | None:
        path = entry.path
        name = entry.name
        if not name.isascii() and not _valid_name(name):
            self.error(path, "the name is not valid UTF-8; rename it")
            return None
        # d_type from the directory listing answers these without a stat; only wanted files are stat-ed.
        is_link = entry.is_symlink()
        extension = os.path.splitext(name)[1].lower()
        if (
            not is_link
            and not entry.is_dir(follow_symlinks=False)
            and extension not in self.extensions
            and extension not in SIDECAR_EXTENSIONS
        ):
            return None
        try:
            info = entry.stat(follow_symlinks=True)
        except OSError as exc:
            self.error(path, "broken symlink" if is_link else f"cannot read: {exc.strerror}")
            return None
        real = ""
        if is_link:
            real = os.path.realpath(path)
            if not self.inside_roots(real):
                self.error(path, "symlink leads outside the library folders; not followed")
                return None
            if stat.S_ISDIR(info.st_mode) and real in chain:
                self.error(path, "symlink loop; not followed")
                return None
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in self.seen_dirs:
                return None
            self.seen_dirs.add(key)
            # A plain folder's real path extends its parent's: realpath (an lstat per level) only for links.
            real_dir = real if is_link else os.path.join(chain[-1], entry.name)
            return path, info.st_mtime, (*chain, real_dir)
        if extension in self.extensions:
            if not stat.S_ISREG(info.st_mode):
                self.error(path, "not a regular file")
            elif info.st_size == 0:
                self.error(path, "empty file (0 bytes)")
            else:
                self.result.files.append(
                    FoundFile(path, root, info.st_size, info.st_mtime, info.st_dev, info.st_ino)
                )
                return None
        if extension in SIDECAR_EXTENSIONS and stat.S_ISREG(info.st_mode):
            # ctime too: an edit that restores the old mtime still marks the sidecar as changed.
            folder.sidecars[name.casefold()] = (name, max(info.st_mtime, info.st_ctime))
        return None

    def root_of(self, path: str) -> str:
        return max(
            (r for r in self.roots if path.startswith(r.rstrip(os.sep) + os.sep)), key=len, default=path
        )


def walk(roots: tuple[str, ...], kind: LibraryKind, cancel: threading.Event | None = None) -> WalkResult:
    return _Walker(roots, kind, cancel).run()
