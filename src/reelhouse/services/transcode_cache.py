"""The HLS segment cache's size: its oldest segments are removed past `transcode_cache_mb`
(services/transcoding.py calls this from its reaper)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def trim(root: Path, cap: int) -> None:
    """Remove the oldest segments under ``root`` until they take at most ``cap`` bytes."""
    files = _segments(root)
    total = sum(size for _, size, _ in files)
    # Oldest segments go first; a player that seeks back to one gets it re-encoded.
    for _mtime, size, path in sorted(files):
        if total <= cap:
            break
        path.unlink(missing_ok=True)
        total -= size


def _segments(root: Path) -> list[tuple[float, int, Path]]:
    """Every cached segment as (mtime, size, path). Sessions are disposed of concurrently, so a folder or a file
    that vanishes between listing and looking is simply not there, never an error that stops the reaper."""
    found: list[tuple[float, int, Path]] = []
    try:
        sessions = list(os.scandir(root))
    except FileNotFoundError:
        return found
    for session in sessions:
        try:
            entries = list(os.scandir(session.path)) if session.is_dir(follow_symlinks=False) else []
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if not (entry.name.startswith("seg") and entry.name.endswith(".ts")):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISREG(st.st_mode):
                found.append((st.st_mtime, st.st_size, Path(entry.path)))
    return found
