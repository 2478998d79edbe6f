"""Who sees what through Subsonic: hidden ids answer 70 like missing ones, a music key reaches music alone,
the account's remote rule holds, and credentials never reach a log."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import pytest

from reelhouse.domain.access import system_actor
from tests.compat.subsonic.conftest import World
from tests.harness import Client


def rest(world: World, method: str, source: str | None = None, **query: str) -> dict[str, Any]:
    answer = Client(world.server.port, source=source).get(
        f"/rest/{method}?{urlencode({'f': 'json', **query})}"
    )
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.json()["subsonic-response"]
    return body


@pytest.mark.parametrize("method", ["getSong", "stream", "getCoverArt", "download", "scrobble", "star"])
def test_a_hidden_id_answers_70_like_a_missing_one(world: World, method: str) -> None:
    key = world.keys["member"]
    hidden = rest(world, method, id=world.hidden_song, apiKey=key)
    missing = rest(world, method, id="no-such-id-at-all", apiKey=key)
    assert hidden["status"] == missing["status"] == "failed"
    # download needs the download permission, which the member lacks: refused alike before any id is read.
    assert hidden["error"]["code"] == missing["error"]["code"] == (50 if method == "download" else 70)


def test_a_music_key_reaches_no_other_library(world: World) -> None:
    """The owner's key: the film the owner sees everywhere else is not there for a music app."""
    key = world.keys["owner"]
    assert rest(world, "getSong", id=world.film, apiKey=key)["error"]["code"] == 70
    assert rest(world, "getCoverArt", id=world.film, apiKey=key)["error"]["code"] == 70
    folders = rest(world, "getMusicFolders", apiKey=key)["musicFolders"]["musicFolder"]
    assert sorted(f["name"] for f in folders) == ["Music", "Private"]
    # Nor does it work as a token anywhere but the Subsonic API.
    assert Client(world.server.port, token=key).get("/api/libraries").status == 401


def test_the_subsonic_view_equals_the_web_view(world: World) -> None:
    """The member's music through Subsonic (folders, artists, albums, songs) is what the web API lists."""
    key = world.keys["member"]
    web = world.sessions["member"]
    libraries = [lib for lib in web.get("/api/libraries").json() if lib["kind"] == "music"]
    folders = rest(world, "getMusicFolders", apiKey=key)["musicFolders"]["musicFolder"]
    assert [f["name"] for f in folders] == [lib["name"] for lib in libraries]
    for kind, subsonic in (("artist", "artist"), ("album", "album"), ("track", "song")):
        listed = []
        for lib in libraries:
            page = web.get(f"/api/libraries/{lib['id']}/items?kind={kind}&limit=500").json()
            listed += [i["title"] for i in page["items"]]
        found = rest(world, "search3", query="", apiKey=key, **{f"{subsonic}Count": "500"})["searchResult3"]
        names = [x.get("title") or x.get("name") for x in found.get(subsonic, [])]
        assert sorted(names) == sorted(listed), kind
        assert listed


def test_remote_access_off_gets_nothing(world: World) -> None:
    services = world.server.server.services
    system = system_actor("test")
    services.settings.apply(system, {"remote_access": False})
    try:
        answer = Client(world.server.port, source="127.0.0.9").get(
            f"/rest/ping?f=json&apiKey={world.keys['member']}"
        )
        assert answer.status != 200 or answer.json()["subsonic-response"]["status"] == "failed"
    finally:
        services.settings.apply(system, {"remote_access": True})


def test_token_auth_without_an_app_password_is_41(world: World) -> None:
    body = rest(world, "ping", u="nobody-here", t="0" * 32, s="salt")
    assert body["error"]["code"] == 41
    assert rest(world, "ping", u="member", apiKey=world.keys["member"])["error"]["code"] == 43
    assert rest(world, "ping", apiKey="rs_not-a-key")["error"]["code"] == 44
    assert rest(world, "ping", u="member", p="wrong")["error"]["code"] == 40
    assert rest(world, "getSong", apiKey=world.keys["member"])["error"]["code"] == 10


def test_credentials_never_reach_a_log(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = {
        "p": "enc:" + b"s3cr3t-pass".hex(),
        "t": "f" * 32,
        "s": "pepper-salt",
        "apiKey": "rs_leaky-key-value",
    }
    for name, value in secrets.items():
        query = {name: value, **({"u": "member"} if name != "apiKey" else {})}
        if name == "t":
            query["s"] = secrets["s"]
        rest(world, "getSong", id=world.hidden_song, **query)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in secrets.values():
        assert value not in logged
    assert "s3cr3t-pass" not in logged


def test_bad_keys_from_strangers_never_lock_out_a_good_key(world: World) -> None:
    # Many wrong keys, each from its own address: no per-address counter is reached, and a key names no
    # account, so nothing may add them up into a lock on every listener's apps. (The addresses join the home
    # network for the test only so that plain HTTP reaches them.)
    settings = world.server.server.services.settings
    settings.apply(system_actor("test"), {"lan_networks": ["127.0.0.1/32", "127.0.5.0/24"]})
    try:
        for n in range(1, 31):
            wrong = rest(world, "ping", source=f"127.0.5.{n}", apiKey=f"guess-{n}")
            assert wrong["error"]["code"] == 44
    finally:
        settings.apply(system_actor("test"), {"lan_networks": ["127.0.0.1/32"]})
    assert rest(world, "ping", apiKey=world.keys["member"])["status"] == "ok"
