"""Home's shelves and listings that name an item's family: next up, recently added grouped by show and album,
items by id with their show, album and the viewer's marks, and search as you type grouped by kind."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from reelhouse.domain.finding import SEARCH_GROUPS, FoundItem
from reelhouse.domain.library import Library
from reelhouse.domain.settings import home_shelves
from reelhouse.web.api.playback_schemas import LimitQuery
from reelhouse.web.context import actor, call, json_response, parse_query, services
from reelhouse.web.routing import Access, Route
from reelhouse.web.schemas import ItemOut, RecentQuery, Strict

# Few enough that the request line stays under the server's 8190-byte limit even when every character is
# percent-encoded; the web app asks in batches of this size.
MAX_IDS = 24


class ListedOut(ItemOut):
    """An item as a shelf or a row shows it: "Show — S02E05 · Title", its length and how far the viewer got."""

    parent_title: str | None
    top_title: str | None
    duration: float | None
    position: float
    watched: bool
    favourite: bool

    @classmethod
    def of_found(cls, found: FoundItem) -> ListedOut:
        return cls(
            **ItemOut.of(found.summary).model_dump(),
            parent_title=found.parent_title,
            top_title=found.top_title,
            duration=found.duration,
            position=found.marks.position,
            watched=found.marks.watched,
            favourite=found.marks.favourite,
        )


class HomeShelfOut(BaseModel):
    library_id: str
    name: str
    kind: str
    hidden: bool


class IdsQuery(Strict):
    ids: str = Field(
        min_length=1,
        max_length=MAX_IDS * 23,
        pattern=r"^[A-Za-z0-9_,-]+$",
        description=f"Up to {MAX_IDS} item ids, comma-separated",
    )


class GroupedSearchQuery(Strict):
    q: str = Field(min_length=1, max_length=200)
    per_kind: int = Field(default=6, ge=1, le=20)
    kinds: str | None = Field(
        default=None,
        max_length=120,
        pattern=r"^[a-z,]+$",
        description="Comma-separated kinds to search ("
        + ", ".join(SEARCH_GROUPS)
        + "); all of them when absent",
    )


class PersonHitOut(BaseModel):
    id: str
    name: str
    # An item crediting them that the caller sees and that has their photo: the photo's address names it.
    photo_item_id: str | None


class SearchGroupOut(BaseModel):
    kind: str
    items: list[ListedOut]


class GroupedSearchOut(BaseModel):
    groups: list[SearchGroupOut]
    people: list[PersonHitOut]


async def search_grouped(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, GroupedSearchQuery)
    kinds = tuple(k for k in (q.kinds or "").split(",") if k) or SEARCH_GROUPS
    found = await call(
        request, services(request).catalogue.search_grouped, actor(request), q.q, q.per_kind, kinds
    )
    return json_response(
        GroupedSearchOut(
            groups=[
                SearchGroupOut(kind=kind, items=[ListedOut.of_found(f) for f in items])
                for kind, items in found.groups
            ],
            people=[PersonHitOut(id=p.id, name=p.name, photo_item_id=p.photo_item_id) for p in found.people],
        )
    )


async def listed(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, IdsQuery)
    ids = [i for i in (part.strip() for part in q.ids.split(",")) if i][:MAX_IDS]
    found = await call(request, services(request).catalogue.listed, actor(request), ids)
    return json_response([ListedOut.of_found(f) for f in found])


async def next_up(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, LimitQuery)
    found = await call(request, services(request).catalogue.next_up, actor(request), q.limit)
    return json_response([ListedOut.of_found(f) for f in found])


async def recent_grouped(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, RecentQuery)
    found = await call(
        request, services(request).catalogue.recently_added_grouped, actor(request), q.library_id, q.limit
    )
    return json_response([ListedOut.of_found(f) for f in found])


async def home_shelf_list(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    libraries: dict[str, Library] = {
        lib.id: lib for lib in await call(request, svc.libraries.visible, actor(request))
    }
    settings = svc.settings.values
    shelves = home_shelves(list(libraries), settings["home_shelf_order"], settings["home_shelves_hidden"])
    return json_response(
        [
            HomeShelfOut(library_id=i, name=libraries[i].name, kind=libraries[i].kind.value, hidden=hidden)
            for i, hidden in shelves
        ]
    )


_T = "catalogue"
ROUTES = [
    Route(
        "GET",
        "/api/home/shelves",
        home_shelf_list,
        "The caller's libraries in the order of Home's shelves, each saying whether the owner hid it",
        Access.USER,
        _T,
        response=HomeShelfOut,
        response_list=True,
    ),
    Route(
        "GET",
        "/api/search/grouped",
        search_grouped,
        "Search as you type: the best matches of each kind, and people, under the caller's permissions",
        Access.USER,
        _T,
        query=GroupedSearchQuery,
        response=GroupedSearchOut,
    ),
    Route(
        "GET",
        "/api/listed",
        listed,
        "Items by id as listings show them: their show or album and the caller's marks",
        Access.USER,
        _T,
        query=IdsQuery,
        response=ListedOut,
        response_list=True,
    ),
    Route(
        "GET",
        "/api/next-up",
        next_up,
        "The next unwatched episode of each show the caller watched lately",
        Access.USER,
        _T,
        query=LimitQuery,
        response=ListedOut,
        response_list=True,
    ),
    Route(
        "GET",
        "/api/recent/grouped",
        recent_grouped,
        "Recently added, a show or album standing for its new episodes or tracks",
        Access.USER,
        _T,
        query=RecentQuery,
        response=ListedOut,
        response_list=True,
    ),
]
