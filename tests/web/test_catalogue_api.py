"""The catalogue API over a real server: libraries, browse, detail, children, search, recent, errors."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from reelhouse.domain.access import Role, system_actor
from tests.catalogue_factory import Row, add_rows
from tests.harness import RunningServer


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path / "data")
    yield server
    server.stop()


@pytest.fixture
def movies(running: RunningServer, tmp_path: Path) -> str:
    root = tmp_path / "movies"
    root.mkdir()
    library = running.server.services.libraries.add(system_actor(), "Movies", "movies", [str(root)])
    add_rows(
        running.server.db,
        library.id,
        [
            Row("Alpha Dawn", year=2001, rating=7.0, genres=("Drama",)),
            Row("Bravo Night", year=1999, rating=9.0, genres=("Action",)),
            Row("Charlie Storm", year=2010, rating=5.5, genres=("Drama",)),
        ],
    )
    return library.id


def test_anonymous_caller_gets_401_on_every_catalogue_route(running: RunningServer, movies: str) -> None:
    anon = running.anonymous()
    for path in ("/api/libraries", f"/api/libraries/{movies}/items", "/api/search?q=alpha", "/api/recent"):
        answer = anon.get(path)
        assert answer.status == 401, path
        assert answer.json()["error"] == "authentication_required"


def test_browse_sorts_by_title_by_default(running: RunningServer, movies: str) -> None:
    page = running.owner().get(f"/api/libraries/{movies}/items").json()
    assert [i["title"] for i in page["items"]] == ["Alpha Dawn", "Bravo Night", "Charlie Storm"]
    assert page["total"] == 3


def test_browse_sorts_by_rating_descending(running: RunningServer, movies: str) -> None:
    page = running.owner().get(f"/api/libraries/{movies}/items?sort=rating&order=desc").json()
    assert [i["title"] for i in page["items"]] == ["Bravo Night", "Alpha Dawn", "Charlie Storm"]


def test_browse_filters_by_genre_and_year(running: RunningServer, movies: str) -> None:
    owner = running.owner()
    drama = owner.get(f"/api/libraries/{movies}/items?genre=Drama").json()
    assert {i["title"] for i in drama["items"]} == {"Alpha Dawn", "Charlie Storm"}
    year = owner.get(f"/api/libraries/{movies}/items?year=1999").json()
    assert [i["title"] for i in year["items"]] == ["Bravo Night"]


def test_browse_pages_with_offset_and_limit(running: RunningServer, movies: str) -> None:
    page = running.owner().get(f"/api/libraries/{movies}/items?offset=1&limit=1").json()
    assert [i["title"] for i in page["items"]] == ["Bravo Night"]
    assert page["total"] == 3


def test_bad_query_parameters_answer_422_with_the_field(running: RunningServer, movies: str) -> None:
    answer = running.owner().get(f"/api/libraries/{movies}/items?limit=100000&sort=colour")
    assert answer.status == 422
    assert {"limit", "sort"} <= set(answer.json()["fields"])


def test_unknown_library_and_item_answer_404(running: RunningServer, movies: str) -> None:
    owner = running.owner()
    assert owner.get("/api/libraries/nope/items").status == 404
    assert owner.get("/api/items/nope").status == 404


def test_search_matches_word_prefixes(running: RunningServer, movies: str) -> None:
    found = running.owner().get("/api/search?q=brav").json()
    assert [i["title"] for i in found] == ["Bravo Night"]


def test_search_treats_fts_syntax_as_plain_text(running: RunningServer, movies: str) -> None:
    owner = running.owner()
    for query in ('"', "NEAR(a b)", "alpha OR", "*", "a:b", "%", "_", "'; DROP TABLE items; --", "bravo*"):
        answer = owner.get(f"/api/search?q={quote(query)}")
        assert answer.status == 200, query
    assert [i["title"] for i in owner.get(f"/api/search?q={quote('bravo*')}").json()] == ["Bravo Night"]


def test_recently_added_is_newest_first(running: RunningServer, movies: str) -> None:
    found = running.owner().get("/api/recent").json()
    assert [i["title"] for i in found] == ["Charlie Storm", "Bravo Night", "Alpha Dawn"]


def test_item_detail_and_children(running: RunningServer, tmp_path: Path) -> None:
    root = tmp_path / "shows"
    root.mkdir()
    library = running.server.services.libraries.add(system_actor(), "Shows", "shows", [str(root)])
    show = Row("The Show", kind="show", genres=("Comedy",))
    season = Row("Season 1", kind="season", parent_id=show.id, top_id=show.id, idx=1)
    episodes = [
        Row(f"Episode {n}", kind="episode", parent_id=season.id, top_id=show.id, idx=n, parent_idx=1)
        for n in (2, 1)
    ]
    add_rows(running.server.db, library.id, [show, season, *episodes])
    owner = running.owner()
    detail = owner.get(f"/api/items/{show.id}").json()
    assert detail["genres"] == ["Comedy"]
    assert [c["title"] for c in owner.get(f"/api/items/{show.id}/children").json()] == ["Season 1"]
    assert [c["index"] for c in owner.get(f"/api/items/{season.id}/children").json()] == [1, 2]


def test_member_without_grant_sees_neither_library_nor_items(running: RunningServer, movies: str) -> None:
    running.create_user("friend", Role.MEMBER)
    with running.server.db.begin() as conn:
        from sqlalchemy import text

        conn.execute(
            text("UPDATE users SET grants = :g WHERE username = 'friend'"), {"g": '{"libraries": []}'}
        )
    friend = running.sign_in("friend")
    assert friend.get("/api/libraries").json() == []
    assert friend.get(f"/api/libraries/{movies}/items").status == 404
    assert friend.get("/api/search?q=alpha").json() == []
    assert friend.get("/api/recent").json() == []


def test_adding_a_library_needs_an_admin(running: RunningServer, tmp_path: Path) -> None:
    running.create_user("friend", Role.MEMBER)
    body = {"name": "Mine", "kind": "movies", "paths": [str(tmp_path)]}
    assert running.sign_in("friend").post("/api/libraries", body).status == 403


def test_adding_a_library_with_a_missing_folder_is_a_clear_422(
    running: RunningServer, tmp_path: Path
) -> None:
    body = {"name": "Mine", "kind": "movies", "paths": [str(tmp_path / "missing")]}
    answer = running.owner().post("/api/libraries", body)
    assert answer.status == 422
    assert "does not exist" in answer.json()["message"]


def test_openapi_document_declares_security_on_every_operation(running: RunningServer) -> None:
    document = running.owner().get("/api/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "security" in operation, (method, path)


def test_the_openapi_document_comes_compressed_to_a_client_that_accepts_it(running: RunningServer) -> None:
    owner = running.owner()
    plain = owner.get("/api/openapi.json")
    packed = owner.request("GET", "/api/openapi.json", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert plain.header("Content-Encoding") is None
    assert packed.header("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in (packed.header("Vary") or "")
    assert len(packed.body) * 5 < len(plain.body)
    assert json.loads(gzip.decompress(packed.body)) == plain.json()


def test_malformed_json_body_is_a_422_not_a_500(running: RunningServer) -> None:
    answer = running.owner().request(
        "POST", "/api/libraries", raw=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status == 422
    assert b"Traceback" not in answer.body


def test_search_as_you_type_groups_each_kind_best_match_first(running: RunningServer, tmp_path: Path) -> None:
    root = tmp_path / "music"
    root.mkdir()
    library = running.server.services.libraries.add(system_actor(), "Music", "music", [str(root)])
    artist = Row("Golden Earring", kind="artist")
    album = Row("Gold", kind="album", parent_id=artist.id, top_id=artist.id)
    tracks = [
        Row(title, kind="track", parent_id=album.id, top_id=artist.id, idx=n)
        for n, title in enumerate(["Twilight Zone", "Gold", "Radar Love and Gold Dust", "Marigold"], 1)
    ]
    add_rows(running.server.db, library.id, [artist, album, *tracks])
    owner = running.owner()
    found = owner.get("/api/search/grouped?q=gold").json()
    assert [g["kind"] for g in found["groups"]] == ["artist", "album", "track"]
    songs = found["groups"][2]["items"]
    # Word starts only ("Marigold" is not found), the exact title first, each named with its album and artist.
    assert [s["title"] for s in songs] == ["Gold", "Radar Love and Gold Dust"]
    assert (songs[0]["parent_title"], songs[0]["top_title"]) == ("Gold", "Golden Earring")
    narrowed = owner.get("/api/search/grouped?q=gold&kinds=track&per_kind=1").json()
    assert [(g["kind"], [i["title"] for i in g["items"]]) for g in narrowed["groups"]] == [
        ("track", ["Gold"])
    ]
    for bad in ("kinds=song", "per_kind=0", "per_kind=21", "kinds=TRACK"):
        answer = owner.get(f"/api/search/grouped?q=gold&{bad}")
        assert answer.status == 422, bad
        assert answer.json()["message"]
    assert owner.get("/api/search/grouped?q=%20").status == 422


def test_a_search_of_symbols_alone_finds_nothing_rather_than_failing(
    running: RunningServer, movies: str
) -> None:
    owner = running.owner()
    for text in ("%F0%9F%8F%BB", "%21%3F", "%22%2A%22"):  # a skin-tone modifier, "!?", '"*"'
        grouped = owner.get(f"/api/search/grouped?q={text}")
        assert grouped.status == 200, (text, grouped.body[:200])
        assert grouped.json() == {"groups": [], "people": []}
        assert owner.get(f"/api/search?q={text}").json() == []
