"""Collections (a Kodi NFO's <set>): one collection's films and a library's collections, as the caller sees them."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from reelhouse.domain.people import CollectionCard, CollectionDetail
from reelhouse.web.context import actor, call, json_response, services
from reelhouse.web.routing import Access, Route
from reelhouse.web.schemas import ItemOut


class CollectionItemsOut(BaseModel):
    id: str
    name: str
    # In release order; only the items the caller may see.
    items: list[ItemOut]

    @classmethod
    def of(cls, found: CollectionDetail) -> CollectionItemsOut:
        return cls(id=found.id, name=found.name, items=[ItemOut.of(i) for i in found.items])


class CollectionCardOut(BaseModel):
    id: str
    name: str
    count: int
    # An item of the collection with a poster, for the collection's card (its artwork route applies).
    poster_item_id: str | None

    @classmethod
    def of(cls, card: CollectionCard) -> CollectionCardOut:
        return cls(id=card.id, name=card.name, count=card.count, poster_item_id=card.poster_item_id)


async def collection(request: web.Request) -> web.StreamResponse:
    found = await call(
        request, services(request).catalogue.collection, actor(request), request.match_info["collection_id"]
    )
    return json_response(CollectionItemsOut.of(found))


async def library_collections(request: web.Request) -> web.StreamResponse:
    found = await call(
        request,
        services(request).catalogue.library_collections,
        actor(request),
        request.match_info["library_id"],
    )
    return json_response([CollectionCardOut.of(c) for c in found])


ROUTES = [
    Route(
        "GET",
        "/api/collections/{collection_id}",
        collection,
        "A collection's items the caller may see, in release order",
        Access.USER,
        "catalogue",
        response=CollectionItemsOut,
    ),
    Route(
        "GET",
        "/api/libraries/{library_id}/collections",
        library_collections,
        "Collections with items the caller may see in a library",
        Access.USER,
        "catalogue",
        response=CollectionCardOut,
        response_list=True,
    ),
]
