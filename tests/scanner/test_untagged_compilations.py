"""An album folder whose tracks name no album artist but different track artists (a compilation without its tags)
is one album under Various Artists, marked as a compilation; each track keeps its own artist."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from reelhouse.domain.library import LibraryKind
from tests.scanner.rows import items, one


def _albums(db: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each album's artist and extra, by album title."""
    artists = {a["id"]: a["title"] for a in items(db, "artist")}
    return {a["title"]: (artists[a["parent_id"]], a["extra"]) for a in items(db, "album")}


def test_tracks_of_one_folder_by_different_artists_make_one_compilation(
    db, scanner, library_factory, media_kit
):
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    mix = root / "Summer Mix"
    for number, artist in enumerate(("Ann", "Bo", "Cy"), 1):
        media_kit.audio_at(mix / f"0{number}.mp3", title=f"Song {number}", artist=artist, album="Summer Mix")
    # One artist's own album beside it stays theirs; so does an album whose tracks name an album artist.
    for number in (1, 2):
        media_kit.audio_at(
            root / "Ann" / "Solo" / f"0{number}.mp3", title=f"Solo {number}", artist="Ann", album="Solo"
        )
    for number, artist in enumerate(("Dee", "Eve"), 1):
        media_kit.audio_at(
            root / "Duets" / f"0{number}.mp3",
            title=f"Duet {number}",
            artist=artist,
            album_artist="Dee",
            album="Duets",
        )

    scanner.scan(library)

    assert _albums(db) == {
        "Summer Mix": ("Various Artists", {"compilation": True}),
        "Solo": ("Ann", {}),
        "Duets": ("Dee", {}),
    }
    mix_tracks = {
        t["title"]: t["extra"].get("artist") for t in items(db, "track") if t["title"].startswith("Song")
    }
    assert mix_tracks == {"Song 1": "Ann", "Song 2": "Bo", "Song 3": "Cy"}
    assert sorted(a["title"] for a in items(db, "artist")) == ["Ann", "Dee", "Various Artists"]


def test_a_track_added_later_joins_the_compilation_and_nothing_splits(
    db, scanner, library_factory, media_kit
):
    library = library_factory(LibraryKind.MUSIC)
    mix = Path(library.roots[0]) / "Summer Mix"
    media_kit.audio_at(mix / "01.mp3", title="Song 1", artist="Ann", album="Summer Mix")
    media_kit.audio_at(mix / "02.mp3", title="Song 2", artist="Bo", album="Summer Mix")
    scanner.scan(library)
    album = one(db, "album")
    track_ids = sorted(t["id"] for t in items(db, "track"))

    # Only the new file changed: the folder's other tracks are looked at again with it, so it cannot split off.
    media_kit.audio_at(mix / "03.mp3", title="Song 3", artist="Cy", album="Summer Mix")
    ahead = time.time() + 2
    os.utime(mix, (ahead, ahead))
    scanner.scan(library)

    assert one(db, "album")["id"] == album["id"]
    assert one(db, "artist")["title"] == "Various Artists"
    assert set(track_ids) < {t["id"] for t in items(db, "track")}
    assert len(items(db, "track")) == 3
