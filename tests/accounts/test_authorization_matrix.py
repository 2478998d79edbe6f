"""Every route × every kind of caller: the expected answer, and nothing protected in bodies or headers.

A new route fails this test until EXPECTED says who may use it.

A caller has several independent traits: who they are (a persona), how they authenticated (a session from
signing in, or an API token with some scopes), and more may follow (where they connect from). Each trait
gives its own answer for a route's Rule, and the expected answer is the most severe of them, the way the
server's own checks stack: any one refusal refuses."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from reelhouse.domain.access import Role, TokenScope, system_actor
from reelhouse.domain.ratings import rank
from reelhouse.web.compat.jellyfin.ids import to_jellyfin
from reelhouse.web.routes import ROUTES, public_routes
from reelhouse.web.routing import Route
from tests.accounts.conftest import PASSWORD, behind_proxy, via_proxy
from tests.accounts.matrix_peers import FEDERATED, PEER, PEER_SCOPE_SETS, Home
from tests.catalogue_factory import Row, add_rows
from tests.harness import Answer, Client, RunningServer

PERSONAS = ("anonymous", "member_without", "member_with", "managed", "admin", "owner")
READ, STREAM, ADMIN_SCOPE = TokenScope.READ.value, TokenScope.STREAM.value, TokenScope.ADMIN.value
NEEDS_READ, NEEDS_STREAM, NEEDS_ADMIN = frozenset({READ}), frozenset({STREAM}), frozenset({ADMIN_SCOPE})


@dataclass(frozen=True)
class Rule:
    """One kind of route: the answer per persona, the token scopes it needs, and whether only a session
    from signing in with the password may use it (account security), never an API token."""

    personas: Mapping[str, str]
    scopes: frozenset[str] = frozenset()
    password_session: bool = False
    # Subsonic's methods: the caller signs in with a music app key, never with a session or API token.
    music_key: bool = False
    # The answer to every caller from outside the home network, when it is not the zone rule's.
    remote: str | None = None


# "ok" means past authorization: any answer but 401/403. "refused": 401, 403, 404 or 422.
_USER = {**dict.fromkeys(PERSONAS, "ok"), "anonymous": "401"}
_ADMIN = {**dict.fromkeys(PERSONAS, "403"), "anonymous": "401", "admin": "ok", "owner": "ok"}
# Library- or item-scoped: a caller without the grant gets the same 404 as for something that does not exist.
_SCOPED = {**_USER, "member_without": "404", "managed": "404"}
PUBLIC = Rule(dict.fromkeys(PERSONAS, "ok"))
USER = Rule(_USER, NEEDS_READ)
# A managed profile signs in by being picked, never with a password.
ACCOUNT = Rule({**_USER, "managed": "403"}, NEEDS_READ, password_session=True)
ADMIN = Rule(_ADMIN, NEEDS_ADMIN)
# Acting on how another account signs in (its password, PIN, existence): an admin's password sign-in only.
ADMIN_SESSION = Rule(_ADMIN, NEEDS_ADMIN, password_session=True)
SCOPED = Rule(_SCOPED, NEEDS_READ)
# Linking servers: the owner signed in with the password, nobody else (an admin neither), never a token.
OWNER_SESSION = Rule({**_ADMIN, "admin": "403"}, NEEDS_ADMIN, password_session=True)
SCOPED_STREAM = Rule(_SCOPED, NEEDS_STREAM)
# Reached like a page (read), but its bytes leave through the media access decision (stream).
SCOPED_MEDIA = Rule(_SCOPED, NEEDS_READ | NEEDS_STREAM)
DOWNLOAD = Rule({**_ADMIN, "member_with": "ok"}, NEEDS_STREAM)
# Media fetched by players: public routes that need a signed grant, so a forged one gets nobody anything.
GRANTED = Rule(dict.fromkeys(PERSONAS, "refused"))
# Subsonic apps sign in with a music key, made on the Account page by a password sign-in: a managed profile
# has none, and an API token sent as apiKey is no key at all. Keys never carry the admin scope.
_MUSIC = {**_USER, "managed": "401"}
MUSIC = Rule(_MUSIC, music_key=True)
MUSIC_SCOPED = Rule({**_MUSIC, "member_without": "404"}, music_key=True)
MUSIC_DOWNLOAD = Rule({**_MUSIC, "member_without": "403"}, music_key=True)
MUSIC_ADMIN = Rule({**dict.fromkeys(PERSONAS, "403"), "anonymous": "401", "managed": "401"}, music_key=True)
# Pictures Jellyfin's apps fetch without headers: public routes that need a token (judged like a signed-in
# route) or an image tag minted for one user by a listing (the tests in tests/compat/jellyfin/test_images.py).
TOKEN_OR_TAG = Rule(_SCOPED, NEEDS_READ)


@dataclass(frozen=True)
class Caller:
    """One column of the matrix. `scopes` None: the persona's session from signing in; otherwise the
    persona's API token with those scopes."""

    persona: str
    scopes: frozenset[str] | None = None
    # "remote": through the trusted proxy from an internet address, with Remote Access on.
    zone: str = "home"
    # The PEER persona: the link scopes the paired server holds here (tests/accounts/matrix_peers.py).
    peer: frozenset[str] | None = None

    @property
    def name(self) -> str:
        if self.peer is not None:
            return f"{PEER}[{','.join(sorted(self.peer))}]"
        who = (
            self.persona if self.scopes is None else f"{self.persona}-token[{','.join(sorted(self.scopes))}]"
        )
        return who if self.zone == "home" else f"{who}@remote"


SEVERITY = ("ok", "404", "refused", "403", "401")


def persona_answer(rule: Rule, caller: Caller) -> str:
    # A peer's signature is no credential on the web ports; a federated user is granted what member_with is.
    return rule.personas[{PEER: "anonymous", FEDERATED: "member_with"}.get(caller.persona, caller.persona)]


def credential_answer(rule: Rule, caller: Caller) -> str:
    if caller.persona == FEDERATED and (rule.music_key or rule.password_session):
        # A device-like session, and no music app key: both need a password sign-in here.
        return "401" if rule.music_key else "403"
    if rule.music_key and caller.scopes is not None:
        return "401"
    if caller.scopes is None or not rule.scopes:
        return "ok"
    if rule.password_session or not rule.scopes <= caller.scopes:
        return "403"
    return "ok"


# One function per trait of a caller; a new column (a network zone, say) adds its own here.
def zone_answer(rule: Rule, caller: Caller) -> str:
    """From outside: the member kept home (may_connect_remotely off) and managed profiles (home only) get
    403 wherever who they are matters; routes that ask nobody's identity (public, grant-signed) answer alike."""
    if caller.zone == "home":
        return "ok"
    if rule.remote is not None:
        return rule.remote
    if all(answer in ("ok", "refused") for answer in rule.personas.values()):
        return "ok"
    return "403" if caller.persona in ("member_without", "managed") else "ok"


TRAITS = (persona_answer, credential_answer, zone_answer)


def expected(rule: Rule, caller: Caller) -> str:
    return max((trait(rule, caller) for trait in TRAITS), key=SEVERITY.index)


# The owner's tokens, so that only the token's scopes limit what they reach.
CALLERS = [Caller(p) for p in PERSONAS] + [
    Caller("owner", frozenset(scopes))
    for scopes in ({READ}, {STREAM}, {ADMIN_SCOPE}, {READ, STREAM, ADMIN_SCOPE})
]
# The same callers from an internet address through the trusted proxy.
CALLERS += [Caller(p, zone="remote") for p in PERSONAS] + [
    Caller("owner", frozenset({READ, STREAM, ADMIN_SCOPE}), zone="remote")
]
# Callers from a second, paired server (design test 27): a friend of it signed in here, and the server itself.
CALLERS += [Caller(FEDERATED)] + [Caller(PEER, peer=scopes) for scopes in PEER_SCOPE_SETS]
REMOTE_ADDRESS = "203.0.113.7"

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/setup"): PUBLIC,
    ("GET", "/api/session"): PUBLIC,
    ("POST", "/api/setup"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("GET", "/api/auth/federated/nonce"): PUBLIC,
    ("POST", "/api/auth/federated"): PUBLIC,
    ("GET", "/api/auth/home"): PUBLIC,
    ("POST", "/api/auth/home/start"): PUBLIC,
    ("POST", "/api/auth/home/{link_id}/start"): PUBLIC,
    ("GET", "/api/auth/home/callback"): PUBLIC,
    ("GET", "/api/auth/authorize"): USER,
    ("POST", "/api/auth/authorize"): ACCOUNT,
    ("GET", "/api/auth/profiles"): PUBLIC,
    ("POST", "/api/auth/profile"): PUBLIC,
    ("POST", "/api/auth/logout"): USER,
    ("GET", "/api/me"): USER,
    ("GET", "/api/account"): USER,
    ("GET", "/api/account/sessions"): USER,
    ("DELETE", "/api/account/sessions/{session_id}"): ACCOUNT,
    ("POST", "/api/account/sessions/revoke-all"): ACCOUNT,
    ("POST", "/api/account/tokens"): ACCOUNT,
    ("POST", "/api/account/password"): ACCOUNT,
    ("POST", "/api/account/2fa"): ACCOUNT,
    ("POST", "/api/account/2fa/confirm"): ACCOUNT,
    ("POST", "/api/account/2fa/disable"): ACCOUNT,
    ("POST", "/api/account/quick-connect"): ACCOUNT,
    ("POST", "/api/account/music-apps"): ACCOUNT,
    ("GET", "/jellyfin/System/Info/Public"): PUBLIC,
    ("GET", "/jellyfin/System/Info"): USER,
    ("GET", "/jellyfin/System/Ping"): PUBLIC,
    ("POST", "/jellyfin/System/Ping"): PUBLIC,
    ("GET", "/jellyfin/Branding/Configuration"): PUBLIC,
    ("GET", "/jellyfin/Branding/Css"): PUBLIC,
    ("GET", "/jellyfin/Branding/Css.css"): PUBLIC,
    ("POST", "/jellyfin/Users/AuthenticateByName"): PUBLIC,
    ("POST", "/jellyfin/Sessions/Logout"): USER,
    ("POST", "/jellyfin/Sessions/Capabilities"): USER,
    ("POST", "/jellyfin/Sessions/Capabilities/Full"): USER,
    ("GET", "/jellyfin/Sessions"): USER,
    ("GET", "/jellyfin/socket"): USER,  # a plain GET is 400; tests/compat/jellyfin/test_socket.py upgrades
    ("GET", "/jellyfin/Users/Public"): PUBLIC,
    ("GET", "/jellyfin/Users/Me"): USER,
    ("GET", "/jellyfin/Users/{user_id}"): USER,
    ("GET", "/jellyfin/QuickConnect/Enabled"): PUBLIC,
    ("POST", "/jellyfin/QuickConnect/Initiate"): PUBLIC,
    ("GET", "/jellyfin/QuickConnect/Connect"): PUBLIC,
    ("POST", "/jellyfin/Users/AuthenticateWithQuickConnect"): PUBLIC,
    # Jellyfin browsing and play state (web/compat/jellyfin/browse.py, playstate.py).
    ("GET", "/jellyfin/UserViews"): USER,
    ("GET", "/jellyfin/Users/{user_id}/Views"): USER,
    ("GET", "/jellyfin/Library/MediaFolders"): Rule(_ADMIN, NEEDS_ADMIN),
    ("GET", "/jellyfin/Items/Latest"): USER,
    ("GET", "/jellyfin/Users/{user_id}/Items/Latest"): USER,
    ("GET", "/jellyfin/UserItems/Resume"): USER,
    ("GET", "/jellyfin/Users/{user_id}/Items/Resume"): USER,
    ("GET", "/jellyfin/Items"): USER,
    ("GET", "/jellyfin/Users/{user_id}/Items"): USER,
    ("GET", "/jellyfin/Items/{item_id}"): SCOPED,
    ("GET", "/jellyfin/Users/{user_id}/Items/{item_id}"): SCOPED,
    ("GET", "/jellyfin/Items/{item_id}/Similar"): SCOPED,
    ("GET", "/jellyfin/Items/{item_id}/InstantMix"): SCOPED,
    ("GET", "/jellyfin/Items/{item_id}/SpecialFeatures"): SCOPED,
    ("GET", "/jellyfin/Users/{user_id}/Items/{item_id}/SpecialFeatures"): SCOPED,
    ("GET", "/jellyfin/Items/{item_id}/Intros"): SCOPED,
    ("GET", "/jellyfin/Users/{user_id}/Items/{item_id}/Intros"): SCOPED,
    ("GET", "/jellyfin/Items/{item_id}/LocalTrailers"): SCOPED,
    ("GET", "/jellyfin/Users/{user_id}/Items/{item_id}/LocalTrailers"): SCOPED,
    ("POST", "/jellyfin/UserItems/{item_id}/UserData"): SCOPED,
    ("POST", "/jellyfin/Users/{user_id}/Items/{item_id}/UserData"): SCOPED,
    ("GET", "/jellyfin/Items/Suggestions"): USER,
    ("GET", "/jellyfin/Items/Filters"): USER,
    ("GET", "/jellyfin/Items/Filters2"): USER,
    ("GET", "/jellyfin/Shows/NextUp"): USER,
    ("GET", "/jellyfin/Shows/{series_id}/Seasons"): SCOPED,
    ("GET", "/jellyfin/Shows/{series_id}/Episodes"): SCOPED,
    ("GET", "/jellyfin/Artists"): USER,
    ("GET", "/jellyfin/Artists/AlbumArtists"): USER,
    ("GET", "/jellyfin/Genres"): USER,
    ("POST", "/jellyfin/Sessions/Playing"): USER,
    ("POST", "/jellyfin/Sessions/Playing/Progress"): USER,
    ("POST", "/jellyfin/Sessions/Playing/Stopped"): USER,
    ("POST", "/jellyfin/Sessions/Playing/Ping"): USER,
    ("POST", "/jellyfin/UserPlayedItems/{item_id}"): SCOPED,
    ("DELETE", "/jellyfin/UserPlayedItems/{item_id}"): SCOPED,
    ("POST", "/jellyfin/Users/{user_id}/PlayedItems/{item_id}"): SCOPED,
    ("DELETE", "/jellyfin/Users/{user_id}/PlayedItems/{item_id}"): SCOPED,
    ("POST", "/jellyfin/UserFavoriteItems/{item_id}"): SCOPED,
    ("DELETE", "/jellyfin/UserFavoriteItems/{item_id}"): SCOPED,
    ("POST", "/jellyfin/Users/{user_id}/FavoriteItems/{item_id}"): SCOPED,
    ("DELETE", "/jellyfin/Users/{user_id}/FavoriteItems/{item_id}"): SCOPED,
    ("GET", "/jellyfin/UserItems/{item_id}/UserData"): SCOPED,
    ("GET", "/jellyfin/Users/{user_id}/Items/{item_id}/UserData"): SCOPED,
    # Jellyfin playback and media (web/compat/jellyfin/playback.py, streams.py, images.py).
    # Refusals by the media access decision come back in the body (ErrorCode), as Jellyfin apps expect.
    ("POST", "/jellyfin/Items/{item_id}/PlaybackInfo"): SCOPED,
    ("GET", "/jellyfin/Items/{item_id}/PlaybackInfo"): SCOPED,
    ("GET", "/jellyfin/Videos/{item_id}/stream"): SCOPED_STREAM,
    ("GET", "/jellyfin/Videos/{item_id}/stream.{container}"): SCOPED_STREAM,
    ("GET", "/jellyfin/Audio/{item_id}/stream"): SCOPED_STREAM,
    ("GET", "/jellyfin/Audio/{item_id}/stream.{container}"): SCOPED_STREAM,
    ("GET", "/jellyfin/Audio/{item_id}/universal"): SCOPED_STREAM,
    ("GET", "/jellyfin/Items/{item_id}/Download"): DOWNLOAD,
    ("GET", "/jellyfin/Audio/{item_id}/transcode.{codec}"): GRANTED,
    ("GET", "/jellyfin/Videos/{item_id}/master.m3u8"): GRANTED,
    ("GET", "/jellyfin/Videos/{item_id}/main.m3u8"): GRANTED,
    ("GET", "/jellyfin/Videos/{item_id}/hls1/{session_id}/{number}.ts"): GRANTED,
    ("DELETE", "/jellyfin/Videos/ActiveEncodings"): USER,
    ("GET", "/jellyfin/Videos/{item_id}/{source_id}/Subtitles/{index}/Stream.{format}"): SCOPED_STREAM,
    (
        "GET",
        "/jellyfin/Videos/{item_id}/{source_id}/Subtitles/{index}/{start_ticks}/Stream.{format}",
    ): SCOPED_STREAM,
    ("GET", "/jellyfin/Items/{item_id}/Images/{image_type}"): TOKEN_OR_TAG,
    ("GET", "/jellyfin/Items/{item_id}/Images/{image_type}/{index}"): TOKEN_OR_TAG,
    ("GET", "/jellyfin/Items/{item_id}/Images"): SCOPED,
    ("GET", "/jellyfin/DisplayPreferences/{pref_id}"): USER,
    ("POST", "/jellyfin/DisplayPreferences/{pref_id}"): USER,
    ("GET", "/api/users"): ADMIN,
    ("POST", "/api/users"): ADMIN,
    ("GET", "/api/users/{user_id}"): ADMIN,
    ("PATCH", "/api/users/{user_id}"): ADMIN,
    ("DELETE", "/api/users/{user_id}"): ADMIN_SESSION,
    ("POST", "/api/users/{user_id}/password"): ADMIN_SESSION,
    ("POST", "/api/users/{user_id}/pin"): ADMIN_SESSION,
    ("GET", "/api/labels"): ADMIN,
    ("POST", "/api/invitations"): ADMIN,
    ("GET", "/api/invitations"): ADMIN,
    ("DELETE", "/api/invitations/{invitation_id}"): ADMIN,
    ("POST", "/api/invitations/check"): PUBLIC,
    ("POST", "/api/invitations/redeem"): PUBLIC,
    ("GET", "/api/libraries"): USER,
    ("POST", "/api/libraries"): ADMIN,
    ("GET", "/api/libraries/{library_id}"): SCOPED,
    ("DELETE", "/api/libraries/{library_id}"): ADMIN,
    ("PATCH", "/api/libraries/{library_id}"): ADMIN,
    ("GET", "/api/libraries/{library_id}/items"): SCOPED,
    ("GET", "/api/libraries/{library_id}/genres"): SCOPED,
    ("GET", "/api/libraries/{library_id}/photo-facets"): SCOPED,
    ("POST", "/api/libraries/{library_id}/scan"): ADMIN,
    ("GET", "/api/libraries/{library_id}/scan"): SCOPED,
    ("GET", "/api/items/{item_id}"): SCOPED,
    ("GET", "/api/items/{item_id}/children"): SCOPED,
    ("GET", "/api/items/{item_id}/lyrics"): SCOPED,
    ("GET", "/api/items/{item_id}/artwork/{kind}"): SCOPED,
    # A picture like artwork: the read scope, through the media access decision.
    ("GET", "/api/items/{item_id}/people/{person_id}/photo"): SCOPED,
    # Seek previews: decided like artwork (a 404 while not made counts as reached, like an unknown id).
    ("GET", "/api/items/{item_id}/seek-previews"): SCOPED,
    ("GET", "/api/items/{item_id}/seek-previews/{number}.jpg"): SCOPED,
    ("GET", "/api/people/{person_id}"): SCOPED,
    ("GET", "/api/collections/{collection_id}"): SCOPED,
    ("GET", "/api/libraries/{library_id}/collections"): SCOPED,
    ("GET", "/api/search"): USER,
    ("GET", "/api/search/grouped"): USER,
    ("GET", "/api/recent"): USER,
    ("GET", "/api/recent/grouped"): USER,
    ("GET", "/api/next-up"): USER,
    ("GET", "/api/home/shelves"): USER,
    ("GET", "/api/listed"): USER,
    ("POST", "/api/items/{item_id}/playback"): SCOPED_STREAM,
    ("GET", "/api/items/{item_id}/stream"): GRANTED,
    ("GET", "/api/items/{item_id}/audio"): GRANTED,
    ("GET", "/api/items/{item_id}/download"): DOWNLOAD,
    ("GET", "/api/hls/{session_id}/master.m3u8"): GRANTED,
    ("GET", "/api/hls/{session_id}/video.m3u8"): GRANTED,
    ("GET", "/api/hls/{session_id}/{number}.ts"): GRANTED,
    ("DELETE", "/api/hls/{session_id}"): USER,
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.m3u8"): GRANTED,
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.vtt"): GRANTED,
    ("GET", "/api/items/{item_id}/photo"): SCOPED_MEDIA,
    ("GET", "/api/items/{item_id}/subtitles/{subtitle_id}.vtt"): SCOPED_MEDIA,
    ("GET", "/api/items/{item_id}/playstate"): SCOPED,
    ("PUT", "/api/items/{item_id}/playstate"): SCOPED,
    ("PUT", "/api/items/{item_id}/watched"): SCOPED,
    ("PUT", "/api/items/{item_id}/favourite"): SCOPED,
    ("PUT", "/api/items/{item_id}/rating"): SCOPED,
    ("GET", "/api/favourites"): USER,
    ("GET", "/api/account/playback-languages"): USER,
    ("PUT", "/api/account/playback-languages"): USER,
    ("GET", "/api/continue-watching"): USER,
    ("GET", "/api/playlists"): USER,
    ("POST", "/api/playlists"): USER,
    ("GET", "/api/playlists/{playlist_id}"): USER,
    ("PUT", "/api/playlists/{playlist_id}"): USER,
    ("DELETE", "/api/playlists/{playlist_id}"): USER,
    ("GET", "/api/items/{item_id}/next"): SCOPED,
    ("GET", "/api/server"): USER,
    ("GET", "/api/servers"): USER,
    ("POST", "/api/links/code"): OWNER_SESSION,
    ("DELETE", "/api/links/code"): OWNER_SESSION,
    ("POST", "/api/links/key"): OWNER_SESSION,
    ("POST", "/api/links/join"): OWNER_SESSION,
    ("GET", "/api/links"): OWNER_SESSION,
    ("GET", "/api/links/nearby"): OWNER_SESSION,
    ("PATCH", "/api/links/{link_id}/scopes"): OWNER_SESSION,
    ("DELETE", "/api/links/{link_id}"): OWNER_SESSION,
    ("GET", "/api/servers/{link_id}/settings"): ADMIN,
    ("PATCH", "/api/servers/{link_id}/settings"): ADMIN,
    ("GET", "/api/servers/{link_id}/outbox"): ADMIN,
    ("DELETE", "/api/servers/{link_id}/outbox/{entry_id}"): ADMIN,
    ("GET", "/api/servers/{link_id}/libraries"): ADMIN,
    ("GET", "/api/servers/{link_id}/principals/{user_id}"): ADMIN,
    ("PUT", "/api/servers/{link_id}/principals/{user_id}"): ADMIN,
    ("DELETE", "/api/servers/{link_id}/principals/{user_id}"): ADMIN,
    ("POST", "/api/servers/{link_id}/token"): USER,
    ("GET", "/api/settings"): ADMIN,
    ("PATCH", "/api/settings"): ADMIN,
    ("GET", "/api/settings/registry"): ADMIN,
    ("GET", "/api/audit"): ADMIN,
    ("GET", "/api/transcodes"): ADMIN,
    ("GET", "/api/openapi.json"): USER,
    ("GET", "/api/privacy"): ADMIN,
    ("GET", "/api/certificate"): USER,
    ("GET", "/api/tls"): USER,
    ("GET", "/api/tls/ca.pem"): USER,
    ("PUT", "/api/certificate"): ADMIN,
    ("DELETE", "/api/certificate"): ADMIN,
    ("GET", "/"): PUBLIC,
    ("GET", "/invite"): PUBLIC,
    ("GET", "/static/{name}"): PUBLIC,
    ("GET", "/static/vendor/{name}"): PUBLIC,
}

MISSING = "AAAAAAAAAAAAAAAAAAAAAA"
# Subsonic's methods (web/compat/subsonic), each by GET and by POST form: the rule, which music item its `id`
# names, and the method's other parameters.
SUBSONIC: dict[str, tuple[Rule, str | None, str]] = {
    "getOpenSubsonicExtensions": (PUBLIC, None, ""),
    "ping": (MUSIC, None, ""),
    "getLicense": (MUSIC, None, ""),
    "tokenInfo": (MUSIC, None, ""),
    "getUser": (MUSIC, None, "&username={persona}"),
    "getScanStatus": (MUSIC, None, ""),
    "startScan": (MUSIC_ADMIN, None, ""),
    "getMusicFolders": (MUSIC, None, ""),
    "getIndexes": (MUSIC, None, ""),
    "getArtists": (MUSIC, None, ""),
    "getGenres": (MUSIC, None, ""),
    "getAlbumList": (MUSIC, None, "&type=newest"),
    "getAlbumList2": (MUSIC, None, "&type=newest"),
    "getRandomSongs": (MUSIC, None, ""),
    "getSongsByGenre": (MUSIC, None, "&genre=Jazz"),
    "search2": (MUSIC, None, "&query=secret"),
    "search3": (MUSIC, None, "&query=secret"),
    "getStarred2": (MUSIC, None, ""),
    "getNowPlaying": (MUSIC, None, ""),
    "getArtist": (MUSIC_SCOPED, "artist", ""),
    "getArtistInfo2": (MUSIC_SCOPED, "artist", ""),
    "getAlbum": (MUSIC_SCOPED, "album", ""),
    "getAlbumInfo2": (MUSIC_SCOPED, "album", ""),
    "getMusicDirectory": (MUSIC_SCOPED, "album", ""),
    "getSong": (MUSIC_SCOPED, "track", ""),
    "getLyricsBySongId": (MUSIC_SCOPED, "track", ""),
    "stream": (MUSIC_SCOPED, "track", ""),
    "getCoverArt": (MUSIC_SCOPED, "track", ""),
    "scrobble": (MUSIC_SCOPED, "track", "&submission=true"),
    "star": (MUSIC_SCOPED, "track", ""),
    "unstar": (MUSIC_SCOPED, "track", ""),
    "setRating": (MUSIC_SCOPED, "track", "&rating=3"),
    "download": (MUSIC_DOWNLOAD, "track", ""),
    "getPlaylists": (MUSIC, None, ""),
    "getPlaylist": (MUSIC, None, f"&id={MISSING}"),
    "createPlaylist": (MUSIC_SCOPED, None, "&name=matrix&songId={track}"),
    "updatePlaylist": (MUSIC, None, f"&playlistId={MISSING}&name=matrix"),
    "deletePlaylist": (MUSIC, None, f"&id={MISSING}"),
    "savePlayQueue": (MUSIC_SCOPED, "track", ""),
    "getPlayQueue": (MUSIC, None, ""),
}
for _verb in ("GET", "POST"):
    for _method, (_rule, _target, _params) in SUBSONIC.items():
        EXPECTED[(_verb, f"/rest/{_method}")] = _rule
# Subsonic refuses with HTTP 200 and a code in the body; as the HTTP status its rule would be.
SUBSONIC_STATUS = {10: 422, 40: 401, 41: 401, 42: 401, 43: 401, 44: 401, 50: 403, 70: 404}
QUERIES = {
    "/api/search": "?q=secret",
    "/api/search/grouped": "?q=secret",
    "/api/audit": "?limit=5",
    "/api/listed": "?ids={item_id}",
}
# Valid bodies where the scope check comes after validation; every other write gets {}.
BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PUT", "/api/items/{item_id}/playstate"): {"position": 1.0},
    ("PUT", "/api/items/{item_id}/watched"): {"watched": True},
    ("PUT", "/api/items/{item_id}/favourite"): {"favourite": True},
    ("PUT", "/api/items/{item_id}/rating"): {"rating": 3},
    ("POST", "/jellyfin/Users/AuthenticateByName"): {"Username": "owner", "Pw": PASSWORD},
}
SECRET_TITLE = "Secret Sunset Picture"
SECRET_ARTIST = "Secret Quartet"


def test_every_route_has_a_declared_expectation() -> None:
    assert set(EXPECTED) == {route.key for route in ROUTES}


def test_public_expectations_match_public_routes() -> None:
    for route in ROUTES:
        public = route.access.value == "public"
        # By identity: TOKEN_OR_TAG answers as SCOPED does, yet only it may sit on a public route.
        assert public == any(EXPECTED[route.key] is rule for rule in (PUBLIC, GRANTED, TOKEN_OR_TAG)), (
            route.key
        )


# Written out by hand, page routes included, so that a route made public anywhere (an API module, pages.py, a
# client API) fails here until a reviewer adds it to this list.
PUBLIC_ROUTES = {
    ("GET", "/"),
    ("GET", "/invite"),
    ("GET", "/static/{name}"),
    ("GET", "/static/vendor/{name}"),
    ("GET", "/api/session"),
    ("GET", "/api/setup"),
    ("POST", "/api/setup"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/auth/federated/nonce"),
    ("POST", "/api/auth/federated"),
    ("GET", "/api/auth/home"),
    ("POST", "/api/auth/home/start"),
    ("POST", "/api/auth/home/{link_id}/start"),
    ("GET", "/api/auth/home/callback"),
    ("GET", "/api/auth/profiles"),
    ("POST", "/api/auth/profile"),
    ("POST", "/api/invitations/check"),
    ("POST", "/api/invitations/redeem"),
    # Media fetched by players: each still needs a signed grant (the GRANTED rule above).
    ("GET", "/api/items/{item_id}/stream"),
    ("GET", "/api/items/{item_id}/audio"),
    ("GET", "/api/hls/{session_id}/master.m3u8"),
    ("GET", "/api/hls/{session_id}/video.m3u8"),
    ("GET", "/api/hls/{session_id}/{number}.ts"),
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.m3u8"),
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.vtt"),
    # Jellyfin's apps before they have a token (reasons in tests/web/test_route_table.py).
    ("GET", "/jellyfin/System/Info/Public"),
    ("GET", "/jellyfin/System/Ping"),
    ("POST", "/jellyfin/System/Ping"),
    ("GET", "/jellyfin/Branding/Configuration"),
    ("GET", "/jellyfin/Branding/Css"),
    ("GET", "/jellyfin/Branding/Css.css"),
    ("GET", "/jellyfin/Users/Public"),
    ("POST", "/jellyfin/Users/AuthenticateByName"),
    ("GET", "/jellyfin/QuickConnect/Enabled"),
    ("POST", "/jellyfin/QuickConnect/Initiate"),
    ("GET", "/jellyfin/QuickConnect/Connect"),
    ("POST", "/jellyfin/Users/AuthenticateWithQuickConnect"),
    ("GET", "/rest/getOpenSubsonicExtensions"),
    ("POST", "/rest/getOpenSubsonicExtensions"),
    ("GET", "/jellyfin/Audio/{item_id}/transcode.{codec}"),
    ("GET", "/jellyfin/Videos/{item_id}/master.m3u8"),
    ("GET", "/jellyfin/Videos/{item_id}/main.m3u8"),
    ("GET", "/jellyfin/Videos/{item_id}/hls1/{session_id}/{number}.ts"),
    ("GET", "/jellyfin/Items/{item_id}/Images/{image_type}"),
    ("GET", "/jellyfin/Items/{item_id}/Images/{image_type}/{index}"),
}


def test_public_routes_are_exactly_the_reviewed_list() -> None:
    assert public_routes() == PUBLIC_ROUTES


def test_password_session_routes_are_the_declared_ones() -> None:
    for route in ROUTES:
        assert route.password_session == EXPECTED[route.key].password_session, route.key


class World:
    def __init__(self, running: RunningServer, tmp_path: Path) -> None:
        self.running = running
        root = tmp_path / "films"
        root.mkdir()
        self.library = running.server.services.libraries.add(
            system_actor(), "Films", "movies", [str(root)]
        ).id
        poster = tmp_path / "p.png"
        poster.write_bytes(b"\x89PNG\r\n\x1a\n")
        self.item = Row(
            SECRET_TITLE, content_rating="PG", poster=str(poster), path=str(root / "a.mkv"), size=1
        )
        add_rows(running.server.db, self.library, [self.item])
        songs = tmp_path / "music"
        songs.mkdir()
        self.music = running.server.services.libraries.add(
            system_actor(), "Vinyl Vault", "music", [str(songs)]
        ).id
        artist = Row(SECRET_ARTIST, kind="artist")
        album = Row("Secret Album", kind="album", parent_id=artist.id, top_id=artist.id, poster=str(poster))
        track = Row(
            "Secret Track",
            kind="track",
            parent_id=album.id,
            top_id=artist.id,
            idx=1,
            path=str(songs / "t.flac"),
            size=1,
        )
        add_rows(running.server.db, self.music, [artist, album, track])
        self.music_items = {"artist": artist.id, "album": album.id, "track": track.id}
        self.music_keys: dict[str, str | None] = {}
        self._strangers = 0
        running.create_user("owner", Role.OWNER)
        running.create_user("admin", Role.ADMIN)
        behind_proxy(running)
        accounts = running.server.services.accounts
        users = running.server.services.users
        assert users is not None
        for name, grants in (
            ("member_without", {"libraries": [], "may_connect_remotely": False}),
            (
                "member_with",
                {
                    "libraries": [self.library, self.music],
                    "may_download": True,
                    "max_rating": {"movies": rank("PG")},
                },
            ),
        ):
            accounts.create_user(system_actor(), name, Role.MEMBER, PASSWORD, grants=grants)
        self.managed_id = accounts.create_user(
            system_actor(), "managed", Role.MANAGED, None, grants={"libraries": []}
        )
        self.tokens: dict[str, str | None] = {"anonymous": None}
        self.secrets = {SECRET_TITLE, "Films", SECRET_ARTIST, "Vinyl Vault"}
        self.root = tmp_path
        self.home: Home | None = None

    def home_server(self) -> Home:
        """A second server paired with this one, made when a caller from it first asks."""
        if self.home is None:
            self.home = Home(self.running, self.root)
        return self.home

    def client(self, caller: Caller) -> Client:
        if caller.persona == PEER:
            return self.home_server().peer_client(caller.peer or frozenset())
        if caller.name not in self.tokens:
            if caller.scopes is not None:
                made = self.client(Caller(caller.persona)).post(
                    "/api/account/tokens", {"name": "matrix", "scopes": sorted(caller.scopes), "days": 1}
                )
                assert made.status == 201, made.body
                token = made.json()["token"]
            elif caller.persona == FEDERATED:
                token = self.home_server().federated_token([self.library, self.music])
            elif caller.persona == "managed":
                answer = self.running.anonymous().post("/api/auth/profile", {"user_id": self.managed_id})
                assert answer.status == 200, answer.body
                token = answer.json()["token"]
            else:
                answer = self.running.anonymous().post(
                    "/api/auth/login", {"username": caller.persona, "password": PASSWORD}
                )
                assert answer.status == 200, answer.body
                token = answer.json()["token"]
            self.tokens[caller.name] = token
            self.secrets.add(token)
        return self.at(caller, self.tokens[caller.name])

    def at(self, caller: Caller, token: str | None = None, address: str = REMOTE_ADDRESS) -> Client:
        """A client in the caller's zone: from home directly, from outside through the trusted proxy."""
        if caller.zone == "home":
            return Client(self.running.port, token=token)
        return via_proxy(self.running, address, token)

    def music_key(self, caller: Caller) -> str | None:
        """What the caller's Subsonic app signs in with: a key made on the Account page by the persona's
        password sign-in (a managed profile cannot make one), or, for an API token, the token itself."""
        if caller.name not in self.music_keys:
            key: str | None = None
            if caller.scopes is not None:
                self.client(caller)
                key = self.tokens[caller.name]
            elif caller.persona not in ("anonymous", "managed", FEDERATED, PEER):
                # Made at home, as a member kept home makes one for the music app on their home network.
                self.client(caller)
                at_home = Client(self.running.port, token=self.tokens[caller.name])
                made = at_home.post("/api/account/music-apps", {"name": "matrix", "kind": "key"})
                assert made.status == 201, made.body
                key = made.json()["secret"]
                self.secrets.add(key)
            self.music_keys[caller.name] = key
        return self.music_keys[caller.name]

    def subsonic_path(self, route: Route, caller: Caller) -> str:
        rule, target, params = SUBSONIC[route.path.removeprefix("/rest/")]
        path = f"{route.path}?f=json" + params.format(persona=caller.persona, **self.music_items)
        if target is not None:
            path += f"&id={self.music_items[target]}"
        key = self.music_key(caller) if rule is not PUBLIC else None
        return path + (f"&apiKey={key}" if key else "")

    def stranger(self, caller: Caller) -> Client:
        """Who sends a Subsonic request: an API token sent as apiKey is a wrong key, and each wrong key comes
        from its own address, so the per-address throttle (tested in tests/compat/subsonic) stays out of the
        way; keys that work come from the usual address."""
        if caller.scopes is None:
            return self.at(caller)
        self._strangers += 1
        address = f"{10 + self._strangers // 250}.{1 + self._strangers % 250}"
        if caller.zone == "home":
            return Client(self.running.port, source=f"127.0.{address}")
        return self.at(caller, address=f"198.51.{address}")

    def forget_music_key_if_revoked(self, caller: Caller) -> None:
        """'Sign out everywhere' and a password change end music app keys too: make a new one next time."""
        key = self.music_keys.get(caller.name)
        if key and caller.scopes is None:
            answer = self.running.anonymous().get(f"/rest/ping?f=json&apiKey={key}")
            if answer.json()["subsonic-response"]["status"] != "ok":
                del self.music_keys[caller.name]

    def forget_if_signed_out(self, caller: Caller) -> None:
        token = self.tokens.get(caller.name)
        if token and Client(self.running.port, token=token).get("/api/me").status == 401:
            del self.tokens[caller.name]

    def path(self, route: Route) -> str:
        values = {
            "library_id": self.library,
            "item_id": self.item.id,
            "kind": "poster",
            "name": "app.js",
            "session_id": MISSING,
            "link_id": MISSING,
            "entry_id": MISSING,
            "user_id": MISSING,
            "invitation_id": MISSING,
            "playlist_id": MISSING,
            "person_id": MISSING,
            "collection_id": MISSING,
            "number": "0",
            "subtitle_id": MISSING,
            "pref_id": "usersettings",
            "container": "mp4",
            "codec": "mp3",
            "format": "vtt",
            "index": "0",
            "start_ticks": "0",
            "image_type": "Primary",
        }
        path = route.path
        if route.client is not None and route.client.name == "jellyfin":
            # Jellyfin's apps name items by their 32-hex form; the show routes get the same item.
            jellyfin_item = to_jellyfin(self.item.id)
            path = path.replace("{item_id}", jellyfin_item).replace("{series_id}", jellyfin_item)
            path = path.replace("{source_id}", jellyfin_item)
        for key, value in values.items():
            path = path.replace("{" + key + "}", value)
        if EXPECTED[route.key] is GRANTED:
            return path + "?grant=forged.grant"
        return path + QUERIES.get(route.path, "").replace("{item_id}", self.item.id)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    # Its own server rather than `running`: with peer_port=0 the peer listener a paired caller needs opens on a
    # free port.
    running = RunningServer(tmp_path / "data", peer_port=0)
    made = World(running, tmp_path)
    try:
        yield made
    finally:
        if made.home is not None:
            made.home.stop()
        running.stop()


def _as_http(answer: Answer, signed: bool) -> Answer:
    """A Subsonic refusal (HTTP 200, status "failed") as the HTTP status of the same refusal elsewhere."""
    if answer.status != 200 or not (answer.header("Content-Type") or "").startswith("application/json"):
        return answer
    found = answer.json()["subsonic-response"]
    if found["status"] != "failed":
        return answer
    code = found["error"]["code"]
    # No credentials at all is Subsonic's "missing parameter"; anywhere else it is a 401.
    status = 401 if code == 10 and not signed else SUBSONIC_STATUS[code]
    return dataclasses.replace(answer, status=status)


def _check(world: World, route: Route, caller: Caller, answer: Answer) -> None:
    want = expected(EXPECTED[route.key], caller)
    label = f"{route.method} {route.path} as {caller.name}: {answer.status} {answer.body[:200]!r}"
    if want == "ok":
        assert answer.status not in (401, 403), label
    elif want == "refused":
        assert answer.status in (401, 403, 404, 422), label
    else:
        assert answer.status == int(want), label
    if answer.status >= 400 or caller.persona in ("anonymous", "member_without", "managed"):
        shown = answer.body.decode("utf-8", "replace") + "".join(
            f"{k}: {v}\n" for k, v in answer.headers.items()
        )
        own = world.tokens.get(caller.name)
        leaked = [s for s in world.secrets if s in shown and s != own]
        # The page shell and static files are the same for everyone and name no library data.
        assert not leaked, f"{label} leaks {leaked}"


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_route_table_answers_each_caller_as_declared(world: World, caller: Caller) -> None:
    # Writes go last so that a revoked session or changed password does not colour the reads.
    order = sorted(ROUTES, key=lambda r: (r.method != "GET", r.path))
    for route in order:
        client = world.client(caller) if caller.persona != "anonymous" else world.at(caller)
        body = BODIES.get(route.key, {}) if route.body is not None else None
        # A client API reads its own credentials, never the bearer header: the same token goes where its apps
        # put it.
        token = world.tokens.get(caller.name)
        if route.client is not None and route.client.name == "subsonic":
            path = world.subsonic_path(route, caller)
            answer = _as_http(world.stranger(caller).request(route.method, path), "apiKey=" in path)
        else:
            headers = {"X-Emby-Token": token} if route.client is not None and token else None
            answer = client.request(route.method, world.path(route), body=body, headers=headers)
        _check(world, route, caller, answer)
        if caller.persona != "anonymous":
            world.forget_if_signed_out(caller)
            if route.method != "GET":
                world.forget_music_key_if_revoked(caller)


@pytest.mark.parametrize("scopes", PEER_SCOPE_SETS, ids=lambda s: f"{PEER}[{','.join(sorted(s))}]")
def test_peer_routes_answer_each_paired_peer_as_declared(world: World, scopes: frozenset[str]) -> None:
    """The same callers on the peer listener's own table: 403 exactly where the table's can() says no."""
    assert world.home_server().peer_routes_answer(scopes) == []
