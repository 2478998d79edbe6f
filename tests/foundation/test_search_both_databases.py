"""Search finds the same titles on SQLite (FTS5, migration 0020) and PostgreSQL (tsvector, migration 0034)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from reelhouse.domain.access import system_actor
from reelhouse.domain.finding import FindQuery, FindSort, Needs
from reelhouse.domain.library import ItemKind
from reelhouse.persistence.catalogue import CatalogueRepository
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.services.catalogue import CatalogueService
from tests.catalogue_factory import Row, add_rows

MOVIES = [
    "Gold", "Marigold", "Golden Hour", "Silver and Gold", "Amélie", "Ærø Harbour", "Spider-Man: Homecoming",
    "Don't Look Now", "Wall·E", "2.5 Men", "日本の夏", "Straße der Lieder", "CAFÉ SOCIETY", "Naïve Garden",
    "foo_bar baz", "Ωmega Point", "Crème brûlée", "ÉCOLE", "Łódź Nights", "Ñandú",
]  # fmt: skip

# Prefixes, several words, case, punctuation, accents either side, non-Latin scripts, nothing but symbols.
QUERIES = [
    "gold", "GOLD", "gol", "silver gold", "gold silver", "amelie", "Amél", "AMELIE", "spider man",
    "spider-man", "homecom", "don't", "don t", "wall e", "5", "2.5", "日本", "straß", "strasse", "cafe",
    "café", "naive", "ωmega", "Ωm", "!!!", "foo_bar", "creme brulee", "ecole", "łódź", "lodz", "nandu",
    "harbour aer", "g",
]  # fmt: skip


def _catalogue(url: str) -> Iterator[CatalogueService]:
    db = Database(url)
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('L', 'M', 'm', 'movies', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('S', 'S', 's', 'music', 0)"
            )
        )
    add_rows(db, "L", [Row(title) for title in MOVIES])
    artist = Row("Gold Band", kind="artist")
    album = Row("Golden Years", kind="album", parent_id=artist.id, top_id=artist.id)
    tracks = [
        Row(t, kind="track", parent_id=album.id, top_id=artist.id) for t in ("Gold Dust", "Amélie's Song")
    ]
    add_rows(db, "S", [artist, album, *tracks])
    yield CatalogueService(db, CatalogueRepository(), LibraryRepository())
    db.close()


@pytest.fixture
def sqlite_side(tmp_path: Path) -> Iterator[CatalogueService]:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    migrated = Database(url)
    migrated.migrate()
    migrated.close()
    yield from _catalogue(url)


@pytest.fixture
def postgres_side(postgres_url: str) -> Iterator[CatalogueService]:
    yield from _catalogue(postgres_url)


def _found(catalogue: CatalogueService, words: str, kinds: frozenset[ItemKind] | None = None) -> list[str]:
    query = FindQuery(kinds=kinds, text=words, sort=(FindSort.TITLE,), limit=100)
    return [f.summary.title for f in catalogue.find(system_actor(), query, Needs(total=False)).items]


def test_both_databases_find_the_same_titles(
    sqlite_side: CatalogueService, postgres_side: CatalogueService
) -> None:
    actor = system_actor()
    for words in QUERIES:
        expected = _found(sqlite_side, words)
        assert _found(postgres_side, words) == expected, words
        for kinds in ({ItemKind.TRACK}, {ItemKind.MOVIE, ItemKind.ARTIST}):
            assert _found(postgres_side, words, frozenset(kinds)) == _found(
                sqlite_side, words, frozenset(kinds)
            )
        searched = {s.title for s in sqlite_side.search(actor, words, 100)} if words.strip("!") else set()
        assert {s.title for s in postgres_side.search(actor, words, 100)} == searched, words
        each = [
            FindQuery(kinds=frozenset({k}), text=words, limit=10) for k in (ItemKind.ARTIST, ItemKind.TRACK)
        ]
        by_kind = [{f.summary.title for f in page} for page in sqlite_side.search_each(actor, each)]
        assert [{f.summary.title for f in page} for page in postgres_side.search_each(actor, each)] == by_kind


def test_the_shared_answers_are_word_prefixes_folded_like_fts5(postgres_side: CatalogueService) -> None:
    """What both must say, so that a PostgreSQL search falling back to substrings (ILIKE) fails."""
    assert _found(postgres_side, "gold") == ["Gold", "Gold Band", "Gold Dust", "Golden Hour", "Golden Years",
                                             "Silver and Gold"]  # fmt: skip
    assert _found(postgres_side, "gold", frozenset({ItemKind.TRACK})) == ["Gold Dust"]
    assert _found(postgres_side, "amelie") == ["Amélie", "Amélie's Song"]
    assert _found(postgres_side, "spider man") == ["Spider-Man: Homecoming"]
    # FTS5 folds only letters that decompose into a base and marks: ł is a letter of its own there too.
    assert _found(postgres_side, "łódź") == ["Łódź Nights"] and _found(postgres_side, "lodz") == []
    assert _found(postgres_side, "creme brulee") == ["Crème brûlée"]
    assert _found(postgres_side, "ωmega") == ["Ωmega Point"]
    assert _found(postgres_side, "!!!") == []
    best = postgres_side.find(
        system_actor(), FindQuery(text="gold", sort=(FindSort.RELEVANCE,), limit=3), Needs()
    )
    assert best.items[0].summary.title == "Gold" and best.total == 6


def test_postgresql_answers_words_from_the_gin_index(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        with db.read() as conn:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(
                conn.execute(
                    text(
                        "EXPLAIN SELECT id FROM items WHERE search @@ to_tsquery('simple'::regconfig, 'gold:*')"
                    )
                ).scalars()
            )
        assert "ix_items_search" in plan
    finally:
        db.close()
