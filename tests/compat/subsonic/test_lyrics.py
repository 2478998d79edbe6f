"""A track's lyrics, as the scanner read them, through OpenSubsonic's getLyricsBySongId (py-opensonic, a real
client library) and our own GET /api/items/{id}/lyrics, each under the viewer's scope."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import libopensonic
import pytest
from libopensonic.errors import DataNotFoundError
from mutagen.id3 import ID3, USLT

from reelhouse.domain.access import Role, system_actor
from tests.compat.subsonic.conftest import music_app
from tests.harness import Client, RunningServer
from tests.mediagen import MediaKit


@dataclass
class Lyrical:
    server: RunningServer
    sessions: dict[str, Client]
    keys: dict[str, str]
    songs: dict[str, str]


@pytest.fixture(scope="module")
def lyrical(tmp_path_factory: pytest.TempPathFactory, media_kit: MediaKit) -> Iterator[Lyrical]:
    base = tmp_path_factory.mktemp("lyrics")
    music, private = base / "music" / "Ana" / "Blue", base / "private" / "Hush" / "Quiet"
    media_kit.audio_at(music / "01 Sung.mp3", title="Sung", artist="Ana", album="Blue", track=1)
    (music / "01 Sung.lrc").write_text("[ar:Ana]\n[la:en]\n[00:01.00]Hello\n[00:02.50][00:04.00]Again\n")
    plain = media_kit.audio_at(music / "02 Told.mp3", title="Told", artist="Ana", album="Blue", track=2)
    id3 = ID3(plain)
    id3.add(USLT(encoding=3, lang="eng", desc="", text="Just words"))
    id3.save(plain)
    media_kit.audio_at(music / "03 Quiet.mp3", title="Instrumental", artist="Ana", album="Blue", track=3)
    media_kit.audio_at(private / "01 Secret.mp3", title="Secret", artist="Hush", album="Quiet", track=1)
    (private / "01 Secret.lrc").write_text("[00:01.00]Hidden words\n")
    server = RunningServer(base / "data")
    services = server.server.services
    system = system_actor("test")
    shared = services.libraries.add(system, "Music", "music", [str(base / "music")])
    hidden = services.libraries.add(system, "Private", "music", [str(base / "private")])
    for library in (shared, hidden):
        server.server.scanner.scan(library)
    server.create_user("owner", Role.OWNER)
    server.create_user("member")
    assert services.users is not None
    member_id = next(u["id"] for u in services.accounts.list_users() if u["username"] == "member")
    services.users.update(system, member_id, grants={"libraries": [shared.id]})
    sessions = {name: server.sign_in(name) for name in ("owner", "member")}
    keys = {name: music_app(sessions[name], f"{name} phone", "key") for name in sessions}
    songs = {
        title: str(services.catalogue.search(system, title)[0].id)
        for title in ("Sung", "Told", "Instrumental", "Secret")
    }
    yield Lyrical(server, sessions, keys, songs)
    server.stop()


def _opensonic(world: Lyrical, who: str, song: str) -> list[libopensonic.media.StructuredLyrics]:
    async def go() -> list[libopensonic.media.StructuredLyrics]:
        conn = libopensonic.AsyncConnection(
            "http://127.0.0.1", api_key=world.keys[who], port=world.server.port
        )
        try:
            return await conn.get_lyrics_by_song_id(song)
        finally:
            await conn.cleanup()

    return asyncio.run(go())


def test_opensubsonic_structured_lyrics_synced_and_unsynced(lyrical: Lyrical) -> None:
    [synced] = _opensonic(lyrical, "member", lyrical.songs["Sung"])
    assert (synced.lang, synced.synced) == ("en", True)
    assert [(line.start, line.value) for line in synced.line] == [
        (1000, "Hello"),
        (2500, "Again"),
        (4000, "Again"),
    ]
    [plain] = _opensonic(lyrical, "member", lyrical.songs["Told"])
    assert (plain.lang, plain.synced) == ("eng", False)
    assert [(line.start, line.value) for line in plain.line] == [(None, "Just words")]
    assert _opensonic(lyrical, "member", lyrical.songs["Instrumental"]) == []


def test_opensubsonic_lyrics_of_a_hidden_song_are_error_70(lyrical: Lyrical) -> None:
    # py-opensonic raises DataNotFoundError for Subsonic's error 70 (not found).
    with pytest.raises(DataNotFoundError):
        _opensonic(lyrical, "member", lyrical.songs["Secret"])
    [owners] = _opensonic(lyrical, "owner", lyrical.songs["Secret"])
    assert [line.value for line in owners.line] == ["Hidden words"]


def test_api_lyrics_under_the_viewers_scope(lyrical: Lyrical) -> None:
    member, owner = lyrical.sessions["member"], lyrical.sessions["owner"]
    answer = member.get(f"/api/items/{lyrical.songs['Sung']}/lyrics")
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "synced": True,
        "source": "sidecar",
        "language": "en",
        "lines": [
            {"start_ms": 1000, "text": "Hello"},
            {"start_ms": 2500, "text": "Again"},
            {"start_ms": 4000, "text": "Again"},
        ],
    }
    told = member.get(f"/api/items/{lyrical.songs['Told']}/lyrics").json()
    assert (told["synced"], told["source"], told["lines"]) == (
        False,
        "embedded",
        [{"start_ms": None, "text": "Just words"}],
    )
    none = member.get(f"/api/items/{lyrical.songs['Instrumental']}/lyrics").json()
    assert (none["source"], none["lines"]) == (None, [])
    hidden = member.get(f"/api/items/{lyrical.songs['Secret']}/lyrics")
    assert hidden.status == 404, hidden.body
    assert owner.get(f"/api/items/{lyrical.songs['Secret']}/lyrics").json()["lines"] == [
        {"start_ms": 1000, "text": "Hidden words"}
    ]
