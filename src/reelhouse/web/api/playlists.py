"""The caller's own playlists: the same PlaylistService that serves Subsonic's apps, so a list made in one is
the list seen in the other. Another user's playlist answers 404, as a missing one; entries the caller can no
longer see are left out of what they read."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from reelhouse.services.playlists import MAX_COMMENT, MAX_ENTRIES, MAX_NAME, PlaylistService, PlaylistView
from reelhouse.web.api.account_schemas import Strict
from reelhouse.web.context import actor, call, json_response, parse_body, services
from reelhouse.web.routing import Access, Route

ItemIds = list[str]


class PlaylistIn(Strict):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    comment: str = Field("", max_length=MAX_COMMENT)
    item_ids: ItemIds = Field(default_factory=list, max_length=MAX_ENTRIES)


class PlaylistMoveIn(Strict):
    from_index: int = Field(alias="from", ge=0)
    to: int = Field(ge=0)


class PlaylistChangeIn(Strict):
    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    comment: str | None = Field(None, max_length=MAX_COMMENT)
    # Indexes into item_ids as the caller last read them; removals happen before additions.
    remove_indexes: list[int] = Field(default_factory=list, max_length=MAX_ENTRIES)
    add: ItemIds = Field(default_factory=list, max_length=MAX_ENTRIES)
    # Every entry at once, in order (replacing what was there); null leaves the entries as they are.
    item_ids: ItemIds | None = Field(None, max_length=MAX_ENTRIES)
    # One seen entry moved from one index to another, as item_ids was last read; hidden entries keep their places.
    move: PlaylistMoveIn | None = None


class PlaylistOut(BaseModel):
    id: str
    name: str
    comment: str
    created_at: float
    changed_at: float
    # Only what the caller can see.
    entry_count: int
    duration: float


class PlaylistDetailOut(PlaylistOut):
    item_ids: list[str]


def _service(request: web.Request) -> PlaylistService:
    found = services(request).playlists
    assert found is not None, "app.py wires the playlist service"
    return found


def _out(view: PlaylistView) -> PlaylistOut:
    return PlaylistOut(
        id=view.id,
        name=view.name,
        comment=view.comment,
        created_at=view.created_at,
        changed_at=view.changed_at,
        entry_count=view.entry_count,
        duration=view.duration,
    )


async def _detail(request: web.Request, playlist_id: str, status: int = 200) -> web.Response:
    view, entries = await call(request, _service(request).get, actor(request), playlist_id)
    return json_response(PlaylistDetailOut(**_out(view).model_dump(), item_ids=entries), status=status)


async def list_playlists(request: web.Request) -> web.StreamResponse:
    views = await call(request, _service(request).mine, actor(request))
    return json_response([_out(v) for v in views])


async def create_playlist(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, PlaylistIn)
    made = await call(
        request, _service(request).create, actor(request), body.name, body.item_ids, body.comment
    )
    return await _detail(request, made, 201)


async def get_playlist(request: web.Request) -> web.StreamResponse:
    return await _detail(request, request.match_info["playlist_id"])


async def change_playlist(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, PlaylistChangeIn)
    playlist_id = request.match_info["playlist_id"]
    await call(
        request,
        _service(request).update,
        actor(request),
        playlist_id,
        name=body.name,
        comment=body.comment,
        add=body.add,
        remove_indexes=body.remove_indexes,
        replace=body.item_ids,
        move=(body.move.from_index, body.move.to) if body.move else None,
    )
    return await _detail(request, playlist_id)


async def delete_playlist(request: web.Request) -> web.StreamResponse:
    await call(request, _service(request).delete, actor(request), request.match_info["playlist_id"])
    return web.Response(status=204)


_T = "playlists"
_ONE = "/api/playlists/{playlist_id}"
ROUTES = [
    Route(
        "GET",
        "/api/playlists",
        list_playlists,
        "The caller's own playlists",
        Access.USER,
        _T,
        response=PlaylistOut,
        response_list=True,
    ),
    Route(
        "POST",
        "/api/playlists",
        create_playlist,
        "Make a playlist of items the caller can see",
        Access.USER,
        _T,
        body=PlaylistIn,
        response=PlaylistDetailOut,
        status=201,
    ),
    Route(
        "GET",
        _ONE,
        get_playlist,
        "One of the caller's playlists",
        Access.USER,
        _T,
        response=PlaylistDetailOut,
    ),
    Route(
        "PUT",
        _ONE,
        change_playlist,
        "Rename a playlist, add, remove or replace its entries",
        Access.USER,
        _T,
        body=PlaylistChangeIn,
        response=PlaylistDetailOut,
    ),
    Route(
        "DELETE", _ONE, delete_playlist, "Delete one of the caller's playlists", Access.USER, _T, status=204
    ),
]
