"""Catalogue routes: libraries, items, children, search, recently added (artwork: web/api/renditions.py)."""

from __future__ import annotations

from aiohttp import web

from reelhouse.domain.access import Action
from reelhouse.domain.library import ItemQuery
from reelhouse.services.scanning import ScanState, ScanStatus
from reelhouse.web.context import actor, call, json_response, parse_body, parse_query, services
from reelhouse.web.routing import Access, Route
from reelhouse.web.schemas import (
    BrowseQuery,
    ItemDetailOut,
    ItemOut,
    ItemPageOut,
    LibraryIn,
    LibraryOut,
    LibraryPatch,
    LyricsOut,
    PersonOut,
    PhotoFacetsOut,
    RecentQuery,
    ScanIn,
    ScanStateOut,
    SearchQuery,
)


async def list_libraries(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    found = await call(request, services(request).libraries.visible, who)
    return json_response([LibraryOut.of(lib, who.is_admin) for lib in found])


async def add_library(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, LibraryIn)
    who = actor(request)
    library = await call(
        request, services(request).libraries.add, who, body.name, body.kind, body.paths, body.seek_previews
    )
    services(request).scanning.start_for_system(library)
    return json_response(LibraryOut.of(library, True), status=201)


async def update_library(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, LibraryPatch)
    found = services(request)
    library = await call(
        request,
        found.libraries.set_seek_previews,
        actor(request),
        request.match_info["library_id"],
        body.seek_previews,
    )
    if library.seek_previews and found.seek_previews is not None:
        # Turned on: make what the last scan found now rather than after the next scan.
        await call(request, found.seek_previews.queue_library, library.id)
    return json_response(LibraryOut.of(library, True))


async def get_library(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    library = await call(request, services(request).libraries.get, who, request.match_info["library_id"])
    return json_response(LibraryOut.of(library, who.is_admin))


async def remove_library(request: web.Request) -> web.StreamResponse:
    await call(request, services(request).libraries.remove, actor(request), request.match_info["library_id"])
    return web.Response(status=204)


async def browse(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, BrowseQuery)
    query = ItemQuery(
        sort=q.sort,
        descending=q.order == "desc",
        offset=q.offset,
        limit=q.limit,
        genre=q.genre,
        year=q.year,
        kind=q.kind,
        camera=q.camera,
        taken_from=q.taken_from,
        taken_before=q.taken_before,
    )
    page = await call(
        request, services(request).catalogue.browse, actor(request), request.match_info["library_id"], query
    )
    return json_response(
        ItemPageOut(
            items=[ItemOut.of(i) for i in page.items], total=page.total, offset=page.offset, limit=page.limit
        )
    )


async def genres(request: web.Request) -> web.StreamResponse:
    found = await call(
        request, services(request).catalogue.genres, actor(request), request.match_info["library_id"]
    )
    return json_response({"genres": found})


async def photo_facets(request: web.Request) -> web.StreamResponse:
    found = await call(
        request, services(request).catalogue.photo_facets, actor(request), request.match_info["library_id"]
    )
    return json_response(PhotoFacetsOut(years=list(found.years), cameras=list(found.cameras)))


async def start_scan(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, ScanIn) if request.can_read_body else ScanIn()
    state = await call(
        request, services(request).scanning.start, actor(request), request.match_info["library_id"], body.full
    )
    return json_response(_scan_out(state), status=202)


async def scan_state(request: web.Request) -> web.StreamResponse:
    state = await call(
        request, services(request).scanning.state, actor(request), request.match_info["library_id"]
    )
    return json_response(_scan_out(state))


def _scan_out(state: ScanState | ScanStatus) -> ScanStateOut:
    if isinstance(state, ScanStatus):
        return ScanStateOut(library_id=state.library_id, running=state.running, percent=state.percent)
    out = ScanStateOut(
        library_id=state.library_id,
        running=state.running,
        percent=state.percent,
        phase=state.phase,
        done=state.done,
        total=state.total,
        started_at=state.started_at,
    )
    report = state.last_report
    if report is not None:
        out.files_seen, out.added, out.updated = report.files_seen, report.added, report.updated
        out.moved, out.missing = report.moved, report.missing
        out.errors = [{"path": e.path, "reason": e.reason} for e in report.errors[:200]]
    return out


async def item(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    detail = await call(request, services(request).catalogue.item, who, request.match_info["item_id"])
    return json_response(ItemDetailOut.of_detail(detail, who.is_admin))


async def person(request: web.Request) -> web.StreamResponse:
    found = await call(
        request, services(request).catalogue.person, actor(request), request.match_info["person_id"]
    )
    return json_response(PersonOut.of(found))


async def lyrics(request: web.Request) -> web.StreamResponse:
    found = await call(
        request, services(request).catalogue.lyrics, actor(request), request.match_info["item_id"]
    )
    return json_response(LyricsOut.of(found))


async def children(request: web.Request) -> web.StreamResponse:
    found = await call(
        request, services(request).catalogue.children, actor(request), request.match_info["item_id"]
    )
    return json_response([ItemOut.of(i) for i in found])


async def search(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, SearchQuery)
    found = await call(request, services(request).catalogue.search, actor(request), q.q, q.limit)
    return json_response([ItemOut.of(i) for i in found])


async def recent(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, RecentQuery)
    found = await call(
        request, services(request).catalogue.recently_added, actor(request), q.library_id, q.limit
    )
    return json_response([ItemOut.of(i) for i in found])


ROUTES = [
    Route(
        "GET",
        "/api/libraries",
        list_libraries,
        "Libraries the caller may see",
        Access.USER,
        "catalogue",
        response=LibraryOut,
        response_list=True,
    ),
    Route(
        "POST",
        "/api/libraries",
        add_library,
        "Add a library and start its first scan",
        Action.MANAGE_LIBRARIES,
        "libraries",
        body=LibraryIn,
        response=LibraryOut,
        status=201,
    ),
    Route(
        "GET",
        "/api/libraries/{library_id}",
        get_library,
        "One library",
        Access.USER,
        "catalogue",
        response=LibraryOut,
    ),
    Route(
        "PATCH",
        "/api/libraries/{library_id}",
        update_library,
        "Change a library's options (seek_previews: make seek preview thumbnails for its videos)",
        Action.MANAGE_LIBRARIES,
        "libraries",
        body=LibraryPatch,
        response=LibraryOut,
    ),
    Route(
        "DELETE",
        "/api/libraries/{library_id}",
        remove_library,
        "Remove a library (files are untouched)",
        Action.MANAGE_LIBRARIES,
        "libraries",
        status=204,
    ),
    Route(
        "GET",
        "/api/libraries/{library_id}/items",
        browse,
        "A page of a library's items",
        Access.USER,
        "catalogue",
        query=BrowseQuery,
        response=ItemPageOut,
    ),
    Route(
        "GET",
        "/api/libraries/{library_id}/genres",
        genres,
        "Genres present in a library",
        Access.USER,
        "catalogue",
    ),
    Route(
        "GET",
        "/api/libraries/{library_id}/photo-facets",
        photo_facets,
        "Years and cameras of a library's photos, for its filters",
        Access.USER,
        "catalogue",
        response=PhotoFacetsOut,
    ),
    Route(
        "POST",
        "/api/libraries/{library_id}/scan",
        start_scan,
        "Start a scan of a library",
        Action.MANAGE_LIBRARIES,
        "libraries",
        body=ScanIn,
        response=ScanStateOut,
        status=202,
    ),
    Route(
        "GET",
        "/api/libraries/{library_id}/scan",
        scan_state,
        "Progress of a library's scan",
        Access.USER,
        "libraries",
        response=ScanStateOut,
    ),
    Route(
        "GET",
        "/api/items/{item_id}",
        item,
        "An item with its media info",
        Access.USER,
        "catalogue",
        response=ItemDetailOut,
    ),
    Route(
        "GET",
        "/api/items/{item_id}/children",
        children,
        "Seasons, episodes, albums or tracks of an item",
        Access.USER,
        "catalogue",
        response=ItemOut,
        response_list=True,
    ),
    Route(
        "GET",
        "/api/items/{item_id}/lyrics",
        lyrics,
        "A track's lyrics, synced or not",
        Access.USER,
        "catalogue",
        response=LyricsOut,
    ),
    Route(
        "GET",
        "/api/people/{person_id}",
        person,
        "A person and the items the caller may see them in",
        Access.USER,
        "catalogue",
        response=PersonOut,
    ),
    Route(
        "GET",
        "/api/search",
        search,
        "Search every library the caller may see",
        Access.USER,
        "catalogue",
        query=SearchQuery,
        response=ItemOut,
        response_list=True,
    ),
    Route(
        "GET",
        "/api/recent",
        recent,
        "Recently added items",
        Access.USER,
        "catalogue",
        query=RecentQuery,
        response=ItemOut,
        response_list=True,
    ),
]
