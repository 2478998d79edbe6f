"""Subsonic's playlists and play queue, on PlaylistService: the caller's own alone (another user's playlist is
error 70, as a missing one), and what they hold is read through the caller's scope, so a song they can no
longer see is left out of the entries and of the counts. Only songs go in: anything else is error 70."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from reelhouse.domain.finding import FindQuery, FoundItem
from reelhouse.domain.library import ItemKind
from reelhouse.errors import InvalidInput, PermissionDenied
from reelhouse.services.playlists import MAX_ENTRIES, PlaylistService, PlaylistView
from reelhouse.web.compat.subsonic import mapping
from reelhouse.web.compat.subsonic.answers import answer
from reelhouse.web.compat.subsonic.common import find, given_params, number, required
from reelhouse.web.context import actor, call, services

SONGS = frozenset({ItemKind.TRACK.value})
# A find asks for at most this many ids at once.
_CHUNK = 1000


def _service(request: web.Request) -> PlaylistService:
    found = services(request).playlists
    assert found is not None, "app.py wires the playlist service"
    return found


def _ids(given: MultiDictProxy[str], name: str) -> list[str]:
    found = [mapping.item_id(v.strip())[:64] for v in given.getall(name, []) if v.strip()]
    if len(found) > MAX_ENTRIES:
        raise InvalidInput(f"At most {MAX_ENTRIES} songs at once.", name)
    return found


def _playlist_id(given: MultiDictProxy[str], name: str) -> str:
    return mapping.item_id(required(given, name))[:64]


async def _songs(request: web.Request, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Songs in the given order, repeats kept; the scope applies again here, as everywhere."""
    unique = list(dict.fromkeys(ids))
    found: dict[str, FoundItem] = {}
    for start in range(0, len(unique), _CHUNK):
        chunk = tuple(unique[start : start + _CHUNK])
        page = await find(request, FindQuery(ids=chunk, limit=len(chunk)))
        found.update({str(f.summary.id): f for f in page.items})
    return [mapping.song(found[i]) for i in ids if i in found and found[i].summary.kind is ItemKind.TRACK]


def _record(view: PlaylistView) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "comment": view.comment or None,
        "owner": view.owner,
        # Playlists are their owner's alone: never public, whatever an app asks.
        "public": False,
        "songCount": view.entry_count,
        "duration": int(view.duration),
        "created": mapping.iso(view.created_at),
        "changed": mapping.iso(view.changed_at),
    }


async def _with_entries(request: web.Request, playlist_id: str) -> dict[str, Any]:
    view, entries = await call(request, _service(request).get, actor(request), playlist_id)
    songs = await _songs(request, entries)
    record = _record(view) | {"entry": songs}
    # Counted from what is shown, so the totals never tell of an entry the answer leaves out.
    record["songCount"] = len(songs)
    record["duration"] = sum(int(s.get("duration", 0)) for s in songs)
    return {k: v for k, v in record.items() if v is not None}


async def get_playlists(request: web.Request) -> web.StreamResponse:
    given = await given_params(request)
    who = actor(request)
    asked = given.get("username", "").strip()
    if asked and asked.casefold() != who.username.casefold():
        raise PermissionDenied("Only your own playlists are yours to see.")
    views = await call(request, _service(request).mine, who)
    records = [{k: v for k, v in _record(v).items() if v is not None} for v in views]
    return answer(request, playlists={"playlist": records})


async def get_playlist(request: web.Request) -> web.StreamResponse:
    given = await given_params(request)
    return answer(request, playlist=await _with_entries(request, _playlist_id(given, "id")))


async def create_playlist(request: web.Request) -> web.StreamResponse:
    """With `playlistId`, replaces that playlist's songs (and renames it if `name` is given); otherwise makes
    a new one named `name`."""
    given = await given_params(request)
    songs = _ids(given, "songId")
    service = _service(request)
    who = actor(request)
    existing = given.get("playlistId", "").strip()
    if existing:
        playlist_id = mapping.item_id(existing)[:64]
        name = given.get("name", "").strip() or None
        await call(request, service.update, who, playlist_id, name=name, replace=songs, kinds=SONGS)
    else:
        name = required(given, "name")
        playlist_id = await call(request, service.create, who, name, songs, kinds=SONGS)
    return answer(request, playlist=await _with_entries(request, playlist_id))


async def update_playlist(request: web.Request) -> web.StreamResponse:
    given = await given_params(request)
    playlist_id = _playlist_id(given, "playlistId")
    removals: list[int] = []
    for raw in given.getall("songIndexToRemove", []):
        try:
            removals.append(int(raw))
        except ValueError:
            raise InvalidInput("'songIndexToRemove' must be a whole number.", "songIndexToRemove") from None
    name = given.get("name")
    comment = given.get("comment")
    await call(
        request,
        _service(request).update,
        actor(request),
        playlist_id,
        name=name if name is not None and name.strip() else None,
        comment=comment,
        add=_ids(given, "songIdToAdd"),
        remove_indexes=removals,
        kinds=SONGS,
    )
    return answer(request)


async def delete_playlist(request: web.Request) -> web.StreamResponse:
    given = await given_params(request)
    await call(request, _service(request).delete, actor(request), _playlist_id(given, "id"))
    return answer(request)


async def save_play_queue(request: web.Request) -> web.StreamResponse:
    given = await given_params(request)
    songs = _ids(given, "id")
    raw_current = given.get("current", "").strip()
    current = mapping.item_id(raw_current)[:64] if raw_current else (songs[0] if songs else None)
    position = number(given, "position", 0, 0, 10**12)
    client = given.get("c", "").strip() or "unknown"
    await call(
        request, _service(request).save_queue, actor(request), songs, current, position, client, kinds=SONGS
    )
    return answer(request)


async def get_play_queue(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    queue = await call(request, _service(request).queue, who)
    if queue is None:
        return answer(request)
    record = {
        "current": queue.current,
        "position": queue.position_ms,
        "username": who.username,
        "changed": mapping.iso(queue.changed_at),
        "changedBy": queue.changed_by,
        "entry": await _songs(request, queue.item_ids),
    }
    return answer(request, playQueue={k: v for k, v in record.items() if v is not None})
