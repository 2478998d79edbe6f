"""What every Subsonic method module shares: reading its parameters and asking the catalogue as the caller."""

from __future__ import annotations

import dataclasses

from aiohttp import web
from multidict import MultiDictProxy

from reelhouse.domain.access import Action, Actor, can
from reelhouse.domain.finding import FindQuery, FoundItem, Needs
from reelhouse.domain.library import Library, LibraryKind, Page
from reelhouse.errors import InvalidInput, NotFound
from reelhouse.services.catalogue import CatalogueService
from reelhouse.services.libraries import LibraryService
from reelhouse.web.compat.subsonic.answers import MissingParameter, params
from reelhouse.web.compat.subsonic.mapping import item_id, library_of
from reelhouse.web.context import actor, call, services


def required(given: MultiDictProxy[str], name: str) -> str:
    value = given.get(name, "").strip()
    if not value:
        raise MissingParameter(f"Required parameter '{name}' is missing.", name)
    return value


def number(given: MultiDictProxy[str], name: str, default: int, low: int, high: int) -> int:
    raw = given.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"'{name}' must be a whole number.", name) from None
    if not low <= value <= high:
        raise InvalidInput(f"'{name}' must be between {low} and {high}.", name)
    return value


def flag(given: MultiDictProxy[str], name: str, default: bool) -> bool:
    raw = given.get(name, "").strip().lower()
    return default if not raw else raw in ("true", "1", "yes")


def id_of(given: MultiDictProxy[str], name: str = "id") -> str:
    return item_id(required(given, name))[:64]


def _music_now(libraries: LibraryService, who: Actor) -> list[Library]:
    return [lib for lib in libraries.visible(who) if lib.kind is LibraryKind.MUSIC]


async def music_libraries(request: web.Request) -> list[Library]:
    found: list[Library] = await call(request, _music_now, services(request).libraries, actor(request))
    return found


def _folder_now(libraries: LibraryService, who: Actor, raw: str) -> str | None:
    """`musicFolderId`, as one of the caller's music libraries; an id they cannot see is error 70. Without
    one, a caller who sees a single music library lists that library: the same items (a music app's key reaches
    music alone), found through the library's browse pages and their cached anchors rather than a sort of
    every item."""
    scope = who.scope
    if not raw and not scope.all_libraries and len(scope.library_ids) == 1 and can(who, Action.BROWSE):
        # A music app's scope names exactly the user's visible music libraries (MusicAppService), so a lone
        # one is known without reading the library list; find() still reads it and checks the caller again.
        # (Were it not music, listing it is listing the whole scope, as the library list would have led to.)
        return str(next(iter(scope.library_ids)))
    visible = _music_now(libraries, who)
    if not raw:
        return str(visible[0].id) if len(visible) == 1 else None
    library = library_of(raw, visible)
    if library is None:
        raise NotFound("No such music folder.")
    return str(library.id)


async def folder_library(request: web.Request, given: MultiDictProxy[str]) -> str | None:
    raw = given.get("musicFolderId", "").strip()
    found: str | None = await call(request, _folder_now, services(request).libraries, actor(request), raw)
    return found


# Subsonic's records show an album's songs and an artist's albums (children), never what is under those, nor
# how many of them the user has not played.
LISTING = Needs(leaves=False)
# Its searches have no place for a total either.
SEARCHING = Needs(leaves=False, total=False)


async def find(request: web.Request, query: FindQuery, needs: Needs = LISTING) -> Page[FoundItem]:
    found: Page[FoundItem] = await call(
        request, services(request).catalogue.find, actor(request), query, needs
    )
    return found


def _in_folder_now(
    libraries: LibraryService,
    catalogue: CatalogueService,
    who: Actor,
    raw: str,
    query: FindQuery,
    needs: Needs,
) -> Page[FoundItem]:
    return catalogue.find(who, dataclasses.replace(query, library_id=_folder_now(libraries, who, raw)), needs)


async def find_in_folder(
    request: web.Request, given: MultiDictProxy[str], query: FindQuery, needs: Needs = LISTING
) -> Page[FoundItem]:
    """``find`` in the music folder the app asked for (folder_library), in one trip to the executor."""
    svc, raw = services(request), given.get("musicFolderId", "").strip()
    found: Page[FoundItem] = await call(
        request, _in_folder_now, svc.libraries, svc.catalogue, actor(request), raw, query, needs
    )
    return found


async def find_all(request: web.Request, query: FindQuery) -> list[FoundItem]:
    """Every page of a listing (an artist's albums, an album's songs, the artist index, the starred)."""
    out: list[FoundItem] = []
    offset = 0
    while True:
        page = await find(request, dataclasses.replace(query, offset=offset, limit=1000))
        out.extend(page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return out


async def one(request: web.Request, item: str) -> FoundItem:
    found: FoundItem = await call(request, services(request).catalogue.found, actor(request), item)
    return found


async def given_params(request: web.Request) -> MultiDictProxy[str]:
    return await params(request)
