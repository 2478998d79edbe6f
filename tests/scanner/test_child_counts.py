"""Each item's stored child count (items.child_count, kept by triggers) is the number of items under it after
every kind of change a scan makes, a library's removal, and a copied row; and no child is in another library
than its folder, which is what lets listings show the count unscoped (persistence/finding.py)."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text

from reelhouse.domain.library import LibraryKind
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.scanner.runner import MISSING_GRACE_SECONDS
from tests.scanner.rows import items, rows


def _counts_hold(db: Any) -> None:
    wrong = rows(
        db,
        "SELECT p.title, p.child_count, (SELECT count(*) FROM items c WHERE c.parent_id = p.id) AS actual "
        "FROM items p WHERE p.child_count <> (SELECT count(*) FROM items c WHERE c.parent_id = p.id)",
    )
    assert wrong == []
    apart = rows(
        db,
        "SELECT c.title FROM items c JOIN items p ON p.id = c.parent_id WHERE c.library_id <> p.library_id",
    )
    assert apart == []


def _songs(db: Any) -> dict[str, int]:
    return {a["title"]: a["child_count"] for a in items(db, "album")}


def _later(path: Path) -> None:
    """The scanner rereads a file whose mtime moved; a rewrite within the same second may not move it."""
    ahead = time.time() + 5
    os.utime(path, (ahead, ahead))
    os.utime(path.parent, (ahead, ahead))


def test_counts_follow_tracks_added_moved_removed_and_rescanned(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    for n in (1, 2):
        media_kit.audio_at(root / "Ann" / "Blue" / f"0{n}.mp3", title=f"Blue {n}", artist="Ann", album="Blue")
    media_kit.audio_at(root / "Ann" / "Red" / "01.mp3", title="Red 1", artist="Ann", album="Red")
    scanner.scan(library)
    _counts_hold(db)
    assert _songs(db) == {"Blue": 2, "Red": 1}
    assert [a["child_count"] for a in items(db, "artist")] == [2]

    added = media_kit.audio_at(root / "Ann" / "Blue" / "03.mp3", title="Blue 3", artist="Ann", album="Blue")
    _later(added)
    scanner.scan(library)
    _counts_hold(db)
    assert _songs(db) == {"Blue": 3, "Red": 1}

    # Retagged into the other album: the same track, under another parent.
    moved_id = next(t["id"] for t in items(db, "track") if t["title"] == "Blue 3")
    media_kit.audio_at(added, title="Blue 3", artist="Ann", album="Red")
    _later(added)
    scanner.scan(library)
    _counts_hold(db)
    assert _songs(db) == {"Blue": 2, "Red": 2}
    assert next(t["parent_id"] for t in items(db, "track") if t["id"] == moved_id) == next(
        a["id"] for a in items(db, "album") if a["title"] == "Red"
    )

    # A removed file's track stays (missing) through the grace period, then goes, and its album with it.
    (root / "Ann" / "Blue" / "01.mp3").unlink()
    (root / "Ann" / "Blue" / "02.mp3").unlink()
    scanner.scan(library)
    _counts_hold(db)
    assert _songs(db) == {"Blue": 2, "Red": 2}
    with db.begin() as conn:
        conn.execute(
            text("UPDATE media_files SET missing_since = missing_since - :s WHERE missing_since IS NOT NULL"),
            {"s": MISSING_GRACE_SECONDS + 60},
        )
    scanner.scan(library)
    _counts_hold(db)
    assert _songs(db) == {"Red": 2}
    assert [a["child_count"] for a in items(db, "artist")] == [1]

    scanner.scan(library, full=True)
    _counts_hold(db)
    assert _songs(db) == {"Red": 2}


def test_same_named_albums_of_two_libraries_keep_their_own_children_and_counts(
    db, scanner, library_factory, media_kit, tmp_path
):
    """Albums are matched by name under their parent; a library's scan never files a track under another
    library's album of the same name, and removing one library leaves the other's counts whole."""
    home, away = tmp_path / "home", tmp_path / "away"
    for n in (1, 2, 3):
        media_kit.audio_at(home / "Bo" / "Live" / f"0{n}.mp3", title=f"Live {n}", artist="Bo", album="Live")
    media_kit.audio_at(home / "Cy" / "Solo" / "01.mp3", title="Solo 1", artist="Cy", album="Solo")
    media_kit.audio_at(away / "Bo" / "Live" / "01.mp3", title="Encore", artist="Bo", album="Live")
    first = library_factory(LibraryKind.MUSIC, roots=[home], name="Home")
    second = library_factory(LibraryKind.MUSIC, roots=[away], name="Away")
    scanner.scan(first)
    scanner.scan(second)
    _counts_hold(db)
    by_library = {(a["library_id"], a["title"], a["child_count"]) for a in items(db, "album")}
    assert by_library == {(first.id, "Live", 3), (first.id, "Solo", 1), (second.id, "Live", 1)}

    with db.begin() as conn:
        LibraryRepository().remove(conn, first.id)
    _counts_hold(db)
    assert {(a["library_id"], a["title"], a["child_count"]) for a in items(db, "album")} == {
        (second.id, "Live", 1)
    }


def test_rows_written_by_hand_are_counted_on_either_database(db, library_factory):
    """The triggers, not the scanner, keep the count (this also runs with ``--database=postgresql``, where the
    scanner does not): a row added, moved and removed; and a row written with a count of its own, as a copy
    of another database writes it, is counted again rather than added to."""
    library = library_factory(LibraryKind.MUSIC)
    artist, other, album, track = (uuid.uuid4().hex for _ in range(4))
    row = text(
        "INSERT INTO items (id, library_id, kind, parent_id, top_id, title, sort_title, extra, missing, "
        "child_count, added_at, updated_at) VALUES (:id, :lib, :kind, :parent, :top, 'x', 'x', '{}', false, "
        ":count, 0, 0)"
    )

    def add(item: str, kind: str, parent: str | None, count: int = 0) -> None:
        values = {"id": item, "lib": library.id, "kind": kind, "parent": parent, "count": count}
        with db.begin() as conn:
            conn.execute(row, {**values, "top": parent or item})

    def counts() -> dict[str, int]:
        _counts_hold(db)
        return {r["id"]: r["child_count"] for r in items(db) if r["id"] != track}

    add(artist, "artist", None, count=5)
    add(other, "artist", None)
    add(album, "album", artist, count=7)
    add(track, "track", album)
    assert counts() == {artist: 1, other: 0, album: 1}
    with db.begin() as conn:
        conn.execute(text("UPDATE items SET parent_id = :p WHERE id = :i"), {"p": other, "i": album})
    assert counts() == {artist: 0, other: 1, album: 1}
    with db.begin() as conn:
        conn.execute(text("DELETE FROM items WHERE id = :i"), {"i": track})
    assert counts() == {artist: 0, other: 1, album: 0}
