"""Play-state reports and marks from Jellyfin's apps, fed to PlayStateService: the same resume position,
watched mark and favourite the web app shows. A hidden item answers 404 like a missing one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from aiohttp import web

from reelhouse.domain.finding import ViewerMarks
from reelhouse.errors import InvalidInput
from reelhouse.web.compat.jellyfin.answers import jellyfin_json
from reelhouse.web.compat.jellyfin.auth import client_info
from reelhouse.web.compat.jellyfin.bodies import json_fields, json_object
from reelhouse.web.compat.jellyfin.ids import from_jellyfin
from reelhouse.web.compat.jellyfin.items import Params, check_user
from reelhouse.web.compat.jellyfin.mapping import TICKS_PER_SECOND, user_data
from reelhouse.web.context import actor, call, services
from reelhouse.web.routing import Access, Route

TAG = "jellyfin"
MAX_BODY = 256 * 1024
# A position beyond a century is no position: refuse it rather than overflow anything downstream.
MAX_TICKS = 100 * 365 * 24 * 3600 * TICKS_PER_SECOND


async def _report_body(request: web.Request) -> dict[str, Any]:
    """Older apps send `itemId` where newer ones send `ItemId`."""
    return await json_fields(request, MAX_BODY)


def _position(body: dict[str, Any]) -> float | None:
    value = body.get("positionticks")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_TICKS:
        raise InvalidInput("PositionTicks must be a non-negative number of ticks.", "PositionTicks")
    return float(value) / TICKS_PER_SECOND


async def _report(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    body = await _report_body(request)
    raw_id = body.get("itemid")
    if not isinstance(raw_id, str) or not raw_id:
        raise InvalidInput("ItemId is required.", "ItemId")
    item_id = from_jellyfin(raw_id)
    position = _position(body)
    play = services(request).playstate
    if position is None:
        # Nothing to record (a start without a position must not reset the resume point), but a hidden
        # item still answers as a missing one.
        await call(request, play.state, who, item_id)
    else:
        await call(request, play.report, who, item_id, position)
    return web.Response(status=204)


async def ping(request: web.Request) -> web.StreamResponse:
    return web.Response(status=204)


class _Row(Protocol):
    """What a play-state row from PlayStateService carries."""

    @property
    def item_id(self) -> str: ...
    @property
    def position(self) -> float: ...
    @property
    def duration(self) -> float | None: ...
    @property
    def watched(self) -> bool: ...
    @property
    def play_count(self) -> int: ...
    @property
    def updated_at(self) -> float: ...
    @property
    def favourite(self) -> bool: ...


def _user_data(row: _Row) -> dict[str, Any]:
    played_at = datetime.fromtimestamp(row.updated_at, UTC) if row.play_count or row.position else None
    marks = ViewerMarks(row.position, row.watched, row.play_count, row.favourite, played_at)
    return user_data(row.item_id, marks, row.duration)


async def _mark_played(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    item_id = from_jellyfin(request.match_info["item_id"])
    row = await call(request, services(request).playstate.mark, who, item_id, request.method == "POST")
    return jellyfin_json(_user_data(row))


async def _mark_favourite(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    item_id = from_jellyfin(request.match_info["item_id"])
    play = services(request).playstate
    row = await call(request, play.set_favourite, who, item_id, request.method == "POST")
    return jellyfin_json(_user_data(row))


async def get_user_data(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    found = await call(
        request, services(request).catalogue.found, who, from_jellyfin(request.match_info["item_id"])
    )
    return jellyfin_json(user_data(found.summary.id, found.marks, found.duration))


async def update_user_data(request: web.Request) -> web.StreamResponse:
    """Jellyfin's UpdateUserItemDataDto: any of Played, PlaybackPositionTicks and IsFavorite, each applied
    through the same service calls as the routes above."""
    who = actor(request)
    check_user(request, who)
    item_id = from_jellyfin(request.match_info["item_id"])
    body = await _report_body(request)
    play = services(request).playstate
    played, favourite = body.get("played"), body.get("isfavorite")
    for name, value in (("Played", played), ("IsFavorite", favourite)):
        if value is not None and not isinstance(value, bool):
            raise InvalidInput(f"{name} must be true or false.", name)
    position = _position({"positionticks": body.get("playbackpositionticks")})
    if played is not None:
        await call(request, play.mark, who, item_id, played)
    elif position is not None:
        await call(request, play.report, who, item_id, position)
    if favourite is not None:
        await call(request, play.set_favourite, who, item_id, favourite)
    found = await call(request, services(request).catalogue.found, who, item_id)
    return jellyfin_json(user_data(found.summary.id, found.marks, found.duration))


def _app_of(request: web.Request) -> str:
    """Preferences are kept per app: the `client` query parameter, else the app's own name in its header."""
    return Params(request).text("client") or client_info(request).client or ""


def _default_preferences(screen: str, client: str) -> dict[str, Any]:
    # What Jellyfin answers for a screen no app has laid out yet.
    return {
        "Id": screen,
        "SortBy": "SortName",
        "SortOrder": "Ascending",
        "RememberIndexing": False,
        "RememberSorting": False,
        "PrimaryImageHeight": 250,
        "PrimaryImageWidth": 250,
        "ScrollDirection": "Horizontal",
        "ShowBackdrop": True,
        "ShowSidebar": False,
        "IndexBy": None,
        "CustomPrefs": {},
        "Client": client,
    }


async def get_preferences(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    screen, client = request.match_info["pref_id"], _app_of(request)
    found = await call(request, services(request).playstate.display_preferences, who, screen, client)
    return jellyfin_json(found if found is not None else _default_preferences(screen, client))


async def save_preferences(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    prefs = await json_object(request, MAX_BODY)
    screen, client = request.match_info["pref_id"], _app_of(request)
    await call(request, services(request).playstate.save_display_preferences, who, screen, client, prefs)
    return web.Response(status=204)


def _r(method: str, path: str, handler: Any, summary: str, status: int = 200) -> Route:
    return Route(method, path, handler, f"Jellyfin: {summary}", Access.USER, TAG, status=status)


ROUTES = [
    _r("POST", "/Sessions/Playing", _report, "playback started (its position, if sent, is recorded)", 204),
    _r("POST", "/Sessions/Playing/Progress", _report, "where playback is: the resume position", 204),
    _r("POST", "/Sessions/Playing/Stopped", _report, "playback stopped: resume position or watched", 204),
    _r("POST", "/Sessions/Playing/Ping", ping, "keep a playback session alive", 204),
    _r("POST", "/UserPlayedItems/{item_id}", _mark_played, "mark watched"),
    _r("DELETE", "/UserPlayedItems/{item_id}", _mark_played, "mark not watched"),
    _r("POST", "/Users/{user_id}/PlayedItems/{item_id}", _mark_played, "mark watched (legacy path)"),
    _r("DELETE", "/Users/{user_id}/PlayedItems/{item_id}", _mark_played, "mark not watched (legacy path)"),
    _r("POST", "/UserFavoriteItems/{item_id}", _mark_favourite, "mark a favourite"),
    _r("DELETE", "/UserFavoriteItems/{item_id}", _mark_favourite, "unmark a favourite"),
    _r("POST", "/Users/{user_id}/FavoriteItems/{item_id}", _mark_favourite, "mark a favourite (legacy path)"),
    _r("DELETE", "/Users/{user_id}/FavoriteItems/{item_id}", _mark_favourite, "unmark a favourite (legacy)"),
    _r("GET", "/UserItems/{item_id}/UserData", get_user_data, "the caller's marks on an item"),
    _r("GET", "/Users/{user_id}/Items/{item_id}/UserData", get_user_data, "the caller's marks (legacy path)"),
    _r("POST", "/UserItems/{item_id}/UserData", update_user_data, "change the caller's marks on an item"),
    _r("POST", "/Users/{user_id}/Items/{item_id}/UserData", update_user_data, "change marks (legacy path)"),
    _r(
        "GET",
        "/DisplayPreferences/{pref_id}",
        get_preferences,
        "how this app lays out one of the caller's screens",
    ),
    _r("POST", "/DisplayPreferences/{pref_id}", save_preferences, "keep this app's layout of a screen", 204),
]
