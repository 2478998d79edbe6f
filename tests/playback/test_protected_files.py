"""The server's own files are never served, and a media file that happens to get the inode number one of them
had before it was replaced is not refused for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelhouse.errors import NotFound
from reelhouse.services.media_files import MediaFiles


def test_a_file_the_server_protects_is_refused_even_inside_a_library(tmp_path: Path) -> None:
    key = tmp_path / "grant.key"
    key.write_bytes(b"secret")
    files = MediaFiles(protected=lambda: [key])
    with pytest.raises(NotFound):
        files.open_inside(str(key), (str(tmp_path),))


def test_an_inode_freed_by_a_replaced_server_file_is_not_held_against_a_new_media_file(
    tmp_path: Path,
) -> None:
    film = tmp_path / "film.mkv"
    film.write_bytes(b"frames")
    # The cached list was taken while a server file had this inode number; that file has been replaced since,
    # and the number now belongs to the film (the file system reuses freed inode numbers).
    protected = [film]
    files = MediaFiles(protected=lambda: list(protected))
    with pytest.raises(NotFound):
        files.open_inside(str(film), (str(tmp_path),))
    protected.clear()
    with files.open_inside(str(film), (str(tmp_path),)) as opened:
        assert opened.size == len(b"frames")
