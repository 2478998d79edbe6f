"""A running server with real tiny media and users of several kinds, as Jellyfin's apps see it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from jellyfin_apiclient_python import JellyfinClient

from reelhouse.domain.access import Role, system_actor
from reelhouse.web.compat.jellyfin.ids import to_jellyfin
from tests.harness import Client, RunningServer
from tests.mediagen import jpeg_bytes
from tests.playback import media


@dataclass
class World:
    server: RunningServer
    url: str
    film: str  # h264/aac mp4 with a sidecar subtitle
    other: str  # hevc/ac3 mkv: needs HLS
    song: str  # flac
    hidden: str  # in a library the member is not given
    tokens: dict[str, str]
    users: dict[str, str]
    root: Path

    def app(self, who: str) -> JellyfinClient:
        """jellyfin-apiclient-python as an app holds it after signing in (the token is a Reelhouse one)."""
        client = JellyfinClient()
        client.config.app("reelhouse-tests", "0.1", "test box", f"device-{who}")
        client.config.data.update(
            {
                "auth.ssl": False,
                "auth.server": self.url,
                "auth.token": self.tokens[who],
                "auth.user_id": to_jellyfin(self.users[who]),
            }
        )
        client.logged_in = True
        return client

    def raw(self, who: str | None = None, source: str | None = None) -> Client:
        headers = {"X-Emby-Token": self.tokens[who]} if who else {}
        client = Client(self.server.port, source=source, default_headers=headers)
        # Outside the home network only HTTPS is served; the harness's TLS client keeps no default headers.
        return (
            dataclasses.replace(self.server.over_tls(client), default_headers=headers) if source else client
        )


def build(base: Path) -> World:
    """Films (an H.264 MP4 with a sidecar subtitle and a poster, an HEVC MKV), a FLAC track, and a private
    library only the owner sees; a member without transcode or download, and one kept at home."""
    films, music, private = base / "films", base / "music", base / "private"
    media.h264_mp4(films / "Film" / "Film.mp4")
    (films / "Film" / "Film.en.srt").write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:05,000 --> 00:00:06,000\nLater\n",
        encoding="utf-8",
    )
    (films / "Film" / "poster.jpg").write_bytes(jpeg_bytes((20, 120, 200), (300, 450)))
    (films / "Film" / "fanart.jpg").write_bytes(jpeg_bytes((200, 120, 20), (640, 360)))
    media.hevc_ac3_mkv(films / "Other" / "Other.mkv")
    media.flac_track(music / "Artist" / "Album" / "01 - Song.flac")
    media.h264_mp4(private / "Secret" / "Secret.mp4")
    server = RunningServer(base / "data", https=True)
    services = server.server.services
    system = system_actor("test")
    services.settings.apply(
        system, {"lan_networks": ["127.0.0.1/32"], "remote_access": True, "secure_connections": "preferred"}
    )
    shared = [
        services.libraries.add(system, n, k, [str(p)])
        for n, k, p in (("Films", "movies", films), ("Music", "music", music))
    ]
    secret = services.libraries.add(system, "Private", "movies", [str(private)])
    for library in (*shared, secret):
        server.server.scanner.scan(library)
    users = {"owner": server.create_user("owner", Role.OWNER)}
    for name, grants in (
        ("member", {"may_transcode": False, "may_download": False}),
        ("homebody", {"may_connect_remotely": False}),
    ):
        users[name] = server.create_user(name)
        services.users.update(system, users[name], grants={"libraries": [lib.id for lib in shared], **grants})  # type: ignore[union-attr]
    tokens = {name: str(server.sign_in(name).token) for name in users}

    def find(title: str) -> str:
        return services.catalogue.search(system, title)[0].id

    made = World(
        server,
        f"http://127.0.0.1:{server.port}/jellyfin",
        find("Film"),
        find("Other"),
        find("Song"),
        find("Secret"),
        tokens,
        users,
        base,
    )
    return made
