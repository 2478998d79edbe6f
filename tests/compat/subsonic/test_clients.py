"""Real Subsonic client libraries against a real server: py-opensonic (typed models, apiKey, POST + .view) and
py-sonic (the legacy wire: POST form, .view, token auth with an app password)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import libopensonic
import libsonic
import pytest

from tests.compat.subsonic.conftest import World

T = TypeVar("T")


def run(make: Callable[[libopensonic.AsyncConnection], Awaitable[T]], world: World, key: str) -> T:
    async def go() -> T:
        conn = libopensonic.AsyncConnection("http://127.0.0.1", api_key=key, port=world.server.port)
        try:
            return await make(conn)
        finally:
            await conn.cleanup()

    return asyncio.run(go())


def _files(world: World, name: str) -> bytes:
    return next(world.root.rglob(name)).read_bytes()


def test_opensonic_browses_folders_artists_albums_songs(world: World) -> None:
    async def browse(c: libopensonic.AsyncConnection) -> dict[str, Any]:
        assert await c.ping()
        # py-opensonic 10.4.1's get_music_folders iterates the `musicFolders` object itself rather than its
        # `musicFolder` list (the spec's shape, which py-sonic reads), so the answer is read through its transport.
        raw = await c._handle_info_res(await c._do_request("getMusicFolders"))
        folders = [libopensonic.media.MusicFolder.from_dict(f) for f in raw["musicFolders"]["musicFolder"]]
        artists = await c.get_artists()
        names = [a.name for index in artists.index or [] for a in index.artist or []]
        ana = next(a for index in artists.index or [] for a in index.artist or [] if a.name == "Ana")
        artist = await c.get_artist(ana.id)
        album = await c.get_album(artist.album[0].id)
        song = await c.get_song(album.song[0].id)
        return {"folders": [f.name for f in folders], "names": names, "album": album, "song": song}

    found = run(browse, world, world.keys["member"])
    # The member sees Music, not the private music library nor the film library (not music).
    assert found["folders"] == ["Music"]
    assert found["names"] == ["Ana", "The Zeds"]
    assert found["album"].name == "Blue"
    assert [s.title for s in found["album"].song] == ["First Light", "Second Wind"]
    assert found["album"].song_count == 2
    assert found["song"].title == "First Light"
    assert found["song"].suffix == "mp3"


def test_opensonic_searches_lists_and_genres(world: World) -> None:
    async def go(c: libopensonic.AsyncConnection) -> tuple[Any, ...]:
        everything = await c.search3("", artist_count=50, album_count=50, song_count=50)
        some = await c.search3("second")
        newest = await c.get_album_list2("alphabeticalByName", size=10)
        by_genre = await c.get_album_list2("byGenre", genre="Rock")
        genres = await c.get_genres()
        return everything, some, newest, by_genre, genres

    everything, some, names, by_genre, genres = run(go, world, world.keys["member"])
    assert sorted(s.title for s in everything.song) == ["First Light", "Second Wind", "Zed Song"]
    assert [s.title for s in some.song] == ["Second Wind"]
    assert [a.name for a in names] == ["Blue", "Red"]
    assert [a.name for a in by_genre] == ["Red"]
    assert {g.value: g.song_count for g in genres} == {"Jazz": 2, "Rock": 1}


def test_opensonic_streams_byte_for_byte_and_transcoded(world: World, tmp_path: Any) -> None:
    async def go(c: libopensonic.AsyncConnection) -> tuple[bytes, bytes, bytes]:
        found = await c.search3("First Light")
        sid = found.song[0].id
        original = await (await c.stream(sid)).read()
        lower = await (await c.stream(sid, max_bit_rate=64, tformat="mp3")).read()
        cover = await (await c.get_cover_art(found.song[0].album_id, size=100)).read()
        return original, lower, cover

    original, lower, cover = run(go, world, world.keys["owner"])
    assert original == _files(world, "01 First.mp3")
    encoded = tmp_path / "low.mp3"
    encoded.write_bytes(lower)
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,bit_rate",
            "-of",
            "json",
            str(encoded),
        ],
        capture_output=True,
        check=True,
        text=True,
    )
    stream = json.loads(probe.stdout)["streams"][0]
    assert stream["codec_name"] == "mp3"
    assert int(stream["bit_rate"]) <= 64_000 * 1.1
    assert cover[:3] == b"\xff\xd8\xff" or cover[:8] == b"\x89PNG\r\n\x1a\n"


def test_opensonic_stars_and_scrobbles(world: World) -> None:
    async def go(c: libopensonic.AsyncConnection) -> tuple[Any, Any]:
        found = await c.search3("Zed Song")
        sid = found.song[0].id
        assert await c.star(sids=[sid])
        starred = await c.get_starred2()
        assert await c.scrobble(sid, submission=True)
        song = await c.get_song(sid)
        assert await c.unstar(sids=[sid])
        return starred, song

    starred, song = run(go, world, world.keys["member"])
    assert [s.title for s in starred.song or []] == ["Zed Song"]
    assert song.play_count == 1


def test_pysonic_legacy_wire_with_an_app_password(world: World) -> None:
    """py-sonic POSTs forms to `.view` with token auth (md5(app password + salt)); `legacyAuth` sends `p=enc:`."""
    for legacy in (False, True):
        conn = libsonic.Connection(
            "http://127.0.0.1",
            "member",
            world.app_passwords["member"],
            port=world.server.port,
            legacyAuth=legacy,
        )
        assert conn.ping()
        folders = conn.getMusicFolders()["musicFolders"]["musicFolder"]
        assert [f["name"] for f in folders] == ["Music"]
        artists = conn.getArtists()["artists"]["index"]
        ana = next(a for i in artists for a in i["artist"] if a["name"] == "Ana")
        album = conn.getArtist(ana["id"])["artist"]["album"][0]
        songs = conn.getAlbum(album["id"])["album"]["song"]
        assert [s["title"] for s in songs] == ["First Light", "Second Wind"]
        found = conn.search3("zed")["searchResult3"]["song"]
        assert [s["title"] for s in found] == ["Zed Song"]
        # Symbols alone match no word of a title: an empty answer, not an error.
        assert not any(
            conn.search3("\U0001f3fb !?")["searchResult3"].get(k) for k in ("artist", "album", "song")
        )
        body = conn.stream(songs[0]["id"]).read()
        assert body == _files(world, "01 First.mp3")
        assert conn.star(sids=[songs[1]["id"]])
        assert conn.scrobble(songs[1]["id"], submission=True)


def test_the_account_password_never_signs_in(world: World) -> None:
    conn = libsonic.Connection("http://127.0.0.1", "member", "correct horse battery", port=world.server.port)
    with pytest.raises(libsonic.errors.CredentialError):
        conn.ping()
    legacy = libsonic.Connection(
        "http://127.0.0.1", "member", "correct horse battery", port=world.server.port, legacyAuth=True
    )
    with pytest.raises(libsonic.errors.CredentialError):
        legacy.ping()
