"""The authorization matrix for media: every route that answers media bytes × every actor × home and remote,
with real grants (a valid MAC) for the wrong user, the wrong item and the wrong purpose; and proof that every
such route goes through the one media access decision."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from reelhouse.domain.access import Role, system_actor
from reelhouse.errors import PermissionDenied
from reelhouse.web.routes import ROUTES
from tests.harness import Answer, Client, RunningServer
from tests.mediagen import jpeg_bytes
from tests.playback import media

REMOTE = "127.0.0.9"
PASSWORD = "correct horse battery"
# What a route produces when it answers media bytes (anything but JSON, the page shell, its scripts and the CA).
# The server's CA certificate (application/x-pem-file) is public key material, not media.
# Jellyfin's Branding/Css is an always-empty stylesheet (text/css), no media either.
_NOT_MEDIA = ("application/json", "text/html", "text/javascript", "application/x-pem-file", "text/css")
MEDIA_ROUTES = {r.key for r in ROUTES if not any(r.produces.startswith(kind) for kind in _NOT_MEDIA)}


@dataclass
class World:
    server: RunningServer
    film: str  # direct play, with a sidecar subtitle
    other: str  # HLS transcode
    song: str  # progressive audio
    hidden: str  # in a library only the owner sees
    subtitle: str
    clients: dict[str, Client]
    tokens: dict[str, str]

    def as_(self, actor: str, zone: str) -> Client:
        token = None if actor == "anonymous" else self.tokens[actor]
        if zone == "remote":
            # Outside the home network only the HTTPS listener serves (secure connections "preferred").
            return self.server.over_tls(Client(self.server.port, token=token, source=REMOTE))
        return Client(self.server.port, token=token)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("media-matrix")
    films, music, private = base / "films", base / "music", base / "private"
    media.h264_mp4(films / "Film" / "Film.mp4")
    (films / "Film" / "Film.en.srt").write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nHello\n\n", encoding="utf-8"
    )
    # A credited actor with a local photo, for the person photo route.
    (films / "Film" / "movie.nfo").write_text(
        "<movie><title>Film</title><actor><name>Ann Actor</name></actor></movie>", encoding="utf-8"
    )
    (films / "Film" / ".actors").mkdir()
    (films / "Film" / ".actors" / "Ann_Actor.jpg").write_bytes(jpeg_bytes((90, 60, 160), (120, 160)))
    media.hevc_ac3_mkv(films / "Other" / "Other.mkv")
    media.flac_track(music / "Artist" / "Album" / "01 - Song.flac")
    # An album cover, for Subsonic's getCoverArt (a music app key reaches only music).
    (music / "Artist" / "Album" / "cover.jpg").write_bytes(jpeg_bytes((30, 160, 90), (200, 200)))
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

    def find(title: str) -> str:
        return services.catalogue.search(system, title)[0].id

    ids = [lib.id for lib in shared]
    server.create_user("owner", Role.OWNER)
    for name, grants in (("member", {}), ("homebody", {"may_connect_remotely": False})):
        user_id = server.create_user(name)
        services.users.update(system, user_id, grants={"libraries": ids, "may_download": True, **grants})  # type: ignore[union-attr]
    kid = services.accounts.create_user(system, "kid", Role.MANAGED, None, grants={"libraries": ids})
    tokens = {name: str(server.sign_in(name).token) for name in ("owner", "member", "homebody")}
    tokens["kid"] = server.anonymous().post("/api/auth/profile", {"user_id": kid}).json()["token"]
    film = find("Film")
    subtitle = services.catalogue.item(system, film).subtitles[0].id
    made = World(server, film, find("Other"), find("Song"), find("Secret"), subtitle, {}, tokens)
    yield made
    server.stop()


# Each media route, as an actor reaches it: a recipe gets a client at home to obtain what it needs (a
# grant, a session) and returns the path to fetch.
Recipe = Callable[[World, Client], str]


def _play(world: World, client: Client, item: str, body: dict[str, object] | None = None) -> dict[str, str]:
    answer = client.post(f"/api/items/{item}/playback", body or {})
    assert answer.status == 200, answer.body
    return dict(answer.json())


def _hls(world: World, client: Client, suffix: str) -> str:
    url = _play(world, client, world.other)["url"]
    grant = url.split("grant=")[1]
    return url.split("master.m3u8")[0] + suffix.format(grant=grant, sub=world.subtitle)


def _cast(world: World) -> str:
    system = system_actor("test")
    return world.server.server.services.catalogue.item(system, world.film).credits[0].person_id


def _seek_sheet(world: World) -> str:
    # The world's libraries were scanned without the scan service, so the previews are made here, once.
    previews = world.server.server.services.seek_previews
    assert previews is not None
    previews.make(world.film)
    return f"/api/items/{world.film}/seek-previews/0.jpg"


RECIPES: dict[tuple[str, str], Recipe] = {
    ("GET", "/api/items/{item_id}/stream"): lambda w, c: _play(w, c, w.film)["url"],
    ("GET", "/api/items/{item_id}/audio"): lambda w, c: _play(
        w, c, w.song, {"profile": {"containers": ["ogg"], "audio_codecs": ["opus"]}}
    )["url"],
    ("GET", "/api/items/{item_id}/download"): lambda w, c: f"/api/items/{w.film}/download",
    ("GET", "/api/items/{item_id}/artwork/{kind}"): lambda w, c: (
        f"/api/items/{w.film}/artwork/poster?width=160"
    ),
    ("GET", "/api/items/{item_id}/photo"): lambda w, c: f"/api/items/{w.film}/photo",
    ("GET", "/api/items/{item_id}/seek-previews/{number}.jpg"): lambda w, c: _seek_sheet(w),
    ("GET", "/api/items/{item_id}/people/{person_id}/photo"): lambda w, c: (
        f"/api/items/{w.film}/people/{_cast(w)}/photo?width=160"
    ),
    ("GET", "/api/items/{item_id}/subtitles/{subtitle_id}.vtt"): lambda w, c: (
        f"/api/items/{w.film}/subtitles/{w.subtitle}.vtt"
    ),
    ("GET", "/api/hls/{session_id}/master.m3u8"): lambda w, c: _hls(w, c, "master.m3u8?grant={grant}"),
    ("GET", "/api/hls/{session_id}/video.m3u8"): lambda w, c: _hls(w, c, "video.m3u8?grant={grant}"),
    ("GET", "/api/hls/{session_id}/{number}.ts"): lambda w, c: _hls(w, c, "0.ts?grant={grant}"),
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.m3u8"): lambda w, c: _hls(
        w, c, "subtitles/{sub}.m3u8?grant={grant}"
    ),
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.vtt"): lambda w, c: _hls(
        w, c, "subtitles/{sub}.vtt?grant={grant}"
    ),
}
# Jellyfin's media routes: apps carry the token in the URL (ApiKey, last, so the anonymous row can drop it),
# or follow the grant-signed TranscodingUrl a PlaybackInfo answer hands out.
J = "/jellyfin"
JELLYFIN_PROFILE = {
    "DirectPlayProfiles": [{"Container": "mp4", "Type": "Video", "VideoCodec": "h264", "AudioCodec": "aac"}],
    "TranscodingProfiles": [{"Container": "ts", "Type": "Video", "VideoCodec": "h264", "Protocol": "hls"}],
}


def _jid(item: str) -> str:
    from reelhouse.web.compat.jellyfin.ids import to_jellyfin

    return to_jellyfin(item)


def _key(client: Client) -> str:
    return f"ApiKey={client.token}"


def _jellyfin_info(client: Client, item: str) -> dict[str, Any]:
    answer = client.post(
        f"{J}/Items/{_jid(item)}/PlaybackInfo",
        {"DeviceProfile": JELLYFIN_PROFILE},
        headers={"X-Emby-Token": str(client.token)},
    )
    assert answer.status == 200 and answer.json().get("MediaSources"), answer.body
    source: dict[str, Any] = answer.json()["MediaSources"][0]
    return source


def _jellyfin_hls(world: World, client: Client, suffix: str) -> str:
    url = str(_jellyfin_info(client, world.other)["TranscodingUrl"])
    session = url.split("PlaySessionId=")[1].split("&")[0]
    grant = url.split("grant=")[1]
    return f"{J}/Videos/{_jid(world.other)}/" + suffix.format(session=session, grant=grant)


def _jellyfin_subtitle(world: World, client: Client, shifted: bool) -> str:
    streams = _jellyfin_info(client, world.film)["MediaStreams"]
    index = next(s["Index"] for s in streams if s["Type"] == "Subtitle")
    film = _jid(world.film)
    return f"{J}/Videos/{film}/{film}/Subtitles/{index}/{'10000000/' if shifted else ''}Stream.vtt?{_key(client)}"


def _jellyfin_stream(world: World, client: Client, kind: str, item: str, suffix: str) -> str:
    return f"{J}/{kind}/{_jid(item)}/stream{suffix}?static=true&{_key(client)}"


RECIPES |= {
    ("GET", f"{J}/Videos/{{item_id}}/stream"): lambda w, c: _jellyfin_stream(w, c, "Videos", w.film, ""),
    ("GET", f"{J}/Videos/{{item_id}}/stream.{{container}}"): lambda w, c: _jellyfin_stream(
        w, c, "Videos", w.film, ".mp4"
    ),
    ("GET", f"{J}/Audio/{{item_id}}/stream"): lambda w, c: _jellyfin_stream(w, c, "Audio", w.song, ""),
    ("GET", f"{J}/Audio/{{item_id}}/stream.{{container}}"): lambda w, c: _jellyfin_stream(
        w, c, "Audio", w.song, ".flac"
    ),
    ("GET", f"{J}/Audio/{{item_id}}/universal"): lambda w, c: (
        f"{J}/Audio/{_jid(w.song)}/universal?Container=flac&{_key(c)}"
    ),
    ("GET", f"{J}/Audio/{{item_id}}/transcode.{{codec}}"): lambda w, c: (
        J + str(_jellyfin_info(c, w.song)["TranscodingUrl"])
    ),
    ("GET", f"{J}/Items/{{item_id}}/Download"): lambda w, c: f"{J}/Items/{_jid(w.film)}/Download?{_key(c)}",
    ("GET", f"{J}/Videos/{{item_id}}/master.m3u8"): lambda w, c: _jellyfin_hls(
        w, c, "master.m3u8?PlaySessionId={session}&grant={grant}"
    ),
    ("GET", f"{J}/Videos/{{item_id}}/main.m3u8"): lambda w, c: _jellyfin_hls(
        w, c, "main.m3u8?PlaySessionId={session}&grant={grant}"
    ),
    ("GET", f"{J}/Videos/{{item_id}}/hls1/{{session_id}}/{{number}}.ts"): lambda w, c: _jellyfin_hls(
        w, c, "hls1/{session}/0.ts?grant={grant}"
    ),
    ("GET", f"{J}/Videos/{{item_id}}/{{source_id}}/Subtitles/{{index}}/Stream.{{format}}"): lambda w, c: (
        _jellyfin_subtitle(w, c, False)
    ),
    ("GET", f"{J}/Videos/{{item_id}}/{{source_id}}/Subtitles/{{index}}/{{start_ticks}}/Stream.{{format}}"): (
        lambda w, c: _jellyfin_subtitle(w, c, True)
    ),
    ("GET", f"{J}/Items/{{item_id}}/Images/{{image_type}}"): lambda w, c: (
        f"{J}/Items/{_jid(w.film)}/Images/Primary?maxWidth=160&{_key(c)}"
    ),
    ("GET", f"{J}/Items/{{item_id}}/Images/{{image_type}}/{{index}}"): lambda w, c: (
        f"{J}/Items/{_jid(w.film)}/Images/Primary/0?maxWidth=160&{_key(c)}"
    ),
}

_MUSIC_KEYS: dict[tuple[int, str | None], str] = {}


def _music_key(world: World, client: Client) -> str:
    """A Subsonic apiKey for the client's user, made once through the service as the Account page makes it."""
    found = _MUSIC_KEYS.get((world.server.port, client.token))
    if found is None:
        services = world.server.server.services
        who = services.accounts.authenticate(str(client.token), None)
        assert who is not None and services.music_apps is not None
        found = services.music_apps.create(who, "matrix", "key")[0]
        _MUSIC_KEYS[(world.server.port, client.token)] = found
    return found


def _subsonic(method: str, item: Callable[[World], str], extra: str = "") -> Recipe:
    return lambda w, c: f"/rest/{method}?id={item(w)}&f=json{extra}&apiKey={_music_key(w, c)}"


# Subsonic's byte methods, by GET and by POST form: the POST recipes are fetched as GET (the same handler).
for _verb in ("GET", "POST"):
    RECIPES |= {
        (_verb, "/rest/stream"): _subsonic("stream", lambda w: w.song),
        (_verb, "/rest/download"): _subsonic("download", lambda w: w.song),
        (_verb, "/rest/getCoverArt"): _subsonic("getCoverArt", lambda w: w.song, "&size=100"),
    }
# The photo route answers only photos; it is covered by the location tests, here it must refuse a film.
_ONLY_REFUSALS = {("GET", "/api/items/{item_id}/photo")}
# The HLS subtitle routes need a text subtitle on the transcoded film, which it has none of: refused too.
_ONLY_REFUSALS |= {
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.m3u8"),
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.vtt"),
}


def _end_sessions(world: World) -> None:
    encoders = world.server.server.services.media.encoders
    for session in encoders.active():
        encoders.end(session.id, session.user_id)


def test_every_media_route_has_a_recipe() -> None:
    assert set(RECIPES) == MEDIA_ROUTES


# Subsonic answers refusals as HTTP 200 with its own codes; read as the statuses the matrix expects (in this
# matrix only a credential is ever missing or wrong, so 10 and 40-44 all mean "who are you").
_SUBSONIC_STATUS = {10: 401, 40: 401, 41: 401, 43: 401, 44: 401, 50: 403, 70: 404}


def _fetch(world: World, client: Client, path: str) -> Answer:
    # Grant routes are fetched the way players fetch them: without the session; Subsonic's with its key alone.
    who = dataclasses.replace(client, token=None) if "grant=" in path or path.startswith("/rest/") else client
    answer = who.get(path, headers={"Range": "bytes=0-65535"})
    if path.startswith("/rest/") and (answer.header("Content-Type") or "").startswith("application/json"):
        failed = answer.json()["subsonic-response"]
        if failed["status"] == "failed":
            return dataclasses.replace(answer, status=_SUBSONIC_STATUS.get(failed["error"]["code"], 500))
    return answer


@pytest.mark.parametrize("route", sorted(RECIPES), ids=lambda k: k[1])
def test_no_media_route_answers_when_the_decision_refuses(
    world: World, route: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every media answer goes through MediaAccess: with its decision refusing everything, none answers bytes."""
    owner = world.as_("owner", "home")
    path = RECIPES[route](world, owner)
    media_access = world.server.server.services.media

    def refuse(*_args: object, **_kwargs: object) -> object:
        raise PermissionDenied("refused by the test")

    monkeypatch.setattr(media_access, "allow", refuse)
    monkeypatch.setattr(media_access, "from_grant", refuse)
    media_access.forget()
    answer = _fetch(world, owner, path)
    assert answer.status == 403, (route, answer.status, answer.body[:100])
    _end_sessions(world)


ACTORS = ("owner", "member", "homebody", "kid", "anonymous")
ZONES = ("home", "remote")


def _expected(actor: str, zone: str, route: tuple[str, str]) -> set[int]:
    if actor == "anonymous":
        return {401}
    if route in _ONLY_REFUSALS:
        return {404, 403} if not (zone == "remote" and actor in ("homebody", "kid")) else {403}
    if zone == "remote" and actor in ("homebody", "kid"):
        return {403}
    downloads = (
        ("GET", "/api/items/{item_id}/download"),
        ("GET", "/jellyfin/Items/{item_id}/Download"),
        ("GET", "/rest/download"),
        ("POST", "/rest/download"),
    )
    if route in downloads and actor == "kid":
        return {403}
    return {200, 206}


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("actor", ACTORS)
def test_media_routes_by_actor_and_zone(world: World, actor: str, zone: str) -> None:
    failures = []
    for route, recipe in sorted(RECIPES.items()):
        # Media URLs are handed out at home (to the owner for the anonymous row), then used from ``zone``.
        home = world.as_("owner" if actor == "anonymous" else actor, "home")
        try:
            path = recipe(world, home)
        except AssertionError:
            # The actor may not even start this playback at home (a managed profile downloading): then the
            # route is tried with the path a permitted user would use.
            path = recipe(world, world.as_("owner", "home"))
        if actor == "anonymous":
            path = path.split("grant=")[0].rstrip("?&") if "grant=" in path else path
            path = path.split("ApiKey=")[0].rstrip("?&") if "ApiKey=" in path else path
            path = path.split("apiKey=")[0].rstrip("?&") if "apiKey=" in path else path
        answer = _fetch(world, world.as_(actor, zone), path)
        if answer.status not in _expected(actor, zone, route):
            failures.append((route[1], answer.status, answer.body[:80]))
        _end_sessions(world)
    assert failures == []


def _user_id(world: World, name: str) -> str:
    return next(u["id"] for u in world.server.server.services.accounts.list_users() if u["username"] == name)


def _session_of(world: World, name: str) -> str:
    from reelhouse.persistence.accounts import AccountRepository

    with world.server.server.db.read() as conn:
        return str(AccountRepository().tokens_of(conn, _user_id(world, name))[0].id)


@pytest.mark.parametrize("zone", ZONES)
def test_real_grants_for_the_wrong_user_item_or_purpose_get_nothing(world: World, zone: str) -> None:
    grants = world.server.server.services.media.grants
    anonymous = world.as_("anonymous", zone)
    member, member_session = _user_id(world, "member"), _session_of(world, "member")
    owner, owner_session = _user_id(world, "owner"), _session_of(world, "owner")
    cases = {
        # The member's own grant, for an item in a library they are not given.
        "wrong user": f"/api/items/{world.hidden}/stream?grant={grants.issue(world.hidden, member, 'stream', member_session)}",
        # The owner's grant, carried over to the member's session: the session is not the owner's.
        "foreign session": f"/api/items/{world.film}/stream?grant={grants.issue(world.film, owner, 'stream', member_session)}",
        "wrong item": f"/api/items/{world.hidden}/stream?grant={grants.issue(world.film, owner, 'stream', owner_session)}",
        "wrong purpose": (
            f"/api/items/{world.song}/audio?grant={grants.issue(world.song, owner, 'stream', owner_session)}"
            "&codec=opus&bitrate=128"
        ),
        "purpose of another session": f"/api/hls/somesession/master.m3u8?grant={grants.issue(world.other, owner, 'hls:another', owner_session)}",
        "download grant on stream": f"/api/items/{world.film}/stream?grant={grants.issue(world.film, owner, 'download', owner_session)}",
    }
    for name, path in cases.items():
        answer = anonymous.get(path, headers={"Range": "bytes=0-99"})
        assert answer.status in (401, 404), (name, answer.status)
        assert len(answer.body) < 400, name
