"""Collections over a real server: a collection's films in release order, only those the viewer may see, a
collection with nothing visible answering like an unknown one, and a library's collections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.domain.ratings import rank
from tests.harness import RunningServer
from tests.mediagen import MediaKit

# Titles sort against release order, so an order by title cannot pass for release order.
FILMS = (
    # (library, title, year, premiered, rating)
    ("Films", "Alpha Returns", 1990, "1990-11-02", "PG"),
    ("Films", "Zeta Begins", 1990, "1990-03-01", "PG"),
    ("Films", "Beta Strikes", 1985, None, "R"),
    ("Private", "Omega Ends", 1999, None, "PG"),
)


def _nfo(title: str, year: int, premiered: str | None, mpaa: str, saga: str) -> str:
    aired = f"<premiered>{premiered}</premiered>" if premiered else ""
    return (
        f"<movie><title>{title}</title><year>{year}</year>{aired}<mpaa>{mpaa}</mpaa>"
        f"<set><name>{saga}</name></set>"
        "</movie>"
    )


@pytest.fixture
def running(tmp_path: Path, media_kit: MediaKit) -> Iterator[tuple[RunningServer, dict[str, str]]]:
    roots = {"Films": tmp_path / "films", "Private": tmp_path / "private"}
    for library, title, year, premiered, mpaa in FILMS:
        folder = roots[library] / f"{title} ({year})"
        media_kit.video_at(folder / f"{title} ({year}).mp4")
        (folder / "movie.nfo").write_text(_nfo(title, year, premiered, mpaa, "The Saga"))
    # A collection whose only film is one the member may not see.
    hidden = roots["Private"] / "Lone Film (2001)"
    media_kit.video_at(hidden / "Lone Film (2001).mp4")
    (hidden / "movie.nfo").write_text(_nfo("Lone Film", 2001, None, "G", "Private Set"))
    server = RunningServer(tmp_path / "data")
    services = server.server.services
    system = system_actor("test")
    libraries = {
        name: services.libraries.add(system, name, "movies", [str(root)]) for name, root in roots.items()
    }
    for library in libraries.values():
        server.server.scanner.scan(library)
    member = server.create_user("kim")
    grants = {"libraries": [libraries["Films"].id], "max_rating": {"movies": rank("PG-13")}}
    services.users.update(system, member, grants=grants)  # type: ignore[union-attr]
    ids = {i.title: i.id for word in ("alpha", "lone") for i in services.catalogue.search(system, word)}
    ids.update({name: library.id for name, library in libraries.items()})
    yield server, ids
    server.stop()


def test_a_collection_lists_its_films_in_release_order(running: tuple[RunningServer, dict[str, str]]) -> None:
    server, ids = running
    saga = server.owner().get(f"/api/items/{ids['Alpha Returns']}").json()["collection"]
    found = server.owner().get(f"/api/collections/{saga['id']}").json()
    assert found["name"] == "The Saga"
    assert [i["title"] for i in found["items"]] == [
        "Beta Strikes",
        "Zeta Begins",
        "Alpha Returns",
        "Omega Ends",
    ]


def test_a_collection_shows_only_what_the_viewer_may_see(
    running: tuple[RunningServer, dict[str, str]],
) -> None:
    server, ids = running
    owner = server.owner()
    saga = owner.get(f"/api/items/{ids['Alpha Returns']}").json()["collection"]["id"]
    lone = owner.get(f"/api/items/{ids['Lone Film']}").json()["collection"]["id"]
    kim = server.sign_in("kim")
    # The R-rated film is above Kim's cap; the private library is not shared with her.
    seen = kim.get(f"/api/collections/{saga}").json()
    assert [i["title"] for i in seen["items"]] == ["Zeta Begins", "Alpha Returns"]
    hidden, unknown = kim.get(f"/api/collections/{lone}"), kim.get("/api/collections/AAAAAAAAAAAAAAAAAAAAAA")
    assert (hidden.status, unknown.status) == (404, 404)
    assert hidden.json() == unknown.json()
    assert owner.get(f"/api/collections/{lone}").status == 200


def test_a_library_lists_its_collections_as_the_viewer_sees_them(
    running: tuple[RunningServer, dict[str, str]],
) -> None:
    server, ids = running
    owner = server.owner()
    films = owner.get(f"/api/libraries/{ids['Films']}/collections").json()
    assert [(c["name"], c["count"]) for c in films] == [("The Saga", 3)]
    private = owner.get(f"/api/libraries/{ids['Private']}/collections").json()
    assert [(c["name"], c["count"]) for c in private] == [("Private Set", 1), ("The Saga", 1)]
    kim = server.sign_in("kim")
    assert [
        (c["name"], c["count"]) for c in kim.get(f"/api/libraries/{ids['Films']}/collections").json()
    ] == [("The Saga", 2)]
    assert kim.get(f"/api/libraries/{ids['Private']}/collections").status == 404
