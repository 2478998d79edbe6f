"""Kodi NFO details beyond the title: people with roles and photos, collections, ids, and their removal."""

from __future__ import annotations

import os
from pathlib import Path

from reelhouse.domain.library import LibraryKind
from tests.mediagen import jpeg_bytes
from tests.scanner.rows import one, rows

RICH_NFO = """<?xml version="1.0" encoding="UTF-8"?>
<movie><title>Heat</title><originaltitle>Chaleur</originaltitle><tagline>A Los Angeles crime saga</tagline>
<runtime>170</runtime><premiered>1995-12-15</premiered><year>1995</year>
<studio>Warner Bros.</studio><studio>Regency</studio>
<director>Michael Mann</director><credits>Michael Mann</credits>
<actor><name>Al Pacino</name><role>Vincent Hanna</role><order>1</order></actor>
<actor><name>Robert De Niro</name><role>Neil McCauley</role><order>0</order></actor>
<set><name>Crime Sagas</name><overview>x</overview></set>
<uniqueid type="tmdb">949</uniqueid><uniqueid type="imdb" default="true">tt0113277</uniqueid>
</movie>"""


def _credits(db, item_id: str) -> list[tuple[str, str, str | None, int, bool]]:  # type: ignore[no-untyped-def]
    found = rows(
        db,
        "SELECT p.name, ip.kind, ip.role, ip.position, ip.photo FROM item_people ip"
        " JOIN people p ON p.id = ip.person_id WHERE ip.item_id = :i ORDER BY ip.kind, ip.position, p.name",
        i=item_id,
    )
    return [(r["name"], r["kind"], r["role"], r["position"], r["photo"] is not None) for r in found]


def test_nfo_people_collection_and_details_are_stored(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MOVIES)
    folder = Path(library.roots[0]) / "Heat (1995)"
    media_kit.video_at(folder / "Heat (1995).mkv")
    (folder / "movie.nfo").write_text(RICH_NFO)
    (folder / ".actors").mkdir()
    (folder / ".actors" / "Al_Pacino.jpg").write_bytes(jpeg_bytes())
    scanner.scan(library)
    movie = one(db, "movie")
    assert movie["extra"] == {
        "original_title": "Chaleur",
        "tagline": "A Los Angeles crime saga",
        "runtime": 170,
        "premiered": "1995-12-15",
        "studios": ["Warner Bros.", "Regency"],
        "uniqueids": {"imdb": "tt0113277", "tmdb": "949"},
    }
    assert _credits(db, movie["id"]) == [
        ("Robert De Niro", "actor", "Neil McCauley", 0, False),
        ("Al Pacino", "actor", "Vincent Hanna", 1, True),
        ("Michael Mann", "director", None, 0, False),
        ("Michael Mann", "writer", None, 0, False),
    ]
    assert len(rows(db, "SELECT id FROM people")) == 3
    collection = rows(
        db, "SELECT c.name FROM item_collections ic JOIN collections c ON c.id = ic.collection_id"
    )
    assert collection == [{"name": "Crime Sagas"}]


def test_the_same_person_in_two_libraries_is_one_person(db, scanner, library_factory, media_kit):
    films = library_factory(LibraryKind.MOVIES, name="Films")
    shows = library_factory(LibraryKind.SHOWS, name="Shows")
    film = Path(films.roots[0]) / "Heat (1995)"
    media_kit.video_at(film / "Heat (1995).mkv")
    (film / "movie.nfo").write_text(RICH_NFO)
    show = Path(shows.roots[0]) / "Crime Story"
    media_kit.video_at(show / "Season 1" / "Crime Story S01E01.mkv")
    (show / "tvshow.nfo").write_text(
        "<tvshow><title>Crime Story</title><actor><name>al pacino</name><role>Guest</role></actor></tvshow>"
    )
    scanner.scan(films)
    scanner.scan(shows)
    appearances = rows(db, "SELECT person_id FROM item_people WHERE role IN ('Vincent Hanna', 'Guest')")
    assert len({a["person_id"] for a in appearances}) == 1 and len(appearances) == 2


def test_an_unchanged_rescan_rewrites_no_row_and_a_removed_nfo_clears_everything(
    db, scanner, library_factory, media_kit
):
    library = library_factory(LibraryKind.MOVIES)
    folder = Path(library.roots[0]) / "Heat (1995)"
    media_kit.video_at(folder / "Heat (1995).mkv")
    (folder / "movie.nfo").write_text(RICH_NFO)
    scanner.scan(library)
    before = one(db, "movie")
    # Where each row is stored: a rewritten row moves (SQLite's rowid, PostgreSQL's ctid).
    where = "rowid" if db.is_sqlite else "ctid::text"
    links = rows(db, f"SELECT {where} AS at, * FROM item_people ORDER BY at")
    scanner.scan(library)
    assert one(db, "movie")["updated_at"] == before["updated_at"]
    assert rows(db, f"SELECT {where} AS at, * FROM item_people ORDER BY at") == links
    os.remove(folder / "movie.nfo")
    scanner.scan(library)
    movie = one(db, "movie")
    assert movie["extra"] == {} and movie["title"] == "Heat"
    assert rows(db, "SELECT * FROM item_people") == [] and rows(db, "SELECT * FROM people") == []
    assert rows(db, "SELECT * FROM collections") == []


def test_a_broken_nfo_is_a_scan_error_and_the_scan_goes_on(db, scanner, library_factory, media_kit):
    library = library_factory(LibraryKind.MOVIES)
    root = Path(library.roots[0])
    media_kit.video_at(root / "Bad (2001)" / "Bad (2001).mkv")
    (root / "Bad (2001)" / "movie.nfo").write_text("<movie><title>Bad</title><actor><name>X</movie>")
    media_kit.video_at(root / "Good (2002)" / "Good (2002).mkv")
    (root / "Good (2002)" / "movie.nfo").write_text(RICH_NFO.replace("Heat", "Good"))
    report = scanner.scan(library)
    assert [e.path for e in report.errors] == [str(root / "Bad (2001)" / "movie.nfo")]
    assert len(rows(db, "SELECT * FROM item_people")) == 4
