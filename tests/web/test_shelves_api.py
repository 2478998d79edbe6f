"""Home's shelves over a real server: next up, recently added grouped by show and album, and items by id with
their family, each through the caller's scope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.mediagen import MediaKit


@pytest.fixture
def running(tmp_path: Path, media_kit: MediaKit) -> Iterator[tuple[RunningServer, dict[str, str]]]:
    shows, private = tmp_path / "shows", tmp_path / "private"
    for season, episode in [(1, 1), (1, 2), (2, 1)]:
        media_kit.video_at(
            shows
            / "Harbour Watch"
            / f"Season {season:02d}"
            / f"Harbour Watch - S{season:02d}E{episode:02d}.mp4"
        )
    for episode in (1, 2):
        media_kit.video_at(private / "Secret Show" / "Season 01" / f"Secret Show - S01E0{episode}.mp4")
    server = RunningServer(tmp_path / "data")
    services = server.server.services
    system = system_actor("test")
    libraries = {
        name: services.libraries.add(system, name, "shows", [str(root)])
        for name, root in (("Shows", shows), ("Private", private))
    }
    for library in libraries.values():
        server.server.scanner.scan(library)
    member = server.create_user("kim")
    services.users.update(system, member, grants={"libraries": [libraries["Shows"].id]})  # type: ignore[union-attr]
    ids = {"shows": libraries["Shows"].id, "private": libraries["Private"].id, "kim": member}
    for found in services.catalogue.search(system, "episode", 50):
        show = "harbour" if found.library_id == libraries["Shows"].id else "secret"
        ids[f"{show} {found.parent_index}x{found.index}"] = found.id
    yield server, ids
    server.stop()


def test_next_up_is_the_episode_after_the_last_watched_and_none_once_a_show_is_done(
    running: tuple[RunningServer, dict[str, str]],
) -> None:
    server, ids = running
    kim = server.sign_in("kim")
    assert kim.get("/api/next-up").json() == []
    assert kim.request("PUT", f"/api/items/{ids['harbour 1x2']}/watched", {"watched": True}).status == 200
    [following] = kim.get("/api/next-up").json()
    assert (following["id"], following["top_title"], following["parent_index"], following["index"]) == (
        ids["harbour 2x1"],
        "Harbour Watch",
        2,
        1,
    )
    assert following["watched"] is False and following["duration"] > 0
    assert kim.request("PUT", f"/api/items/{ids['harbour 2x1']}/watched", {"watched": True}).status == 200
    assert kim.get("/api/next-up").json() == []


def test_next_up_never_names_a_show_the_caller_cannot_see(
    running: tuple[RunningServer, dict[str, str]],
) -> None:
    server, ids = running
    services, system = server.server.services, system_actor("test")
    kim_id = ids["kim"]
    services.users.update(system, kim_id, grants={"libraries": [ids["shows"], ids["private"]]})
    kim = server.sign_in("kim")
    assert kim.request("PUT", f"/api/items/{ids['secret 1x1']}/watched", {"watched": True}).status == 200
    assert [i["id"] for i in kim.get("/api/next-up").json()] == [ids["secret 1x2"]]
    # The Private library is taken back: her marks stay, but the shelf no longer names its episodes.
    services.users.update(system, kim_id, grants={"libraries": [ids["shows"]]})
    assert kim.get("/api/next-up").json() == []


def test_recently_added_grouped_is_one_entry_per_show_in_the_callers_libraries(
    running: tuple[RunningServer, dict[str, str]],
) -> None:
    server, ids = running
    owner = server.owner()
    everything = owner.get("/api/recent/grouped").json()
    assert sorted((i["kind"], i["title"]) for i in everything) == [
        ("show", "Harbour Watch"),
        ("show", "Secret Show"),
    ]
    kim = server.sign_in("kim")
    assert [i["title"] for i in kim.get("/api/recent/grouped").json()] == ["Harbour Watch"]
    assert kim.get(f"/api/recent/grouped?library_id={ids['private']}").status == 404
    assert kim.get("/api/recent/grouped?limit=0").status == 422


def test_listed_keeps_the_order_asked_and_leaves_out_what_the_caller_cannot_see(
    running: tuple[RunningServer, dict[str, str]],
) -> None:
    server, ids = running
    kim = server.sign_in("kim")
    asked = ",".join([ids["harbour 2x1"], ids["secret 1x1"], ids["harbour 1x1"]])
    found = kim.get(f"/api/listed?ids={asked}").json()
    assert [i["id"] for i in found] == [ids["harbour 2x1"], ids["harbour 1x1"]]
    assert [(i["top_title"], i["parent_title"]) for i in found] == [
        ("Harbour Watch", "Season 2"),
        ("Harbour Watch", "Season 1"),
    ]
    assert kim.get("/api/listed").status == 422
