"""Playlists and the play queue through Subsonic and the web API: one user's own, the same lists in both, and
what they hold read through the caller's scope (an entry the caller can no longer see is left out, counts and
durations too, and comes back with their access)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from reelhouse.domain.access import Role, system_actor
from tests.compat.subsonic.conftest import World, music_app
from tests.harness import Client


def rest(world: World, method: str, **query: str | list[str]) -> dict[str, Any]:
    """A method by POST form, as most apps send it; a list repeats its parameter (songId=1&songId=2)."""
    answer = Client(world.server.port).request(
        "POST",
        f"/rest/{method}.view",
        raw=urlencode({"f": "json", **query}, doseq=True).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.json()["subsonic-response"]
    return body


def song(world: World, title: str) -> str:
    return str(world.server.server.services.catalogue.search(system_actor(), title)[0].id)


def titles(found: dict[str, Any]) -> list[str]:
    return [e["title"] for e in found["playlist"].get("entry", [])]


def code(found: dict[str, Any]) -> int:
    assert found["status"] == "failed", found
    value: int = found["error"]["code"]
    return value


def test_a_playlist_is_made_changed_and_deleted_by_its_owner_alone(world: World) -> None:
    key, other = world.keys["member"], world.keys["owner"]
    first, second, zed = song(world, "First Light"), song(world, "Second Wind"), song(world, "Zed Song")
    made = rest(world, "createPlaylist", name="Road", songId=[first, second], apiKey=key)
    assert made["status"] == "ok", made
    playlist = made["playlist"]["id"]
    assert titles(made) == ["First Light", "Second Wind"]
    listed = rest(world, "getPlaylists", apiKey=key)["playlists"]["playlist"]
    road = next(p for p in listed if p["id"] == playlist)
    assert (road["name"], road["songCount"], road["owner"], road["public"]) == ("Road", 2, "member", False)

    changed = rest(
        world,
        "updatePlaylist",
        playlistId=playlist,
        name="Road trip",
        comment="long",
        songIdToAdd=zed,
        songIndexToRemove="0",
        apiKey=key,
    )
    assert changed["status"] == "ok", changed
    found = rest(world, "getPlaylist", id=playlist, apiKey=key)
    assert titles(found) == ["Second Wind", "Zed Song"]
    assert (found["playlist"]["name"], found["playlist"]["comment"]) == ("Road trip", "long")
    assert found["playlist"]["songCount"] == 2

    # Another user, the owner of the server included, finds no such playlist and changes nothing.
    assert code(rest(world, "getPlaylist", id=playlist, apiKey=other)) == 70
    assert code(rest(world, "updatePlaylist", playlistId=playlist, name="Mine", apiKey=other)) == 70
    assert code(rest(world, "createPlaylist", playlistId=playlist, songId=first, apiKey=other)) == 70
    assert code(rest(world, "deletePlaylist", id=playlist, apiKey=other)) == 70
    assert playlist not in [
        p["id"] for p in rest(world, "getPlaylists", apiKey=other)["playlists"]["playlist"]
    ]
    assert titles(rest(world, "getPlaylist", id=playlist, apiKey=key)) == ["Second Wind", "Zed Song"]

    # createPlaylist with playlistId replaces the songs.
    replaced = rest(world, "createPlaylist", playlistId=playlist, songId=first, apiKey=key)
    assert titles(replaced) == ["First Light"]
    assert rest(world, "deletePlaylist", id=playlist, apiKey=key)["status"] == "ok"
    assert code(rest(world, "getPlaylist", id=playlist, apiKey=key)) == 70


@pytest.mark.parametrize("which", ["hidden", "missing", "album", "film"])
def test_a_song_the_caller_cannot_see_is_70_and_makes_nothing(world: World, which: str) -> None:
    key = world.keys["member"]
    target = {
        "hidden": world.hidden_song,
        "missing": "no-such-song",
        "album": str(world.server.server.services.catalogue.search(system_actor(), "Blue")[0].id),
        "film": world.film,
    }[which]
    before = rest(world, "getPlaylists", apiKey=key)["playlists"]["playlist"]
    assert code(rest(world, "createPlaylist", name="Sneaky", songId=target, apiKey=key)) == 70
    assert rest(world, "getPlaylists", apiKey=key)["playlists"]["playlist"] == before
    made = rest(world, "createPlaylist", name="Plain", apiKey=key)["playlist"]["id"]
    assert code(rest(world, "updatePlaylist", playlistId=made, songIdToAdd=target, apiKey=key)) == 70
    assert code(rest(world, "savePlayQueue", id=target, apiKey=key)) == 70
    assert rest(world, "getPlaylist", id=made, apiKey=key)["playlist"]["songCount"] == 0
    rest(world, "deletePlaylist", id=made, apiKey=key)


@pytest.fixture
def listener(world: World) -> Iterator[tuple[str, str, Client]]:
    """A member who sees the private music library, until a test takes it away."""
    services = world.server.server.services
    assert services.users is not None
    libraries = {lib.name: lib.id for lib in services.libraries.visible(system_actor())}
    user = world.server.create_user("listener", Role.MEMBER)
    services.users.update(
        system_actor(), user, grants={"libraries": [libraries["Music"], libraries["Private"]]}
    )
    session = world.server.sign_in("listener")
    yield user, music_app(session, "listener phone", "key"), session


def test_an_entry_the_caller_can_no_longer_see_is_left_out(
    world: World, listener: tuple[str, str, Client]
) -> None:
    user, key, session = listener
    services = world.server.server.services
    assert services.users is not None
    secret, first = world.hidden_song, song(world, "First Light")
    made = rest(world, "createPlaylist", name="Mixed", songId=[secret, first], apiKey=key)
    playlist = made["playlist"]["id"]
    full = made["playlist"]["duration"]
    assert titles(made) == ["Secret Tune", "First Light"]
    assert (
        rest(world, "savePlayQueue", id=[secret, first], current=secret, position="5", apiKey=key)["status"]
        == "ok"
    )
    music = next(lib.id for lib in services.libraries.visible(system_actor()) if lib.name == "Music")
    services.users.update(system_actor(), user, grants={"libraries": [music]})

    found = rest(world, "getPlaylist", id=playlist, apiKey=key)["playlist"]
    assert [e["title"] for e in found["entry"]] == ["First Light"]
    assert found["songCount"] == 1 and found["duration"] < full
    listed = next(
        p for p in rest(world, "getPlaylists", apiKey=key)["playlists"]["playlist"] if p["id"] == playlist
    )
    assert (listed["songCount"], listed["duration"]) == (1, found["duration"])
    web = session.get(f"/api/playlists/{playlist}").json()
    assert (web["item_ids"], web["entry_count"]) == ([first], 1)
    assert "Secret" not in session.get(f"/api/playlists/{playlist}").body.decode()
    queue = rest(world, "getPlayQueue", apiKey=key)["playQueue"]
    assert [e["title"] for e in queue["entry"]] == ["First Light"] and "current" not in queue

    # Index 0 is the first entry the caller sees, never the hidden one before it.
    rest(world, "updatePlaylist", playlistId=playlist, songIndexToRemove="0", apiKey=key)
    assert rest(world, "getPlaylist", id=playlist, apiKey=key)["playlist"].get("entry", []) == []
    services.users.update(system_actor(), user, grants={"libraries": [music, world_private(world)]})
    assert titles(rest(world, "getPlaylist", id=playlist, apiKey=key)) == ["Secret Tune"]


def world_private(world: World) -> str:
    libraries = world.server.server.services.libraries.visible(system_actor())
    return next(lib.id for lib in libraries if lib.name == "Private")


def test_the_play_queue_is_kept_per_user(world: World) -> None:
    key, other = world.keys["member"], world.keys["owner"]
    first, second = song(world, "First Light"), song(world, "Second Wind")
    saved = rest(
        world, "savePlayQueue", id=[first, second], current=second, position="1234", c="phone", apiKey=key
    )
    assert saved["status"] == "ok", saved
    queue = rest(world, "getPlayQueue", apiKey=key)["playQueue"]
    assert [e["title"] for e in queue["entry"]] == ["First Light", "Second Wind"]
    assert (queue["current"], queue["position"], queue["changedBy"], queue["username"]) == (
        second,
        1234,
        "phone",
        "member",
    )
    assert "playQueue" not in rest(world, "getPlayQueue", apiKey=other)
    assert code(rest(world, "savePlayQueue", id=first, current=second, apiKey=key)) == 10


def test_the_web_api_and_subsonic_share_playlists(world: World) -> None:
    web, key = world.sessions["member"], world.keys["member"]
    first = song(world, "First Light")
    made = web.post("/api/playlists", {"name": "From the web", "item_ids": [first]})
    assert made.status == 201, made.body
    playlist = made.json()["id"]
    assert titles(rest(world, "getPlaylist", id=playlist, apiKey=key)) == ["First Light"]
    # Someone else's playlist is as missing on the web as through Subsonic.
    owner = world.sessions["owner"]
    assert owner.get(f"/api/playlists/{playlist}").status == 404
    assert owner.request("PUT", f"/api/playlists/{playlist}", body={"name": "x"}).status == 404
    assert owner.request("DELETE", f"/api/playlists/{playlist}").status == 404
    assert playlist not in [p["id"] for p in owner.get("/api/playlists").json()]
    changed = web.request("PUT", f"/api/playlists/{playlist}", body={"add": [first], "name": "Twice"})
    assert changed.status == 200, changed.body
    assert changed.json()["item_ids"] == [first, first]
    assert web.post("/api/playlists", {"name": "Hidden", "item_ids": [world.hidden_song]}).status == 404
    assert web.request("DELETE", f"/api/playlists/{playlist}").status == 204
    assert web.get(f"/api/playlists/{playlist}").status == 404


def test_a_move_on_the_web_keeps_a_hidden_entry_in_its_place(world: World) -> None:
    services = world.server.server.services
    assert services.users is not None
    libraries = {lib.name: lib.id for lib in services.libraries.visible(system_actor())}
    user = world.server.create_user("mover", Role.MEMBER)
    services.users.update(
        system_actor(), user, grants={"libraries": [libraries["Music"], libraries["Private"]]}
    )
    session = world.server.sign_in("mover")
    secret, first, second = world.hidden_song, song(world, "First Light"), song(world, "Second Wind")
    made = session.post("/api/playlists", {"name": "Order", "item_ids": [first, secret, second]})
    assert made.status == 201, made.body
    url = f"/api/playlists/{made.json()['id']}"
    services.users.update(system_actor(), user, grants={"libraries": [libraries["Music"]]})

    # Indexes count what the listener sees: Second Wind (1) goes before First Light (0), around the hidden tune.
    moved = session.request("PUT", url, body={"move": {"from": 1, "to": 0}})
    assert moved.status == 200, moved.body
    assert moved.json()["item_ids"] == [second, first]
    assert session.request("PUT", url, body={"move": {"from": 2, "to": 0}}).status == 422
    both = session.request("PUT", url, body={"move": {"from": 0, "to": 1}, "remove_indexes": [0]})
    assert both.status == 422
    services.users.update(
        system_actor(), user, grants={"libraries": [libraries["Music"], libraries["Private"]]}
    )
    assert session.get(url).json()["item_ids"] == [second, secret, first]
