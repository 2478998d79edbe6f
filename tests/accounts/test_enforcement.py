"""Per-user grants hold on every listing: library, rating, unrated and label filters, and hidden = absent."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.domain.ratings import rank
from tests.accounts.conftest import PASSWORD
from tests.catalogue_factory import Row, add_rows
from tests.harness import Client, RunningServer

# A 1x1 PNG: artwork only has to exist as a file for the allowed case to answer 200.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
MISSING_ID = "AAAAAAAAAAAAAAAAAAAAAA"


@dataclass
class Catalogue:
    movies: str
    shows: str
    private: str
    ids: dict[str, str]


@pytest.fixture
def catalogue(running: RunningServer, tmp_path: Path) -> Catalogue:
    made = {}
    for name, kind in (("Movies", "movies"), ("Shows", "shows"), ("Private", "home_videos")):
        root = tmp_path / name
        root.mkdir()
        made[name] = running.server.services.libraries.add(system_actor(), name, kind, [str(root)]).id
    # Inside the movie library: artwork is only ever read from inside the item's own library.
    poster = tmp_path / "Movies" / "poster.png"
    poster.write_bytes(PNG)
    art = str(poster)
    movies = [
        Row("Zephyr Family", content_rating="PG", poster=art),
        Row("Zephyr Grownup", content_rating="R", poster=art),
        Row("Zephyr Mystery", content_rating=None, poster=art),
        Row("Zephyr Spooky", content_rating="PG", tags=("horror",), poster=art),
    ]
    show = Row("Zephyr Mature Show", kind="show", content_rating="TV-MA", poster=art)
    season = Row("Season 1", kind="season", parent_id=show.id, top_id=show.id, idx=1, content_rating="TV-MA")
    tame = Row("Zephyr Tame Show", kind="show", content_rating="TV-PG", poster=art)
    tame_season = Row(
        "Season 1", kind="season", parent_id=tame.id, top_id=tame.id, idx=1, content_rating="TV-PG"
    )
    home = [Row("Zephyr Holiday", kind="video", poster=art)]
    add_rows(running.server.db, made["Movies"], movies)
    add_rows(running.server.db, made["Shows"], [show, season, tame, tame_season])
    add_rows(running.server.db, made["Private"], home)
    running.server.services.catalogue.catalogue_changed()
    ids = {r.title: r.id for r in [*movies, show, tame, *home]}
    ids["mature season"] = season.id
    ids["tame season"] = tame_season.id
    return Catalogue(made["Movies"], made["Shows"], made["Private"], ids)


def _member(running: RunningServer, catalogue: Catalogue, **grants: object) -> Client:
    user_id = running.create_user("kid")
    base: dict[str, object] = {
        "libraries": [catalogue.movies, catalogue.shows],
        "max_rating": {"movies": rank("PG"), "shows": rank("TV-PG")},
        "hide_unrated": True,
        "blocked_labels": ["horror"],
    }
    answer = running.owner().request("PATCH", f"/api/users/{user_id}", {"grants": {**base, **grants}})
    assert answer.status == 200, answer.body
    return running.sign_in("kid")


ALLOWED = {"Zephyr Family", "Zephyr Tame Show"}
HIDDEN = {"Zephyr Grownup", "Zephyr Mystery", "Zephyr Spooky", "Zephyr Mature Show", "Zephyr Holiday"}


def _titles(items: list[dict[str, object]]) -> set[str]:
    return {str(i["title"]) for i in items}


def test_library_list_shows_only_granted_libraries(running: RunningServer, catalogue: Catalogue) -> None:
    kid = _member(running, catalogue)
    ids = {lib["id"] for lib in kid.get("/api/libraries").json()}
    assert ids == {catalogue.movies, catalogue.shows}


def test_ungranted_library_answers_like_a_missing_one(running: RunningServer, catalogue: Catalogue) -> None:
    kid = _member(running, catalogue)
    for suffix in ("", "/items", "/genres"):
        hidden = kid.get(f"/api/libraries/{catalogue.private}{suffix}")
        missing = kid.get(f"/api/libraries/{MISSING_ID}{suffix}")
        assert (hidden.status, hidden.body) == (missing.status, missing.body) == (404, missing.body)


def test_browse_applies_rating_unrated_and_label_filters(
    running: RunningServer, catalogue: Catalogue
) -> None:
    kid = _member(running, catalogue)
    browsed = kid.get(f"/api/libraries/{catalogue.movies}/items").json()
    assert _titles(browsed["items"]) == {"Zephyr Family"}
    assert browsed["total"] == 1


def test_browse_of_shows_caps_the_rating_per_library_kind(
    running: RunningServer, catalogue: Catalogue
) -> None:
    kid = _member(running, catalogue)
    browsed = kid.get(f"/api/libraries/{catalogue.shows}/items").json()
    assert _titles(browsed["items"]) == {"Zephyr Tame Show"}


def test_owner_sees_everything_the_member_does_not(running: RunningServer, catalogue: Catalogue) -> None:
    owner = running.owner()
    found = _titles(owner.get("/api/search?q=zephyr").json())
    assert ALLOWED | HIDDEN <= found


def test_search_applies_every_filter(running: RunningServer, catalogue: Catalogue) -> None:
    kid = _member(running, catalogue)
    assert _titles(kid.get(f"/api/search?q={quote('zephyr')}").json()) == ALLOWED


def test_recently_added_applies_every_filter(running: RunningServer, catalogue: Catalogue) -> None:
    kid = _member(running, catalogue)
    recent = _titles(kid.get("/api/recent?limit=100").json())
    assert recent <= {"Zephyr Family"} and "Zephyr Family" in recent


def test_hidden_item_detail_answers_like_a_missing_item(running: RunningServer, catalogue: Catalogue) -> None:
    kid = _member(running, catalogue)
    missing = kid.get(f"/api/items/{MISSING_ID}")
    for title in HIDDEN:
        hidden = kid.get(f"/api/items/{catalogue.ids[title]}")
        assert (hidden.status, hidden.body) == (404, missing.body), title
    assert kid.get(f"/api/items/{catalogue.ids['Zephyr Family']}").status == 200


def test_children_of_a_hidden_show_answer_like_a_missing_item(
    running: RunningServer, catalogue: Catalogue
) -> None:
    kid = _member(running, catalogue)
    hidden = kid.get(f"/api/items/{catalogue.ids['Zephyr Mature Show']}/children")
    missing = kid.get(f"/api/items/{MISSING_ID}/children")
    assert (hidden.status, hidden.body) == (missing.status, missing.body)
    assert kid.get(f"/api/items/{catalogue.ids['mature season']}").status == 404
    tame = kid.get(f"/api/items/{catalogue.ids['Zephyr Tame Show']}/children")
    assert tame.status == 200


def test_hidden_artwork_answers_like_missing_artwork(running: RunningServer, catalogue: Catalogue) -> None:
    kid = _member(running, catalogue)
    missing = kid.get(f"/api/items/{MISSING_ID}/artwork/poster")
    for title in HIDDEN:
        hidden = kid.get(f"/api/items/{catalogue.ids[title]}/artwork/poster")
        assert (hidden.status, hidden.body) == (404, missing.body), title
    assert kid.get(f"/api/items/{catalogue.ids['Zephyr Family']}/artwork/poster").status == 200


def test_allowed_labels_show_only_labelled_items(running: RunningServer, catalogue: Catalogue) -> None:
    kid = _member(running, catalogue, allowed_labels=["horror"], blocked_labels=None, hide_unrated=False)
    assert _titles(kid.get("/api/search?q=zephyr").json()) == {"Zephyr Spooky"}


def test_all_libraries_grant_includes_libraries_added_later(
    running: RunningServer, catalogue: Catalogue
) -> None:
    user_id = running.create_user("pal")
    running.owner().request("PATCH", f"/api/users/{user_id}", {"grants": {"libraries": "all"}})
    pal = running.sign_in("pal", PASSWORD)
    later = running.server.services.libraries.add(
        system_actor(), "Later", "movies", [str(running.data_dir.parent / "Movies")]
    )
    assert later.id in {lib["id"] for lib in pal.get("/api/libraries").json()}


def test_chosen_libraries_grant_excludes_libraries_added_later(
    running: RunningServer, catalogue: Catalogue
) -> None:
    kid = _member(running, catalogue)
    later = running.server.services.libraries.add(
        system_actor(), "Later", "movies", [str(running.data_dir.parent / "Movies")]
    )
    assert later.id not in {lib["id"] for lib in kid.get("/api/libraries").json()}


def test_changed_grants_apply_to_the_next_request(running: RunningServer, catalogue: Catalogue) -> None:
    kid = _member(running, catalogue)
    kid_id = kid.get("/api/me").json()["id"]
    running.owner().request("PATCH", f"/api/users/{kid_id}", {"grants": {"max_rating": None}})
    assert "Zephyr Grownup" in _titles(kid.get("/api/search?q=zephyr").json())


def test_the_library_grant_alone_hides_an_ungranted_librarys_items(
    running: RunningServer, catalogue: Catalogue
) -> None:
    # Only the library filter: with the others on, the unrated home video would be hidden twice over.
    kid = _member(running, catalogue, max_rating=None, hide_unrated=False, blocked_labels=None)
    found = _titles(kid.get("/api/search?q=zephyr").json())
    assert "Zephyr Holiday" not in found and "Zephyr Mystery" in found
    assert kid.get(f"/api/items/{catalogue.ids['Zephyr Holiday']}").status == 404


def test_hide_unrated_alone_hides_unrated_items_in_uncapped_libraries(
    running: RunningServer, catalogue: Catalogue
) -> None:
    # Only hide_unrated: a rating cap would hide the unrated items in its own way.
    kid = _member(running, catalogue, libraries="all", max_rating=None, blocked_labels=None)
    found = _titles(kid.get("/api/search?q=zephyr").json())
    assert not found & {"Zephyr Holiday", "Zephyr Mystery"}
    assert "Zephyr Grownup" in found
