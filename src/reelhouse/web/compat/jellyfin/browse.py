"""Browsing as Jellyfin's apps do: views, item lists, latest, resume, next up, seasons, episodes, artists,
genres. Every list is a CatalogueService call under the caller's scope: a hidden item is never listed."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from reelhouse.domain.access import Action, Actor
from reelhouse.domain.finding import FindQuery, FindSort, FoundItem
from reelhouse.domain.library import ItemKind
from reelhouse.errors import NotFound
from reelhouse.web.compat.jellyfin.answers import jellyfin_json
from reelhouse.web.compat.jellyfin.ids import from_jellyfin
from reelhouse.web.compat.jellyfin.items import (
    MAX_LIMIT,
    Params,
    check_user,
    context,
    find,
    find_query,
    genre_id,
    genre_names,
    items,
    kinds_of,
    listed,
    media_kinds,
    one_item,
    visible_libraries,
)
from reelhouse.web.compat.jellyfin.mapping import envelope, item_dto, view_dto
from reelhouse.web.context import actor, call, services
from reelhouse.web.routing import Access, Route

TAG = "jellyfin"
LATEST_KINDS = frozenset({ItemKind.MOVIE, ItemKind.EPISODE, ItemKind.TRACK, ItemKind.PHOTO, ItemKind.VIDEO})
RESUME_KINDS = frozenset({ItemKind.MOVIE, ItemKind.EPISODE, ItemKind.VIDEO, ItemKind.EXTRA, ItemKind.TRACK})


async def views(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    libraries = await visible_libraries(request, who)
    ctx = context(request, who, Params(request))
    return jellyfin_json(envelope([view_dto(lib, ctx) for lib in libraries], len(libraries), 0))


async def media_folders(request: web.Request) -> web.StreamResponse:
    # Admin only, as in Jellyfin (the route requires manage_libraries); the same folders as the views.
    return await views(request)


async def _library_of(request: web.Request, who: Actor, params: Params) -> str | None:
    parent = params.one_id("ParentId")
    if parent is None:
        return None
    if parent not in {lib.id for lib in await visible_libraries(request, who)}:
        raise NotFound("No such library.")
    return parent


async def latest(request: web.Request) -> web.StreamResponse:
    """Newest first, a bare array; episodes stand for their show and tracks for their album unless the app
    asks for them one by one (GroupItems=false)."""
    who = actor(request)
    check_user(request, who)
    params = Params(request)
    limit = max(1, min(params.number("Limit", 20), 100))
    kinds = kinds_of(params, "IncludeItemTypes")
    group = params.flag("GroupItems") is not False
    wanted = LATEST_KINDS if kinds is None else kinds & (LATEST_KINDS | {ItemKind.ALBUM})
    if kinds is not None and group:
        # New shows and albums are found by their newest episodes and tracks, which stand for them.
        wanted |= {ItemKind.EPISODE} if ItemKind.SHOW in kinds else frozenset()
        wanted |= {ItemKind.TRACK} if ItemKind.ALBUM in kinds else frozenset()
    query = FindQuery(
        kinds=wanted,
        library_id=await _library_of(request, who, params),
        present_only=True,
        sort=(FindSort.ADDED,),
        descending=True,
        limit=min(limit * 8, MAX_LIMIT) if group else limit,
    )
    page = await find(request, who, query)
    chosen: list[str] = []
    for found in page.items:
        kind = found.summary.kind
        key: str = found.summary.id
        if group and kind is ItemKind.EPISODE:
            key = found.top_id
        elif group and kind is ItemKind.TRACK and found.summary.parent_id:
            key = found.summary.parent_id
        if key not in chosen:
            chosen.append(key)
        if len(chosen) == limit:
            break
    rows = await _by_ids(request, who, chosen)
    ctx = context(request, who, params)
    return jellyfin_json([item_dto(found, ctx) for found in rows])


async def _by_ids(request: web.Request, who: Actor, ids: list[str]) -> list[FoundItem]:
    """Items in the order of ``ids``, each still visible to the caller."""
    if not ids:
        return []
    page = await find(request, who, FindQuery(ids=tuple(ids), limit=min(len(ids), MAX_LIMIT)))
    by_id: dict[str, FoundItem] = {found.summary.id: found for found in page.items}
    return [by_id[i] for i in ids if i in by_id]


async def resume(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    params = Params(request)
    kinds = kinds_of(params, "IncludeItemTypes")
    media = media_kinds(params)
    wanted = RESUME_KINDS
    for narrowing in (kinds, media):
        if narrowing is not None:
            wanted = wanted & narrowing
    query = FindQuery(
        kinds=wanted,
        library_id=await _library_of(request, who, params),
        resumable=True,
        sort=(FindSort.PLAYED_AT,),
        descending=True,
        offset=params.number("StartIndex", 0),
        limit=max(1, min(params.number("Limit", 100), MAX_LIMIT)),
    )
    return jellyfin_json(await listed(request, query, params))


async def next_up(request: web.Request) -> web.StreamResponse:
    """For each show watched lately, the episode after the last one played; for one show asked by SeriesId
    and not started, its first unwatched episode."""
    who = actor(request)
    check_user(request, who)
    params = Params(request)
    series = params.one_id("SeriesId")
    limit = max(1, min(params.number("Limit", 20), 100))
    played = await find(
        request,
        who,
        FindQuery(
            kinds=frozenset({ItemKind.EPISODE}),
            ancestor_id=series,
            played=True,
            sort=(FindSort.PLAYED_AT,),
            descending=True,
            limit=MAX_LIMIT,
        ),
    )
    last_of_show: dict[str, str] = {}
    for found in played.items:
        last_of_show.setdefault(found.top_id, found.summary.id)
    chosen: list[str] = []
    for episode in list(last_of_show.values())[:limit]:
        following = await call(request, services(request).playstate.next_episode, who, episode)
        if following is not None and following not in chosen:
            chosen.append(following)
    if series is not None and not last_of_show:
        first = await find(
            request,
            who,
            FindQuery(
                kinds=frozenset({ItemKind.EPISODE}),
                ancestor_id=series,
                played=False,
                sort=(FindSort.PARENT_INDEX, FindSort.INDEX),
                limit=1,
            ),
        )
        chosen = [found.summary.id for found in first.items]
    rows = [found for found in await _by_ids(request, who, chosen) if not found.marks.watched]
    ctx = context(request, who, params)
    start = params.number("StartIndex", 0)
    return jellyfin_json(envelope([item_dto(f, ctx) for f in rows[start:]], len(rows), start))


async def seasons(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    params = Params(request)
    query = FindQuery(
        kinds=frozenset({ItemKind.SEASON}),
        parent_id=from_jellyfin(request.match_info["series_id"]),
        sort=(FindSort.INDEX, FindSort.TITLE),
        limit=MAX_LIMIT,
    )
    return jellyfin_json(await listed(request, query, params))


async def episodes(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    params = Params(request)
    series = from_jellyfin(request.match_info["series_id"])
    season = params.one_id("SeasonId")
    query = FindQuery(
        kinds=frozenset({ItemKind.EPISODE}),
        ancestor_id=series,
        sort=(FindSort.PARENT_INDEX, FindSort.INDEX, FindSort.TITLE),
        offset=params.number("StartIndex", 0),
        limit=max(1, min(params.number("Limit", MAX_LIMIT), MAX_LIMIT)),
    )
    if season is not None:
        # The season must be visible itself, and in this show.
        query = dataclasses.replace(query, parent_id=season)
    start = params.one_id("StartItemId")
    if start is not None:
        return jellyfin_json(await _episodes_from(request, query, start, params))
    return jellyfin_json(await listed(request, query, params))


async def _episodes_from(
    request: web.Request, query: FindQuery, start: str, params: Params
) -> dict[str, Any]:
    """`StartItemId`: the show's episodes from that one on, as apps ask to play on from an episode; then
    StartIndex and Limit page what is left. An episode not in the list leaves nothing, as in Jellyfin."""
    who = actor(request)
    page = await find(request, who, dataclasses.replace(query, offset=0, limit=MAX_LIMIT))
    found = list(page.items)
    rest = found[next((i for i, f in enumerate(found) if f.summary.id == start), len(found)) :]
    offset = query.offset
    shown = rest[offset : offset + query.limit] if params.number("Limit", 1) > 0 else []
    ctx = context(request, who, params)
    return envelope((item_dto(f, ctx) for f in shown), len(rest), offset)


async def similar(request: web.Request) -> web.StreamResponse:
    """No similarity data yet: an honest empty list, after the same 404 a hidden item gets."""
    who = actor(request)
    check_user(request, who)
    await call(request, services(request).catalogue.found, who, from_jellyfin(request.match_info["item_id"]))
    return jellyfin_json(envelope([], 0, 0))


async def intros(request: web.Request) -> web.StreamResponse:
    """Reelhouse plays no intros: an empty list, after the 404 a hidden item gets."""
    return await similar(request)


async def local_trailers(request: web.Request) -> web.StreamResponse:
    """Trailers are extras here (SpecialFeatures): none apart, a bare empty array, after the same 404."""
    who = actor(request)
    check_user(request, who)
    await call(request, services(request).catalogue.found, who, from_jellyfin(request.match_info["item_id"]))
    return jellyfin_json([])


async def suggestions(request: web.Request) -> web.StreamResponse:
    """No suggestions yet: an honest empty list."""
    check_user(request, actor(request))
    return jellyfin_json(envelope([], 0, 0))


async def special_features(request: web.Request) -> web.StreamResponse:
    """A title's extras (featurettes, trailers found beside it), as a bare array like Jellyfin's."""
    who = actor(request)
    check_user(request, who)
    query = FindQuery(
        kinds=frozenset({ItemKind.EXTRA}),
        parent_id=from_jellyfin(request.match_info["item_id"]),
        sort=(FindSort.TITLE,),
        limit=MAX_LIMIT,
    )
    page = await find(request, who, query)
    ctx = context(request, who, Params(request))
    return jellyfin_json([item_dto(found, ctx) for found in page.items])


async def artists(request: web.Request) -> web.StreamResponse:
    """Artists (album artists are the same people in Reelhouse's music model)."""
    who = actor(request)
    check_user(request, who)
    params = Params(request)
    libraries = await visible_libraries(request, who)
    query = find_query(
        params, libraries, kinds=frozenset({ItemKind.ARTIST}), parent_id=None, ancestor_id=None
    )
    return jellyfin_json(await listed(request, query, params))


async def _filter_genres(request: web.Request) -> list[str]:
    who = actor(request)
    check_user(request, who)
    library_id = await _library_of(request, who, Params(request))
    libraries = [lib for lib in await visible_libraries(request, who) if library_id in (None, lib.id)]
    return sorted(await genre_names(request, who, libraries), key=str.casefold)


async def filters(request: web.Request) -> web.StreamResponse:
    """What an app's filter menu offers: the genres of what the caller sees (in one library with ParentId).
    Years, ratings and tags are not offered yet: empty lists, which apps show as nothing to choose."""
    names = await _filter_genres(request)
    return jellyfin_json({"Genres": names, "Tags": [], "OfficialRatings": [], "Years": []})


async def filters2(request: web.Request) -> web.StreamResponse:
    """The newer form: genres with the ids /Genres hands out, which `GenreIds` takes."""
    names = await _filter_genres(request)
    return jellyfin_json({"Genres": [{"Name": n, "Id": genre_id(n)} for n in names], "Tags": []})


async def genres(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    params = Params(request)
    library_id = await _library_of(request, who, params)
    libraries = [lib for lib in await visible_libraries(request, who) if library_id in (None, lib.id)]
    names = await genre_names(request, who, libraries)
    term = (params.text("SearchTerm") or "").casefold()
    found = sorted((n for n in names if term in n.casefold()), key=str.casefold)
    start = params.number("StartIndex", 0)
    limit = max(0, min(params.number("Limit", MAX_LIMIT), MAX_LIMIT))
    ctx = context(request, who, params)
    body: list[dict[str, Any]] = [
        {
            "Id": genre_id(name),
            "Name": name,
            "ServerId": ctx.server_id,
            "Type": "MusicGenre" if names[name] else "Genre",
            "IsFolder": True,
            "ImageTags": {},
            "BackdropImageTags": [],
        }
        for name in found[start : start + limit]
    ]
    return jellyfin_json(envelope(body, len(found), start))


def _r(method: str, path: str, handler: Any, summary: str, access: Any = Access.USER) -> Route:
    return Route(method, path, handler, f"Jellyfin: {summary}", access, TAG)


# Fixed paths come before the {item_id} ones they would otherwise match (routes match in this order).
ROUTES = [
    _r("GET", "/UserViews", views, "one CollectionFolder per library the caller sees"),
    _r("GET", "/Users/{user_id}/Views", views, "the caller's libraries (legacy path)"),
    _r("GET", "/Library/MediaFolders", media_folders, "every library, for admins", Action.MANAGE_LIBRARIES),
    _r("GET", "/Items/Latest", latest, "newest items, grouped by show and album (a bare array)"),
    _r("GET", "/Items/Suggestions", suggestions, "suggestions (none yet)"),
    _r("GET", "/Items/Filters", filters, "genres an app's filter menu offers"),
    _r("GET", "/Items/Filters2", filters2, "genres with their ids for an app's filter menu"),
    _r("GET", "/Users/{user_id}/Items/Latest", latest, "newest items (legacy path)"),
    _r("GET", "/UserItems/Resume", resume, "items the caller has started and not finished"),
    _r("GET", "/Users/{user_id}/Items/Resume", resume, "items to resume (legacy path)"),
    _r("GET", "/Items", items, "items the caller sees, filtered, sorted and paged"),
    _r("GET", "/Users/{user_id}/Items", items, "items the caller sees (legacy path)"),
    _r("GET", "/Items/{item_id}", one_item, "one item the caller sees"),
    _r("GET", "/Users/{user_id}/Items/{item_id}", one_item, "one item (legacy path)"),
    _r("GET", "/Items/{item_id}/Similar", similar, "items like this one (none yet)"),
    _r("GET", "/Items/{item_id}/InstantMix", similar, "a mix from this item (none yet)"),
    _r("GET", "/Items/{item_id}/SpecialFeatures", special_features, "a title's extras (a bare array)"),
    _r("GET", "/Users/{user_id}/Items/{item_id}/SpecialFeatures", special_features, "extras (legacy path)"),
    _r("GET", "/Items/{item_id}/Intros", intros, "intros to play first (none)"),
    _r("GET", "/Users/{user_id}/Items/{item_id}/Intros", intros, "intros (legacy path)"),
    _r("GET", "/Items/{item_id}/LocalTrailers", local_trailers, "trailers apart from extras (none)"),
    _r("GET", "/Users/{user_id}/Items/{item_id}/LocalTrailers", local_trailers, "trailers (legacy path)"),
    _r("GET", "/Shows/NextUp", next_up, "the next episode of each show being watched"),
    _r("GET", "/Shows/{series_id}/Seasons", seasons, "a show's seasons"),
    _r("GET", "/Shows/{series_id}/Episodes", episodes, "a show's episodes, or one season's"),
    _r("GET", "/Artists", artists, "music artists the caller sees"),
    _r("GET", "/Artists/AlbumArtists", artists, "album artists the caller sees"),
    _r("GET", "/Genres", genres, "genres of what the caller sees"),
]
