"""Albums without an album-artist tag whose tracks name different artists: one compilation, not one album each.

The identify workers see one file at a time, so a track without an album-artist tag files its album under its own
artist. Here the tracks of one folder are looked at together: where tracks of the same album (same album key)
name more than one artist and none names an album artist, they become one album under Various Artists, marked as
a compilation, and each track keeps its own artist."""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator

from reelhouse.domain.library import ItemKind
from reelhouse.media import names
from reelhouse.media.tags import VARIOUS_ARTISTS
from reelhouse.scanner.identify import Identified, Node

_VARIOUS = Node(ItemKind.ARTIST, names.normalise(VARIOUS_ARTISTS) or VARIOUS_ARTISTS, VARIOUS_ARTISTS)


def _album_key(found: Identified) -> str | None:
    if found.error is not None or not found.artist_guessed or len(found.chain) != 3:
        return None
    return found.chain[1].key


def regroup(folder: list[Identified]) -> list[Identified]:
    """The identified files of one folder, with untagged compilations made one album; the order is kept."""
    artists: dict[str, set[str | None]] = defaultdict(set)
    for found in folder:
        key = _album_key(found)
        if key is not None:
            artists[key].add(found.chain[0].key)
    split = {key for key, seen in artists.items() if len(seen) > 1}
    if not split:
        return folder
    return [_compiled(found) if _album_key(found) in split else found for found in folder]


def _compiled(found: Identified) -> Identified:
    artist, album, track = found.chain
    album = dataclasses.replace(album, extra={**album.extra, "compilation": True})
    track = dataclasses.replace(track, extra={**track.extra, "artist": artist.title})
    return dataclasses.replace(found, chain=(_VARIOUS, album, track))


def by_folder(results: Iterable[Identified]) -> Iterator[Identified]:
    """Results as they come, each folder's held back until the folder is complete and then regrouped. The walk
    lists a folder's files side by side, so only one folder is ever held."""
    held: list[Identified] = []
    for found in results:
        if held and os.path.dirname(held[0].job.path) != os.path.dirname(found.job.path):
            yield from regroup(held)
            held = []
        held.append(found)
    yield from regroup(held)
