"""Migration 0020 rebuilds the search index over `items` itself, with each item's kind, and keeps it in step."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.domain.finding import FindQuery, FindSort, Needs
from reelhouse.domain.library import ItemKind
from reelhouse.persistence.catalogue import CatalogueRepository
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.services.catalogue import CatalogueService
from tests.catalogue_factory import Row, add_rows

# 0001's index, as a database from before 0020 has it.
OLD_INDEX = [
    "CREATE VIRTUAL TABLE items_fts USING fts5(item_id UNINDEXED, title, "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')",
    "CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN "
    "INSERT INTO items_fts(item_id, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN DELETE FROM items_fts WHERE item_id = old.id; END",
    "CREATE TRIGGER items_fts_update AFTER UPDATE OF title ON items BEGIN "
    "UPDATE items_fts SET title = new.title WHERE item_id = new.id; END",
]


def _matches(path: Path, match: str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT items.title FROM items_fts JOIN items ON items.rowid = items_fts.rowid"
            " WHERE items_fts MATCH ?",
            (match,),
        ).fetchall()
    finally:
        conn.close()
    return {r[0] for r in rows}


def test_upgrading_from_0019_indexes_existing_titles_with_their_kind(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        for trigger in ("items_fts_insert", "items_fts_delete", "items_fts_update"):
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("DROP TABLE items_fts")
        for statement in OLD_INDEX:
            conn.execute(statement)
        conn.execute("UPDATE alembic_version SET version_num = '0019'")
        conn.execute(
            "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('L', 'Music', 'music', 'music', 0)"
        )
    conn.close()
    db = Database(f"sqlite:///{path}")
    artist = Row("Golden Earring", kind="artist")
    add_rows(db, "L", [artist, Row("Gold Dust", kind="track", parent_id=artist.id, top_id=artist.id)])
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    assert _matches(path, 'title : ("gold"*)') == {"Golden Earring", "Gold Dust"}
    assert _matches(path, 'title : ("gold"*) AND kind : ("track")') == {"Gold Dust"}


def test_the_index_follows_new_renamed_and_removed_items(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('L', 'Films', 'films', 'movies', 0)"
        )
    conn.close()
    kept, renamed, removed = Row("Stone Harbour"), Row("Stone Garden"), Row("Stone Wall")
    add_rows(db, "L", [kept, renamed, removed])
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE items SET title = 'Glass Garden' WHERE id = ?", (renamed.id,))
        conn.execute("DELETE FROM items WHERE id = ?", (removed.id,))
    conn.close()
    assert _matches(path, 'title : ("stone"*)') == {"Stone Harbour"}
    assert _matches(path, 'title : ("glass"*)') == {"Glass Garden"}
    # An external-content index that missed a change fails its own check.
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")
    conn.close()


def test_a_search_of_one_kind_lists_best_matches_first_under_the_viewers_scope(tmp_path: Path) -> None:
    """Finding by words: each word starts a word of the title, only the kinds asked for, the closest title
    first; the page's total is not counted when the caller has no place for one."""
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    db.migrate()
    with db.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('L', 'Music', 'music', 'music', 0)"
        )
    artist = Row("Gold Band", kind="artist")
    album = Row("Gold", kind="album", parent_id=artist.id, top_id=artist.id)
    songs = [
        Row(title, kind="track", parent_id=album.id, top_id=artist.id)
        for title in ("Silver and Gold and Bronze Medals", "Gold", "Marigold", "Golden Hour")
    ]
    add_rows(db, "L", [artist, album, *songs])
    catalogue = CatalogueService(db, CatalogueRepository(), LibraryRepository())
    query = FindQuery(kinds=frozenset({ItemKind.TRACK}), text="gold", sort=(FindSort.RELEVANCE,), limit=10)
    page = catalogue.find(system_actor(), query, Needs(total=False))
    titles = [f.summary.title for f in page.items]
    assert titles[0] == "Gold"
    assert set(titles) == {"Gold", "Golden Hour", "Silver and Gold and Bronze Medals"}  # not "Marigold"
    assert page.total == 3
    db.close()


def test_the_integrity_check_reports_a_search_index_out_of_step(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    with db.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('L', 'Films', 'films', 'movies', 0)"
        )
    add_rows(db, "L", [Row("Stone Harbour"), Row("Glass Garden")])
    assert db.integrity_check() == "ok"
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        # A title changed behind the index's back (its trigger gone), as a hand edit or a restore might leave it.
        conn.execute("DROP TRIGGER items_fts_update")
        conn.execute("UPDATE items SET title = 'Paper City' WHERE title = 'Stone Harbour'")
    conn.close()
    db = Database(f"sqlite:///{path}")
    assert db.integrity_check() == "the search index is out of step with the catalogue"
    db.close()


def test_searching_a_library_the_viewer_was_not_given_is_a_404(tmp_path: Path) -> None:
    from reelhouse.domain.access import Role
    from reelhouse.errors import NotFound
    from tests.harness import RunningServer

    server = RunningServer(tmp_path / "data")
    try:
        services = server.server.services
        roots = {name: tmp_path / name for name in ("shared", "private")}
        for root in roots.values():
            root.mkdir()
        shared, private = (
            services.libraries.add(system_actor(), name, "music", [str(root)]) for name, root in roots.items()
        )
        add_rows(server.server.db, private.id, [Row("Gold Secret", kind="track")])
        user_id = server.create_user("mo", Role.MEMBER)
        services.users.update(system_actor(), user_id, grants={"libraries": [shared.id]})  # type: ignore[union-attr]
        member = services.accounts.authenticate(server.sign_in("mo").token or "", "127.0.0.1")
        assert member is not None
        query = FindQuery(kinds=frozenset({ItemKind.TRACK}), text="gold", library_id=private.id, limit=5)
        with pytest.raises(NotFound):
            services.catalogue.search_each(member, [query])
        owner = services.catalogue.search_each(system_actor(), [query])
        assert [f.summary.title for f in owner[0]] == ["Gold Secret"]
    finally:
        server.stop()
