"""A listing's rows (ItemFinder.rows, behind every client app's list and the web app's shelves) come in one
statement with their family's names, child counts, genres and the viewer's marks: each extra statement cost
more in Python than SQLite spent answering it, and a page of albums took twice our own browse page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, update

from reelhouse.app import Reelhouse
from reelhouse.config import load_config
from reelhouse.domain.access import LibraryScope, Role, label_mask, system_actor
from reelhouse.domain.finding import Needs
from reelhouse.domain.ids import LibraryId, UserId
from reelhouse.domain.library import LibraryKind
from reelhouse.domain.ratings import rank
from reelhouse.persistence.finding import ItemFinder
from reelhouse.persistence.schema import item_tags, items, play_state
from tests.catalogue_factory import Row, add_rows

LISTING = Needs(leaves=False)


@pytest.fixture
def music(tmp_path: Path) -> Iterator[tuple[Reelhouse, str, dict[str, Row]]]:
    server = Reelhouse(
        load_config(environ={}, overrides={"data_dir": tmp_path / "data", "demo_library": False})
    )
    root = tmp_path / "music"
    root.mkdir()
    library = server.services.libraries.add(system_actor(), "Music", "music", [str(root)])
    artist = Row("The Band", kind="artist")
    album = Row("First Light", kind="album", parent_id=artist.id, top_id=artist.id, genres=("Rock", "Jazz"))
    empty = Row("Nothing Yet", kind="album", parent_id=artist.id, top_id=artist.id)
    tracks = [
        Row(f"Song {n}", kind="track", parent_id=album.id, top_id=artist.id, idx=n, genres=("Rock",))
        for n in (1, 2, 3)
    ]
    add_rows(server.db, library.id, [artist, album, empty, *tracks])
    yield server, library.id, {"artist": artist, "album": album, "empty": empty, "track": tracks[0]}
    server.close()


def _statements(server: Reelhouse, run: Any) -> tuple[Any, list[str]]:
    sent: list[str] = []
    ours: list[Any] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        # Only this connection's: the server's own threads (the audit head writer) use the engine meanwhile.
        if statement != "BEGIN" and conn in ours:
            sent.append(statement)

    event.listen(server.db.engine, "before_cursor_execute", capture)
    try:
        with server.db.read() as conn:
            ours.append(conn)
            return run(conn), sent
    finally:
        event.remove(server.db.engine, "before_cursor_execute", capture)


def test_a_page_of_albums_and_tracks_is_one_statement_with_names_counts_genres_and_marks(
    music: tuple[Reelhouse, str, dict[str, Row]],
) -> None:
    server, library_id, rows = music
    viewer = server.services.accounts.create_user(
        system_actor(), "viewer", Role.MEMBER, "a long enough password 1"
    )
    with server.db.begin() as conn:
        conn.execute(
            insert(play_state).values(
                user_id=viewer,
                item_id=rows["album"].id,
                position=0.0,
                watched=False,
                play_count=4,
                updated_at=1.0,
                favourite_at=2.0,
            )
        )
    scope = LibraryScope(UserId(viewer), all_libraries=False, library_ids=frozenset({LibraryId(library_id)}))
    wanted = [rows[k].id for k in ("empty", "album", "track", "artist")]
    found, sent = _statements(server, lambda conn: ItemFinder().rows(conn, scope, wanted, LISTING))
    assert len(sent) == 1, sent
    empty, album, track, artist = found
    assert [f.summary.id for f in found] == wanted
    assert (album.parent_title, album.top_title, album.child_count) == ("The Band", "The Band", 3)
    assert album.genres == ("Jazz", "Rock")
    assert (album.marks.play_count, album.marks.favourite) == (4, True)
    assert (empty.child_count, empty.genres, empty.marks.play_count) == (0, (), 0)
    assert (track.parent_title, track.top_title, track.child_count) == ("First Light", "The Band", None)
    assert track.genres == ("Rock",)
    assert (artist.parent_title, artist.top_title, artist.child_count) == (None, None, 2)


def test_a_viewer_outside_the_library_gets_no_rows_and_no_counts(
    music: tuple[Reelhouse, str, dict[str, Row]],
) -> None:
    server, _, rows = music
    scope = LibraryScope(UserId("stranger"), all_libraries=False, library_ids=frozenset({LibraryId("other")}))
    found, _ = _statements(server, lambda conn: ItemFinder().rows(conn, scope, [rows["album"].id], LISTING))
    assert found == []


def test_the_statement_kept_for_a_scope_serves_no_other_scope_and_reads_ratings_and_labels_afresh(
    music: tuple[Reelhouse, str, dict[str, Row]], tmp_path: Path
) -> None:
    """The rows' statement is kept per scope (ItemFinder._rows_statement): a viewer with a cap or a blocked
    label must not be handed a statement kept for a viewer without, and a title re-rated or relabelled by a
    scan is judged as it is now, not as it was when the statement was kept."""
    server, _, _ = music
    root = tmp_path / "films"
    root.mkdir()
    films = server.services.libraries.add(system_actor(), "Films", "movies", [str(root)])
    film = Row("Late Show", kind="movie", content_rating="PG")
    add_rows(server.db, films.id, [film])
    viewer = UserId("someone")
    open_scope = LibraryScope(viewer, all_libraries=True)
    capped = LibraryScope(
        viewer, all_libraries=True, max_rating_rank={LibraryKind.MOVIES: rank("PG-13") or 0}
    )
    unlabelled = LibraryScope(viewer, all_libraries=True, blocked_labels=frozenset({"horror"}))
    finder = ItemFinder()

    def seen(scope: LibraryScope) -> bool:
        with server.db.read() as conn:
            return [f.summary.id for f in finder.rows(conn, scope, [film.id], LISTING)] == [film.id]

    assert seen(open_scope) and seen(capped) and seen(unlabelled)
    # A rescan finds it rated R and tagged horror: the kept statements read the row as it is now.
    with server.db.begin() as conn:
        conn.execute(
            update(items)
            .where(items.c.id == film.id)
            .values(content_rating="R", rating_rank=rank("R"), label_mask=label_mask(("horror",)))
        )
        conn.execute(insert(item_tags).values(item_id=film.id, tag="horror"))
    assert seen(open_scope)
    assert not seen(capped)
    assert not seen(unlabelled)
    # And a fresh finder's first statement for the capped viewer agrees.
    finder = ItemFinder()
    assert not seen(capped) and seen(open_scope)
