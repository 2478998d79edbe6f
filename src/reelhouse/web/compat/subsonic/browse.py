"""Browsing music as Subsonic's apps do: folders, the artist index, artists, albums, songs, genres, album
lists in their orders, random songs and search. Every listing is CatalogueService.find, under the caller's
scope (a music app's credential sees only the music libraries the user sees); hidden answers as missing (70)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from reelhouse.domain.finding import FindQuery, FindSort, FoundItem
from reelhouse.domain.library import ItemKind
from reelhouse.errors import InvalidInput, NotFound
from reelhouse.web.compat.subsonic import mapping
from reelhouse.web.compat.subsonic.answers import answer
from reelhouse.web.compat.subsonic.common import (
    SEARCHING,
    find,
    find_all,
    find_in_folder,
    folder_library,
    given_params,
    id_of,
    music_libraries,
    number,
    one,
    required,
)
from reelhouse.web.compat.subsonic.mapping import library_of
from reelhouse.web.context import actor, call, services

ARTISTS, ALBUMS, TRACKS = (
    frozenset({ItemKind.ARTIST}),
    frozenset({ItemKind.ALBUM}),
    frozenset({ItemKind.TRACK}),
)
IGNORED_ARTICLES = "The El La Los Las Le Les"
# The most any one listing answers; Subsonic's own servers cap album lists at 500.
MAX_SIZE = 500
TRACK_ORDER = (FindSort.PARENT_INDEX, FindSort.INDEX, FindSort.TITLE)


def _index_letter(name: str) -> str:
    words = name.split(" ", 1)
    if len(words) == 2 and words[0] in IGNORED_ARTICLES.split():
        name = words[1]
    first = name[:1].upper()
    return first if first.isalpha() else "#"


async def _artist_index(request: web.Request, folder: str | None, full: bool) -> list[dict[str, Any]]:
    artists = await find_all(request, FindQuery(kinds=ARTISTS, library_id=folder, sort=(FindSort.TITLE,)))
    groups: dict[str, list[dict[str, Any]]] = {}
    for found in artists:
        record = mapping.artist(found) if full else {"id": str(found.summary.id), "name": found.summary.title}
        groups.setdefault(_index_letter(found.summary.title), []).append(record)
    return [{"name": letter, "artist": groups[letter]} for letter in sorted(groups)]


async def get_music_folders(request: web.Request) -> web.StreamResponse:
    folders = [{"id": mapping.folder_id(lib.id), "name": lib.name} for lib in await music_libraries(request)]
    return answer(request, musicFolders={"musicFolder": folders})


async def get_artists(request: web.Request) -> web.StreamResponse:
    folder = await folder_library(request, await given_params(request))
    index = await _artist_index(request, folder, True)
    return answer(request, artists={"ignoredArticles": IGNORED_ARTICLES, "index": index})


async def get_indexes(request: web.Request) -> web.StreamResponse:
    folder = await folder_library(request, await given_params(request))
    index = await _artist_index(request, folder, False)
    indexes = {"lastModified": int(time.time() * 1000), "ignoredArticles": IGNORED_ARTICLES, "index": index}
    return answer(request, indexes=indexes)


async def _of_kind(request: web.Request, item: str, kind: ItemKind) -> FoundItem:
    found = await one(request, item)
    if found.summary.kind is not kind:
        raise NotFound(f"No such {kind.value}.")
    return found


async def _songs(request: web.Request, album_id: str) -> list[FoundItem]:
    return await find_all(request, FindQuery(kinds=TRACKS, parent_id=album_id, sort=TRACK_ORDER))


async def get_artist(request: web.Request) -> web.StreamResponse:
    found = await _of_kind(request, id_of(await given_params(request)), ItemKind.ARTIST)
    albums = await find_all(
        request,
        FindQuery(kinds=ALBUMS, parent_id=str(found.summary.id), sort=(FindSort.YEAR, FindSort.TITLE)),
    )
    record = mapping.artist(found) | {
        "albumCount": len(albums),
        "album": [mapping.album(a) for a in albums],
    }
    return answer(request, artist=record)


async def get_album(request: web.Request) -> web.StreamResponse:
    found = await _of_kind(request, id_of(await given_params(request)), ItemKind.ALBUM)
    songs = await _songs(request, str(found.summary.id))
    duration = sum(s.duration or 0 for s in songs)
    record = mapping.album(found, duration) | {
        "songCount": len(songs),
        "song": [mapping.song(s) for s in songs],
    }
    return answer(request, album=record)


async def get_song(request: web.Request) -> web.StreamResponse:
    found = await _of_kind(request, id_of(await given_params(request)), ItemKind.TRACK)
    detail = await call(request, services(request).catalogue.item, actor(request), str(found.summary.id))
    return answer(request, song=mapping.song(found, detail))


async def get_music_directory(request: web.Request) -> web.StreamResponse:
    """Folder-browsing apps: a music folder lists its artists, an artist its albums, an album its songs."""
    given = await given_params(request)
    raw = required(given, "id")
    library = library_of(raw, await music_libraries(request))
    if library is not None:
        artists = await find_all(request, FindQuery(kinds=ARTISTS, library_id=str(library.id)))
        children = [mapping.folder_child(a) for a in artists]
        return answer(request, directory={"id": raw, "name": library.name, "child": children})
    found = await one(request, mapping.item_id(raw))
    kind = found.summary.kind
    if kind is ItemKind.ARTIST:
        below = await find_all(
            request,
            FindQuery(kinds=ALBUMS, parent_id=str(found.summary.id), sort=(FindSort.YEAR, FindSort.TITLE)),
        )
        parent = str(mapping.folder_id(found.summary.library_id))
    elif kind is ItemKind.ALBUM:
        below = await _songs(request, str(found.summary.id))
        parent = str(found.summary.parent_id or "")
    else:
        raise NotFound("No such directory.")
    directory = {
        "id": str(found.summary.id),
        "parent": parent,
        "name": found.summary.title,
        "child": [mapping.folder_child(b) for b in below],
    }
    return answer(request, directory=directory)


async def get_genres(request: web.Request) -> web.StreamResponse:
    """Each genre the caller's music carries, with how many of their songs and albums carry it."""
    names: set[str] = set()
    for library in await music_libraries(request):
        names.update(await call(request, services(request).catalogue.genres, actor(request), str(library.id)))
    genres = []
    for name in sorted(names, key=str.casefold):
        songs = await find(request, FindQuery(kinds=TRACKS, genres=(name,), limit=1))
        albums = await find(request, FindQuery(kinds=ALBUMS, genres=(name,), limit=1))
        genres.append({"value": name, "songCount": songs.total, "albumCount": albums.total})
    return answer(request, genres={"genre": genres})


def _years(given: Any, required_both: bool) -> tuple[tuple[int, ...], bool]:
    """fromYear..toYear as the years between (Subsonic lists newest first when fromYear > toYear)."""
    low_raw, high_raw = given.get("fromYear", "").strip(), given.get("toYear", "").strip()
    if not low_raw and not high_raw and not required_both:
        return (), False
    low = number(given, "fromYear", 0, 0, 3000) if low_raw or required_both else 0
    high = number(given, "toYear", 3000, 0, 3000) if high_raw or required_both else 3000
    if required_both and (not low_raw or not high_raw):
        required(given, "fromYear" if not low_raw else "toYear")
    first, last = min(low, high), max(low, high)
    if last - first > 500:
        last = first + 500
    return tuple(range(first, last + 1)), low > high


_ALBUM_ORDERS: dict[str, tuple[tuple[FindSort, ...], bool]] = {
    "random": ((FindSort.RANDOM,), False),
    "newest": ((FindSort.ADDED, FindSort.TITLE), True),
    "alphabeticalByName": ((FindSort.TITLE,), False),
    "alphabeticalByArtist": ((FindSort.PARENT_TITLE, FindSort.TITLE), False),
    "frequent": ((FindSort.PLAY_COUNT, FindSort.TITLE), True),
    "recent": ((FindSort.PLAYED_AT, FindSort.TITLE), True),
    "starred": ((FindSort.TITLE,), False),
    "byYear": ((FindSort.YEAR, FindSort.TITLE), False),
    "byGenre": ((FindSort.TITLE,), False),
    "highest": ((FindSort.RATING, FindSort.TITLE), True),
}


async def _album_list(request: web.Request) -> list[FoundItem]:
    given = await given_params(request)
    kind = required(given, "type")
    if kind not in _ALBUM_ORDERS:
        raise InvalidInput(f"Unknown album list type '{kind[:40]}'.", "type")
    sort, descending = _ALBUM_ORDERS[kind]
    size = number(given, "size", 10, 1, MAX_SIZE)
    offset = number(given, "offset", 0, 0, 1_000_000)
    query = FindQuery(
        kinds=ALBUMS,
        sort=sort,
        descending=descending,
        offset=offset,
        limit=size,
    )
    if kind == "starred":
        query = FindQuery(**{**query.__dict__, "favourite": True})
    elif kind == "byYear":
        years, newest_first = _years(given, True)
        query = FindQuery(**{**query.__dict__, "years": years, "descending": newest_first})
    elif kind == "byGenre":
        query = FindQuery(**{**query.__dict__, "genres": (required(given, "genre"),)})
    page = await find_in_folder(request, given, query)
    return list(page.items)


async def get_album_list2(request: web.Request) -> web.StreamResponse:
    albums = await _album_list(request)
    return answer(request, albumList2={"album": [mapping.album(a) for a in albums]})


async def get_album_list(request: web.Request) -> web.StreamResponse:
    albums = await _album_list(request)
    return answer(request, albumList={"album": [mapping.folder_child(a) for a in albums]})


async def get_random_songs(request: web.Request) -> web.StreamResponse:
    given = await given_params(request)
    size = number(given, "size", 10, 1, MAX_SIZE)
    genre = given.get("genre", "").strip()
    years, _ = _years(given, False)
    query = FindQuery(
        kinds=TRACKS,
        genres=(genre,) if genre else (),
        years=years,
        sort=(FindSort.RANDOM,),
        limit=size,
    )
    page = await find_in_folder(request, given, query)
    return answer(request, randomSongs={"song": [mapping.song(s) for s in page.items]})


async def get_songs_by_genre(request: web.Request) -> web.StreamResponse:
    given = await given_params(request)
    genre = required(given, "genre")
    query = FindQuery(
        kinds=TRACKS,
        genres=(genre,),
        sort=(FindSort.TOP_TITLE, FindSort.PARENT_TITLE, *TRACK_ORDER),
        offset=number(given, "offset", 0, 0, 1_000_000),
        limit=number(given, "count", 10, 1, MAX_SIZE),
    )
    page = await find_in_folder(request, given, query)
    return answer(request, songsByGenre={"song": [mapping.song(s) for s in page.items]})


async def _search(
    request: web.Request,
) -> tuple[list[FoundItem], list[FoundItem], list[FoundItem]]:
    given = await given_params(request)
    # Apps sync a whole library with an empty query (some send ""), and quote words.
    text = given.get("query", "").strip().strip('"').strip()[:200] or None
    folder = await folder_library(request, given)
    # With words, each kind's best matches first, as our own search lists them, all three read at once; no
    # total, which these answers have no place for. Without words (an app's whole-library sync) artists and
    # albums come by name and songs as their albums list them.
    songs = (FindSort.RELEVANCE,) if text else (FindSort.TOP_TITLE, FindSort.PARENT_TITLE, *TRACK_ORDER)
    by_name = (FindSort.RELEVANCE,) if text else (FindSort.TITLE,)
    queries: list[FindQuery | None] = []
    for kinds, name, sort in (
        (ARTISTS, "artist", by_name),
        (ALBUMS, "album", by_name),
        (TRACKS, "song", songs),
    ):
        count = number(given, f"{name}Count", 20, 0, MAX_SIZE)
        offset = number(given, f"{name}Offset", 0, 0, 1_000_000)
        query = FindQuery(kinds=kinds, library_id=folder, text=text, sort=sort, offset=offset, limit=count)
        queries.append(query if count else None)
    asked = [q for q in queries if q is not None]
    if text:
        catalogue = services(request).catalogue
        pages = iter(await call(request, catalogue.search_each, actor(request), asked, SEARCHING))
    else:
        pages = iter([list((await find(request, q, SEARCHING)).items) for q in asked])
    found = [next(pages) if q is not None else [] for q in queries]
    return found[0], found[1], found[2]


async def search3(request: web.Request) -> web.StreamResponse:
    artists, albums, songs = await _search(request)
    result = {
        "artist": [mapping.artist(a) for a in artists],
        "album": [mapping.album(a) for a in albums],
        "song": [mapping.song(s) for s in songs],
    }
    return answer(request, searchResult3=result)


async def search2(request: web.Request) -> web.StreamResponse:
    artists, albums, songs = await _search(request)
    result = {
        "artist": [{"id": str(a.summary.id), "name": a.summary.title} for a in artists],
        "album": [mapping.folder_child(a) for a in albums],
        "song": [mapping.song(s) for s in songs],
    }
    return answer(request, searchResult2=result)


async def get_artist_info2(request: web.Request) -> web.StreamResponse:
    """Local data only: the artist's own description when the scan found one; nothing is looked up."""
    given = await given_params(request)
    found = await _of_kind(request, id_of(given), ItemKind.ARTIST)
    info: dict[str, Any] = {"biography": found.plot} if found.plot else {}
    return answer(request, artistInfo2=info)


async def get_album_info2(request: web.Request) -> web.StreamResponse:
    found = await _of_kind(request, id_of(await given_params(request)), ItemKind.ALBUM)
    info: dict[str, Any] = {"notes": found.plot} if found.plot else {}
    return answer(request, albumInfo=info)
