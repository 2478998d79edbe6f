"""Reading Jellyfin's item-list parameters: names in any case, booleans as True/true/1, lists split by commas
(pipes for genres and years), ids in either GUID form; a value Jellyfin would refuse is a 400 here too."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from typing import Any

from aiohttp import web

from reelhouse.domain.access import Action, Actor, can
from reelhouse.domain.finding import FindQuery, FindSort, FoundItem, Needs
from reelhouse.domain.library import TOP_LEVEL_KINDS, ItemKind, Library, LibraryKind, Page
from reelhouse.errors import InvalidInput, NotFound
from reelhouse.services.catalogue import CatalogueService
from reelhouse.services.libraries import LibraryService
from reelhouse.web.compat.jellyfin.answers import jellyfin_json
from reelhouse.web.compat.jellyfin.ids import from_jellyfin, to_jellyfin
from reelhouse.web.compat.jellyfin.images import minted_tags
from reelhouse.web.compat.jellyfin.mapping import (
    DETAIL_FIELDS,
    DtoContext,
    envelope,
    item_dto,
    server_id,
    view_dto,
)
from reelhouse.web.context import actor, call, services

MAX_LIMIT = 1000

# Every BaseItemKind Jellyfin knows, lower-cased, with the Reelhouse kinds it stands for (most stand for none).
KINDS: dict[str, frozenset[ItemKind]] = {
    "movie": frozenset({ItemKind.MOVIE}),
    "series": frozenset({ItemKind.SHOW}),
    "season": frozenset({ItemKind.SEASON}),
    "episode": frozenset({ItemKind.EPISODE}),
    "musicartist": frozenset({ItemKind.ARTIST}),
    "musicalbum": frozenset({ItemKind.ALBUM}),
    "audio": frozenset({ItemKind.TRACK}),
    "photo": frozenset({ItemKind.PHOTO}),
    "video": frozenset({ItemKind.VIDEO, ItemKind.EXTRA}),
    **{
        name: frozenset()
        for name in (
            "aggregatefolder audiobook basepluginfolder book boxset channel channelfolderitem collectionfolder "
            "folder genre manualplaylistsfolder livetvchannel livetvprogram musicgenre musicvideo person "
            "photoalbum playlist playlistsfolder program recording studio trailer tvchannel tvprogram "
            "userrootfolder userview year"
        ).split()
    },
}
MEDIA_KINDS: dict[str, frozenset[ItemKind]] = {
    "video": frozenset({ItemKind.MOVIE, ItemKind.EPISODE, ItemKind.VIDEO, ItemKind.EXTRA}),
    "audio": frozenset({ItemKind.TRACK}),
    "photo": frozenset({ItemKind.PHOTO}),
    "book": frozenset(),
    "unknown": frozenset(),
}
# Jellyfin's ItemSortBy values; those Reelhouse has no data for order by name.
SORTS: dict[str, FindSort] = {
    "default": FindSort.TITLE,
    "sortname": FindSort.TITLE,
    "name": FindSort.TITLE,
    "datecreated": FindSort.ADDED,
    "datelastcontentadded": FindSort.ADDED,
    "premieredate": FindSort.YEAR,
    "productionyear": FindSort.YEAR,
    "communityrating": FindSort.RATING,
    "criticrating": FindSort.RATING,
    "dateplayed": FindSort.PLAYED_AT,
    "seriesdateplayed": FindSort.PLAYED_AT,
    "playcount": FindSort.PLAY_COUNT,
    "runtime": FindSort.RUNTIME,
    "indexnumber": FindSort.INDEX,
    "airedepisodeorder": FindSort.INDEX,
    "parentindexnumber": FindSort.PARENT_INDEX,
    "album": FindSort.PARENT_TITLE,
    "albumartist": FindSort.TOP_TITLE,
    "artist": FindSort.TOP_TITLE,
    "seriessortname": FindSort.TOP_TITLE,
    "random": FindSort.RANDOM,
    **{
        name: FindSort.TITLE
        for name in (
            "officialrating starttime isfolder isunplayed isplayed videobitrate airtime studio "
            "isfavoriteorliked similarityscore searchscore"
        ).split()
    },
}
FILTERS = {
    "isplayed",
    "isunplayed",
    "isresumable",
    "isfavorite",
    "isfolder",
    "isnotfolder",
    "likes",
    "dislikes",
    "isfavoriteorlikes",
}


class Params:
    """A request's query with names compared case-blind, as Jellyfin's server does."""

    def __init__(self, request: web.Request) -> None:
        self._values: dict[str, str] = {}
        for key, value in request.query.items():
            self._values.setdefault(key.lower(), value)

    def text(self, name: str) -> str | None:
        value = self._values.get(name.lower())
        return value if value not in (None, "") else None

    def flag(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise InvalidInput(f"{name} must be true or false.", name)

    def number(self, name: str, default: int) -> int:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise InvalidInput(f"{name} must be a whole number.", name) from None
        if number < 0:
            raise InvalidInput(f"{name} must not be negative.", name)
        return number

    def words(self, name: str, separators: str = ",") -> list[str]:
        value = self.text(name) or ""
        for separator in separators[1:]:
            value = value.replace(separator, separators[0])
        return [part.strip() for part in value.split(separators[0]) if part.strip()]

    def ids(self, name: str) -> tuple[str, ...] | None:
        """Ids in a list filter; one that cannot be an id matches nothing, as a deleted one would."""
        found = []
        for word in self.words(name):
            try:
                found.append(from_jellyfin(word))
            except NotFound:
                continue
        return tuple(found) if self.text(name) is not None else None

    def one_id(self, name: str) -> str | None:
        value = self.text(name)
        return None if value is None else from_jellyfin(value)


def kinds_of(params: Params, name: str) -> frozenset[ItemKind] | None:
    words = params.words(name)
    if not words:
        return None
    found: set[ItemKind] = set()
    for word in words:
        kinds = KINDS.get(word.lower())
        if kinds is None:
            raise InvalidInput(f"{word!r} is not an item type.", name)
        found |= kinds
    return frozenset(found)


def media_kinds(params: Params) -> frozenset[ItemKind] | None:
    words = params.words("MediaTypes")
    if not words:
        return None
    found: set[ItemKind] = set()
    for word in words:
        kinds = MEDIA_KINDS.get(word.lower())
        if kinds is None:
            raise InvalidInput(f"{word!r} is not a media type.", "MediaTypes")
        found |= kinds
    return frozenset(found)


def _narrow(a: frozenset[ItemKind] | None, b: frozenset[ItemKind] | None) -> frozenset[ItemKind] | None:
    if a is None:
        return b
    return a if b is None else a & b


def check_user(request: web.Request, who: Actor) -> None:
    """A user id in the path or query must be the caller's own (an admin may name anyone, and still sees
    only what they may see themselves); any other user is, to the caller, one that does not exist."""
    for value in (request.match_info.get("user_id"), Params(request).text("UserId")):
        if value is not None and from_jellyfin(value) != who.user_id and not who.is_admin:
            raise NotFound("No such user.")


def context(request: web.Request, who: Actor, params: Params | None = None) -> DtoContext:
    fields = frozenset(f.lower() for f in params.words("Fields")) if params else frozenset()
    # One minter per answer: a page of items shares the viewer's part of every tag.
    tags = functools.partial(minted_tags, services(request).media.image_tags.minter(who))
    return DtoContext(server_id(request), fields, can(who, Action.DOWNLOAD), images=tags)


async def visible_libraries(request: web.Request, who: Actor) -> list[Library]:
    return list(await call(request, services(request).libraries.visible, who))


def sort_of(params: Params, default: tuple[FindSort, ...]) -> tuple[tuple[FindSort, ...], bool]:
    sorts: list[FindSort] = []
    for word in params.words("SortBy"):
        sort = SORTS.get(word.lower())
        if sort is None:
            raise InvalidInput(f"{word!r} is not a sort order Jellyfin knows.", "SortBy")
        if sort not in sorts:
            sorts.append(sort)
    orders = [o.lower() for o in params.words("SortOrder")]
    if any(o not in ("ascending", "descending") for o in orders):
        raise InvalidInput("SortOrder must be Ascending or Descending.", "SortOrder")
    return (tuple(sorts) or default), bool(orders) and orders[0] == "descending"


def find_query(params: Params, libraries: list[Library], **overrides: Any) -> FindQuery | None:
    """The FindQuery an /Items request stands for; None when it can match nothing (people by name, for now, or
    played and unplayed at once)."""
    if params.text("Person"):
        return None  # people by name: not matched yet, so honestly nothing
    filters = {f.lower() for f in params.words("Filters")}
    unknown = filters - FILTERS
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]!r} is not a filter.", "Filters")
    kinds = _narrow(kinds_of(params, "IncludeItemTypes"), media_kinds(params))
    recursive = bool(params.flag("Recursive"))
    library_id = parent_id = ancestor_id = None
    parent = params.one_id("ParentId")
    library = next((lib for lib in libraries if lib.id == parent), None)
    if library is not None:
        library_id = library.id
        if not recursive:
            kinds = _narrow(kinds, frozenset(TOP_LEVEL_KINDS[library.kind]))
    elif parent is not None:
        parent_id, ancestor_id = (None, parent) if recursive else (parent, None)
    played = params.flag("IsPlayed")
    if {"isplayed", "isunplayed"} <= filters:
        return None  # played and unplayed at once: nothing is both
    if "isplayed" in filters:
        played = True
    if "isunplayed" in filters:
        played = False
    favourite = params.flag("IsFavorite")
    if filters & {"isfavorite", "isfavoriteorlikes", "likes"}:
        favourite = True
    folders = params.flag("IsFolder")
    if "isfolder" in filters:
        folders = True
    if "isnotfolder" in filters:
        folders = False
    years = []
    for word in params.words("Years", ",|"):
        try:
            years.append(int(word))
        except ValueError:
            raise InvalidInput(f"{word!r} is not a year.", "Years") from None
    sort, descending = sort_of(params, (FindSort.TITLE,))
    artists = params.ids("ArtistIds")
    if artists is None:
        artists = params.ids("AlbumArtistIds")
    text = params.text("SearchTerm")
    if text is not None and len(text) > 200:
        raise InvalidInput("SearchTerm is limited to 200 characters.", "SearchTerm")
    query = FindQuery(
        kinds=kinds,
        exclude_kinds=kinds_of(params, "ExcludeItemTypes") or frozenset(),
        library_id=library_id,
        parent_id=parent_id,
        ancestor_id=ancestor_id,
        ids=params.ids("Ids"),
        text=text.strip() if text else None,
        name_starts_with=params.text("NameStartsWith"),
        genres=tuple(params.words("Genres", "|")),
        years=tuple(years),
        top_ids=artists,
        parent_ids=params.ids("AlbumIds"),
        person_ids=params.ids("PersonIds"),
        played=played,
        resumable="isresumable" in filters,
        favourite=favourite,
        folders=folders,
        present_only=params.flag("IsMissing") is False,
        sort=sort,
        descending=descending,
        offset=params.number("StartIndex", 0),
        limit=max(1, min(params.number("Limit", MAX_LIMIT), MAX_LIMIT)),
    )
    return dataclasses.replace(query, **overrides) if overrides else query


async def find(request: web.Request, who: Actor, query: FindQuery) -> Page[FoundItem]:
    return await call(request, services(request).catalogue.find, who, query)


async def listed(request: web.Request, query: FindQuery | None, params: Params) -> dict[str, Any]:
    """The envelope for a query; `Limit=0` asks only for the count."""
    who = actor(request)
    ctx = context(request, who, params)
    return await call(request, _listed_now, services(request).catalogue, who, query, params, ctx)


def _listed_now(
    catalogue: CatalogueService, who: Actor, query: FindQuery | None, params: Params, ctx: DtoContext
) -> dict[str, Any]:
    """Found and mapped in one trip off the loop: a page of 100 DTOs is work the loop should not wait on."""
    if query is None:
        return envelope([], 0, params.number("StartIndex", 0))
    # The plot and genres cost a column and a query per page; read them only when the app asked for them.
    page = catalogue.find(who, query, Needs(details=bool(ctx.fields & {"overview", "genres"})))
    wanted = page.items if params.number("Limit", 1) > 0 else ()
    return envelope((item_dto(found, ctx) for found in wanted), page.total, page.offset)


async def items(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    params = Params(request)
    if params.words("GenreIds", ",|"):
        return await _items_by_genre_ids(request, who, params)
    # The libraries, the page and its DTOs in one trip to the executor, as our own API's page is one trip.
    ctx = context(request, who, params)
    svc = services(request)
    return jellyfin_json(await call(request, _items_now, svc.libraries, svc.catalogue, who, params, ctx))


def _is_root(params: Params) -> bool:
    """An app's first look, with nothing to narrow it: the top folders, one per library the caller sees."""
    return not any(params.text(n) for n in ("ParentId", "Ids", "SearchTerm")) and not params.flag("Recursive")


def _items_now(
    libraries_of: LibraryService, catalogue: CatalogueService, who: Actor, params: Params, ctx: DtoContext
) -> dict[str, Any]:
    libraries = list(libraries_of.visible(who))
    if _is_root(params):
        return envelope([view_dto(lib, ctx) for lib in libraries], len(libraries), 0)
    return _listed_now(catalogue, who, find_query(params, libraries), params, ctx)


async def _items_by_genre_ids(request: web.Request, who: Actor, params: Params) -> web.StreamResponse:
    libraries = await visible_libraries(request, who)
    if _is_root(params):
        ctx = context(request, who, params)
        return jellyfin_json(envelope([view_dto(lib, ctx) for lib in libraries], len(libraries), 0))
    query = find_query(params, libraries)
    wanted = {word.replace("-", "").lower() for word in params.words("GenreIds", ",|")}
    if query is not None:
        names = await genre_names(request, who, libraries)
        chosen = tuple(sorted(name for name in names if genre_id(name) in wanted))
        # A genre id that names no genre the caller sees matches nothing, as an unknown genre does.
        query = dataclasses.replace(query, genres=query.genres + (chosen or ("",)))
    return jellyfin_json(await listed(request, query, params))


def genre_id(name: str) -> str:
    """Genres are names, not rows: a stable 32-hex id from the name."""
    return hashlib.md5(name.encode("utf-8"), usedforsecurity=False).hexdigest()


async def genre_names(request: web.Request, who: Actor, libraries: list[Library]) -> dict[str, bool]:
    """Every genre of what the caller sees, each with whether it is in a music library."""
    names: dict[str, bool] = {}
    for library in libraries:
        for name in await call(request, services(request).catalogue.genres, who, library.id):
            names[name] = names.get(name, False) or library.kind is LibraryKind.MUSIC
    return names


async def one_item(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    check_user(request, who)
    wanted = from_jellyfin(request.match_info["item_id"])
    libraries = await visible_libraries(request, who)
    library = next((lib for lib in libraries if lib.id == wanted), None)
    params = Params(request)
    if library is not None:
        return jellyfin_json(view_dto(library, context(request, who, params)))
    found, credits = await call(request, _item_and_credits, services(request).catalogue, who, wanted)
    ctx = context(request, who, params)
    dto = item_dto(found, dataclasses.replace(ctx, fields=ctx.fields | DETAIL_FIELDS))
    if credits:
        dto["People"] = credits
    return jellyfin_json(dto)


_PERSON_TYPES = {"actor": "Actor", "director": "Director", "writer": "Writer"}


def _item_and_credits(
    catalogue: CatalogueService, who: Actor, item_id: str
) -> tuple[FoundItem, list[dict[str, Any]]]:
    """One item and its NFO cast and crew as Jellyfin's BaseItemPerson list, as Jellyfin's own server answers
    for a single item. The people are not items here: `PersonIds` finds what they are credited on."""
    found = catalogue.found(who, item_id)
    people = [
        {
            "Name": c.name,
            "Id": to_jellyfin(c.person_id),
            "Type": _PERSON_TYPES.get(c.kind, "Unknown"),
            **({"Role": c.role} if c.role else {}),
        }
        for c in catalogue.item(who, item_id).credits
    ]
    return found, people
