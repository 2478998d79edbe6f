"""Every scrobbled listen counts: the song's play count and its album's, so getAlbumList2's most-played and
recently played orders follow what was heard; "now playing" (submission=false) counts nothing."""

from __future__ import annotations

from reelhouse.domain.access import Role, system_actor
from tests.compat.subsonic.conftest import World, music_app
from tests.compat.subsonic.test_playlists import rest, song


def test_each_listen_counts_for_the_song_and_its_album(world: World) -> None:
    world.server.create_user("scrobbler", Role.MEMBER)
    services = world.server.server.services
    assert services.users is not None
    user = next(u["id"] for u in services.accounts.list_users() if u["username"] == "scrobbler")
    music = next(lib.id for lib in services.libraries.visible(system_actor()) if lib.name == "Music")
    services.users.update(system_actor(), user, grants={"libraries": [music]})
    key = music_app(world.server.sign_in("scrobbler"), "scrobbler phone", "key")
    zed, first = song(world, "Zed Song"), song(world, "First Light")

    for _ in range(3):
        assert rest(world, "scrobble", id=zed, submission="true", apiKey=key)["status"] == "ok"
    assert rest(world, "scrobble", id=first, submission="true", apiKey=key)["status"] == "ok"
    assert rest(world, "scrobble", id=first, submission="false", apiKey=key)["status"] == "ok"

    assert rest(world, "getSong", id=zed, apiKey=key)["song"]["playCount"] == 3
    assert rest(world, "getSong", id=first, apiKey=key)["song"]["playCount"] == 1
    frequent = rest(world, "getAlbumList2", type="frequent", apiKey=key)["albumList2"]["album"]
    assert [(a["name"], a.get("playCount")) for a in frequent] == [("Red", 3), ("Blue", 1)]

    # A listen kept while offline is dated by `time`: it is the older one, so Blue is the most recent.
    rest(world, "scrobble", id=zed, time="1000000000000", submission="true", apiKey=key)
    recent = rest(world, "getAlbumList2", type="recent", apiKey=key)["albumList2"]["album"]
    assert [a["name"] for a in recent] == ["Blue", "Red"]
    assert rest(world, "getSong", id=zed, apiKey=key)["song"]["played"].startswith("2001-09-09")
    # Another user's counts are their own.
    other = rest(world, "getSong", id=zed, apiKey=world.keys["owner"])["song"]
    assert other.get("playCount", 0) < 4
    # An app's clock ahead of ours never dates a listen in the future.
    rest(world, "scrobble", id=first, time="4102444800000", submission="true", apiKey=key)
    assert not rest(world, "getSong", id=first, apiKey=key)["song"]["played"].startswith("2100")
