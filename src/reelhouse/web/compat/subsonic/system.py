"""Subsonic's server methods: ping, licence, OpenSubsonic extensions, who the key is, the user record, scans
and lyrics."""

from __future__ import annotations

from aiohttp import web

from reelhouse.domain.access import Action, can
from reelhouse.errors import NotFound, PermissionDenied
from reelhouse.web.compat.subsonic.answers import answer
from reelhouse.web.compat.subsonic.common import given_params, id_of, music_libraries
from reelhouse.web.compat.subsonic.mapping import folder_id
from reelhouse.web.context import actor, call, services

EXTENSIONS = [
    {"name": "apiKeyAuthentication", "versions": [1]},
    {"name": "formPost", "versions": [1]},
    {"name": "songLyrics", "versions": [1]},
]


async def ping(request: web.Request) -> web.StreamResponse:
    return answer(request)


async def get_license(request: web.Request) -> web.StreamResponse:
    return answer(request, license={"valid": True})


async def get_extensions(request: web.Request) -> web.StreamResponse:
    """The one method OpenSubsonic lets an app call before it has credentials."""
    await given_params(request)
    return answer(request, openSubsonicExtensions=EXTENSIONS)


async def token_info(request: web.Request) -> web.StreamResponse:
    return answer(request, tokenInfo={"username": actor(request).username})


async def get_user(request: web.Request) -> web.StreamResponse:
    """The caller's own record; another user's only for an admin, whose music app keys cannot administer, so
    in practice the caller's own."""
    who = actor(request)
    given = await given_params(request)
    name = given.get("username", "").strip() or who.username
    if name.casefold() != who.username.casefold():
        if not can(who, Action.MANAGE_USERS):
            raise PermissionDenied("You can only see your own user.")
        raise NotFound("Other users are managed on Reelhouse's own Settings page.")
    folders = [folder_id(lib.id) for lib in await music_libraries(request)]
    record = {
        "username": who.username,
        "scrobblingEnabled": True,
        "adminRole": False,
        "settingsRole": False,
        "downloadRole": can(who, Action.DOWNLOAD),
        "uploadRole": False,
        "playlistRole": False,
        "coverArtRole": True,
        "commentRole": False,
        "podcastRole": False,
        "streamRole": can(who, Action.STREAM),
        "jukeboxRole": False,
        "shareRole": False,
        "videoConversionRole": False,
        "folder": folders,
    }
    return answer(request, user=record)


async def get_scan_status(request: web.Request) -> web.StreamResponse:
    """Whether any of the caller's music libraries is being scanned; counts stay with admins."""
    scanning = services(request).scanning
    states = [scanning.state_of(str(lib.id)) for lib in await music_libraries(request)]
    return answer(request, scanStatus={"scanning": any(s.running for s in states), "count": 0})


async def start_scan(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    for library in await music_libraries(request):
        await call(request, services(request).scanning.start, who, str(library.id))
    return await get_scan_status(request)


async def get_lyrics(request: web.Request) -> web.StreamResponse:
    """OpenSubsonic's structured lyrics of a song (an empty list when it has none); a hidden or missing
    song is error 70 like every other id."""
    item_id = id_of(await given_params(request))
    found = await call(request, services(request).catalogue.lyrics, actor(request), item_id)
    if found is None:
        return answer(request, lyricsList={"structuredLyrics": []})
    lines = [
        {"start": line.start_ms, "value": line.text} if found.synced else {"value": line.text}
        for line in found.lines
    ]
    # "xxx" is the spec's word for an unknown language, as an LRC file without a [la:] header is.
    structured = {"lang": found.language or "xxx", "synced": found.synced, "line": lines}
    return answer(request, lyricsList={"structuredLyrics": [structured]})
