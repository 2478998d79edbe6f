"""People over a real server: credits on the item page, a person across libraries, always through the scope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.domain.ratings import rank
from tests.harness import RunningServer
from tests.mediagen import MediaKit, jpeg_bytes
from tests.postgres import exec_sql


def _nfo(title: str, mpaa: str, role: str) -> str:
    return (
        f"<movie><title>{title}</title><mpaa>{mpaa}</mpaa><director>Dee Rector</director>"
        f"<actor><name>Ann Actor</name><role>{role}</role><order>0</order></actor>"
        "<actor><name>Bo Extra</name><role>Waiter</role><order>1</order></actor></movie>"
    )


@pytest.fixture
def running(tmp_path: Path, media_kit: MediaKit) -> Iterator[tuple[RunningServer, dict[str, str]]]:
    films, kids, private = tmp_path / "films", tmp_path / "kids", tmp_path / "private"
    for root, title, mpaa, role in (
        (films, "Dark Film", "R", "Villain"),
        (kids, "Kind Film", "G", "Fairy"),
        (private, "Home Film", "G", "Herself"),
    ):
        folder = root / title
        media_kit.video_at(folder / f"{title}.mp4")
        (folder / "movie.nfo").write_text(_nfo(title, mpaa, role))
    (films / "Dark Film" / ".actors").mkdir()
    (films / "Dark Film" / ".actors" / "Ann_Actor.jpg").write_bytes(jpeg_bytes((10, 90, 200), (64, 96)))
    server = RunningServer(tmp_path / "data")
    services = server.server.services
    system = system_actor("test")
    libraries = {
        name: services.libraries.add(system, name, "movies", [str(root)])
        for name, root in (("Films", films), ("Kids", kids), ("Private", private))
    }
    for library in libraries.values():
        server.server.scanner.scan(library)
    member = server.create_user("kim")
    grants = {
        "libraries": [libraries["Films"].id, libraries["Kids"].id],
        "max_rating": {"movies": rank("PG")},
    }
    services.users.update(system, member, grants=grants)  # type: ignore[union-attr]
    ids = {i.title: i.id for i in services.catalogue.search(system, "film")}
    yield server, ids
    server.stop()


def test_item_detail_lists_cast_and_crew_with_photos(running: tuple[RunningServer, dict[str, str]]) -> None:
    server, ids = running
    detail = server.owner().get(f"/api/items/{ids['Dark Film']}").json()
    assert [(c["name"], c["role"], c["order"], c["has_photo"]) for c in detail["cast"]] == [
        ("Ann Actor", "Villain", 0, True),
        ("Bo Extra", "Waiter", 1, False),
    ]
    assert [(c["name"], c["kind"]) for c in detail["crew"]] == [("Dee Rector", "director")]
    ann = detail["cast"][0]["id"]
    photo = server.owner().get(f"/api/items/{ids['Dark Film']}/people/{ann}/photo?width=160")
    assert photo.status == 200 and photo.header("Content-Type") == "image/jpeg"
    assert server.owner().get(f"/api/items/{ids['Kind Film']}/people/{ann}/photo").status == 404


def test_a_person_lists_only_what_the_viewer_may_see(running: tuple[RunningServer, dict[str, str]]) -> None:
    server, ids = running
    ann = server.owner().get(f"/api/items/{ids['Kind Film']}").json()["cast"][0]["id"]
    owner_view = server.owner().get(f"/api/people/{ann}").json()
    assert owner_view["name"] == "Ann Actor"
    assert sorted(a["item"]["title"] for a in owner_view["appearances"]) == [
        "Dark Film",
        "Home Film",
        "Kind Film",
    ]
    kim = server.sign_in("kim")
    # The R-rated film is above Kim's cap and the private library is not shared with her.
    seen = kim.get(f"/api/people/{ann}").json()
    assert [(a["item"]["title"], a["role"]) for a in seen["appearances"]] == [("Kind Film", "Fairy")]
    # Her photo is only on the film Kim may not see: refused as missing.
    assert kim.get(f"/api/items/{ids['Dark Film']}/people/{ann}/photo").status == 404


def test_a_person_seen_only_in_hidden_items_is_missing(running: tuple[RunningServer, dict[str, str]]) -> None:
    server, ids = running
    director = server.owner().get(f"/api/items/{ids['Dark Film']}").json()["crew"][0]["id"]
    kim = server.sign_in("kim")
    assert kim.get(f"/api/people/{director}").status == 200
    server.server.services.users.update(  # type: ignore[union-attr]
        system_actor("test"), _user(server, "kim"), grants={"libraries": []}
    )
    answer = kim.get(f"/api/people/{director}")
    assert answer.status == 404
    assert server.owner().get("/api/people/AAAAAAAAAAAAAAAAAAAAAA").status == 404


def _user(server: RunningServer, name: str) -> str:
    return next(u["id"] for u in server.server.services.accounts.list_users() if u["username"] == name)


def test_search_as_you_type_finds_people_only_through_what_the_viewer_may_see(
    running: tuple[RunningServer, dict[str, str]],
) -> None:
    server, ids = running
    with server.server.db.begin() as conn:
        # Someone credited only on a film in a library the member was not given.
        conn.exec_driver_sql(
            "INSERT INTO people (id, name, name_key) VALUES ('zed', 'Zed Annex', 'zed annex')"
        )
        exec_sql(
            conn,
            "INSERT INTO item_people (item_id, person_id, kind, position) VALUES (?, 'zed', 'actor', 5)",
            ids["Home Film"],
        )
    owner = server.owner().get("/api/search/grouped?q=ann").json()
    assert [(p["name"], p["photo_item_id"]) for p in owner["people"]] == [
        ("Ann Actor", ids["Dark Film"]),
        ("Zed Annex", None),
    ]
    member = server.sign_in("kim")
    seen = member.get("/api/search/grouped?q=ann").json()
    # Ann's photo is on a film above the member's rating cap: the person shows, the photo's item does not.
    assert [(p["name"], p["photo_item_id"]) for p in seen["people"]] == [("Ann Actor", None)]
    films = member.get("/api/search/grouped?q=film").json()
    assert [(g["kind"], [i["title"] for i in g["items"]]) for g in films["groups"]] == [
        ("movie", ["Kind Film"])
    ]
    assert member.get("/api/search/grouped?q=dark").json() == {"groups": [], "people": []}
