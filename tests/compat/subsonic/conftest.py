"""A running server with tagged music (two artists, a cover, a genre), a private music library and a film
library, and music app credentials made the way a person makes them: on the Account page, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reelhouse.domain.access import Role, system_actor
from tests.harness import Client, RunningServer
from tests.mediagen import MediaKit, jpeg_bytes

PASSWORD = "correct horse battery"


@dataclass
class World:
    server: RunningServer
    keys: dict[str, str]
    app_passwords: dict[str, str]
    sessions: dict[str, Client]
    hidden_song: str
    film: str
    root: Path


def music_app(session: Client, name: str, kind: str) -> str:
    answer = session.post("/api/account/music-apps", {"name": name, "kind": kind})
    assert answer.status == 201, answer.body
    secret: str = answer.json()["secret"]
    return secret


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, media_kit: MediaKit) -> Iterator[World]:
    base = tmp_path_factory.mktemp("subsonic")
    music, private, films = base / "music", base / "private", base / "films"
    cover = jpeg_bytes((30, 160, 90), (300, 300))
    media_kit.audio_at(
        music / "Ana" / "Blue" / "01 First.mp3",
        cover=cover,
        title="First Light",
        artist="Ana",
        album="Blue",
        track=1,
        year=2001,
        genre="Jazz",
    )
    media_kit.audio_at(
        music / "Ana" / "Blue" / "02 Second.mp3",
        title="Second Wind",
        artist="Ana",
        album="Blue",
        track=2,
        year=2001,
        genre="Jazz",
    )
    media_kit.audio_at(
        music / "The Zeds" / "Red" / "01 Zed.flac",
        title="Zed Song",
        artist="The Zeds",
        album="Red",
        track=1,
        year=1999,
        genre="Rock",
    )
    media_kit.audio_at(
        private / "Hush" / "Quiet" / "01 Secret.flac",
        title="Secret Tune",
        artist="Hush",
        album="Quiet",
        track=1,
    )
    media_kit.video_at(films / "Film" / "Film.mp4")
    server = RunningServer(base / "data")
    services = server.server.services
    system = system_actor("test")
    services.settings.apply(system, {"lan_networks": ["127.0.0.1/32"], "remote_access": True})
    shared = [
        services.libraries.add(system, n, k, [str(p)])
        for n, k, p in (("Music", "music", music), ("Films", "movies", films))
    ]
    secret = services.libraries.add(system, "Private", "music", [str(private)])
    for library in (*shared, secret):
        server.server.scanner.scan(library)
    server.create_user("owner", Role.OWNER)
    server.create_user("member")
    assert services.users is not None
    member_id = next(u["id"] for u in services.accounts.list_users() if u["username"] == "member")
    services.users.update(
        system, member_id, grants={"libraries": [lib.id for lib in shared], "may_download": False}
    )
    sessions = {name: server.sign_in(name) for name in ("owner", "member")}
    keys = {name: music_app(sessions[name], f"{name} phone", "key") for name in sessions}
    app_passwords = {name: music_app(sessions[name], f"{name} old app", "password") for name in sessions}

    def find(title: str) -> str:
        return str(services.catalogue.search(system, title)[0].id)

    made = World(server, keys, app_passwords, sessions, find("Secret Tune"), find("Film"), base)
    yield made
    server.stop()
