"""Play-state routes: progress reports, watched marks, continue watching and the next episode."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from reelhouse.web.api.playback_schemas import (
    FavouriteIn,
    LimitQuery,
    NextOut,
    PlaybackLanguagesIn,
    PlaybackLanguagesOut,
    PlayStateOut,
    ProgressIn,
    RatingIn,
    WatchedIn,
)
from reelhouse.web.context import actor, call, json_response, parse_body, parse_query, services
from reelhouse.web.routing import Access, Route


def _state_out(item_id: str, row: Any) -> PlayStateOut:
    if row is None:
        return PlayStateOut(item_id=item_id, position=0.0, duration=None, watched=False, play_count=0)
    return PlayStateOut(
        item_id=row.item_id,
        position=row.position,
        duration=row.duration,
        watched=row.watched,
        play_count=row.play_count,
        favourite=row.favourite,
        rating=row.rating,
    )


async def playback_languages(request: web.Request) -> web.StreamResponse:
    audio, subtitle = await call(request, services(request).playstate.playback_languages, actor(request))
    return json_response(PlaybackLanguagesOut(audio_language=audio, subtitle_language=subtitle))


async def save_playback_languages(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, PlaybackLanguagesIn)
    playstate = services(request).playstate
    await call(
        request,
        playstate.save_playback_languages,
        actor(request),
        body.audio_language,
        body.subtitle_language,
    )
    return json_response(
        PlaybackLanguagesOut(audio_language=body.audio_language, subtitle_language=body.subtitle_language)
    )


async def report_progress(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, ProgressIn)
    item_id = request.match_info["item_id"]
    row = await call(
        request, services(request).playstate.report, actor(request), item_id, body.position, body.duration
    )
    return json_response(_state_out(item_id, row))


async def mark_watched(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, WatchedIn)
    item_id = request.match_info["item_id"]
    row = await call(request, services(request).playstate.mark, actor(request), item_id, body.watched)
    return json_response(_state_out(item_id, row))


async def mark_favourite(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, FavouriteIn)
    item_id = request.match_info["item_id"]
    row = await call(
        request, services(request).playstate.set_favourite, actor(request), item_id, body.favourite
    )
    return json_response(_state_out(item_id, row))


async def rate(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, RatingIn)
    item_id = request.match_info["item_id"]
    row = await call(request, services(request).playstate.set_rating, actor(request), item_id, body.rating)
    return json_response(_state_out(item_id, row))


async def favourites(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, LimitQuery)
    rows = await call(request, services(request).playstate.favourites, actor(request), q.limit)
    return json_response([_state_out(r.item_id, r) for r in rows])


async def play_state(request: web.Request) -> web.StreamResponse:
    item_id = request.match_info["item_id"]
    row = await call(request, services(request).playstate.state, actor(request), item_id)
    return json_response(_state_out(item_id, row))


async def continue_watching(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, LimitQuery)
    rows = await call(request, services(request).playstate.continue_watching, actor(request), q.limit)
    return json_response([_state_out(r.item_id, r) for r in rows])


async def next_episode(request: web.Request) -> web.StreamResponse:
    found = await call(
        request, services(request).playstate.next_episode, actor(request), request.match_info["item_id"]
    )
    return json_response(NextOut(item_id=found))


_T = "playback"
ROUTES = [
    Route(
        "GET",
        "/api/account/playback-languages",
        playback_languages,
        "The audio and subtitle languages the caller last chose to play",
        Access.USER,
        _T,
        response=PlaybackLanguagesOut,
    ),
    Route(
        "PUT",
        "/api/account/playback-languages",
        save_playback_languages,
        "Remember the caller's audio and subtitle languages (null: the file's default audio, no subtitles)",
        Access.USER,
        _T,
        body=PlaybackLanguagesIn,
        response=PlaybackLanguagesOut,
    ),
    Route(
        "GET",
        "/api/items/{item_id}/playstate",
        play_state,
        "The caller's play state for an item",
        Access.USER,
        _T,
        response=PlayStateOut,
    ),
    Route(
        "PUT",
        "/api/items/{item_id}/playstate",
        report_progress,
        "Report playback progress; 90 % or more marks the item watched",
        Access.USER,
        _T,
        body=ProgressIn,
        response=PlayStateOut,
    ),
    Route(
        "PUT",
        "/api/items/{item_id}/watched",
        mark_watched,
        "Mark an item watched or unwatched",
        Access.USER,
        _T,
        body=WatchedIn,
        response=PlayStateOut,
    ),
    Route(
        "PUT",
        "/api/items/{item_id}/favourite",
        mark_favourite,
        "Mark an item a favourite of the caller's, or not",
        Access.USER,
        _T,
        body=FavouriteIn,
        response=PlayStateOut,
    ),
    Route(
        "PUT",
        "/api/items/{item_id}/rating",
        rate,
        "The caller's own rating of an item, 1 to 5, or null to remove it",
        Access.USER,
        _T,
        body=RatingIn,
        response=PlayStateOut,
    ),
    Route(
        "GET",
        "/api/favourites",
        favourites,
        "The caller's favourites they can still see, newest first",
        Access.USER,
        _T,
        query=LimitQuery,
        response=PlayStateOut,
        response_list=True,
    ),
    Route(
        "GET",
        "/api/continue-watching",
        continue_watching,
        "Items the caller has started and not finished",
        Access.USER,
        _T,
        query=LimitQuery,
        response=PlayStateOut,
        response_list=True,
    ),
    Route(
        "GET",
        "/api/items/{item_id}/next",
        next_episode,
        "The episode after this one",
        Access.USER,
        _T,
        response=NextOut,
    ),
]
