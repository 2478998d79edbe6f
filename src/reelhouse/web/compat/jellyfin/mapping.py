"""Reelhouse items as Jellyfin's BaseItemDto: PascalCase, ids as 32 hex digits, ticks, dates with Z.

Jellyfin's own server leaves out null fields, and client models decode a present field strictly (an
``IndexNumber`` of null fails where an absent one does not), so every null is dropped. Never a file path:
``Path``, when asked for, is a neutral ``/reelhouse/<id>``.

Public names here (``item_dto``, ``view_dto``, ``user_data``, ``envelope``, ``DtoContext``, ``ticks``,
``jellyfin_date``, ``JELLYFIN_TYPES``) are used by other modules of the package; keep them stable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from reelhouse.domain.finding import FOLDER_KINDS, NO_MARKS, FoundItem, ViewerMarks
from reelhouse.domain.library import ItemKind, ItemSummary, Library, LibraryKind
from reelhouse.web.compat.jellyfin.ids import to_jellyfin
from reelhouse.web.context import services

TICKS_PER_SECOND = 10_000_000
# ItemFields that Jellyfin's own server adds to a listed item only when `Fields` names them (lower case, as
# DtoContext keeps them); one item by id carries them all, as Jellyfin's does.
DETAIL_FIELDS = frozenset({"overview", "genres", "providerids"})

JELLYFIN_TYPES: dict[ItemKind, str] = {
    ItemKind.MOVIE: "Movie",
    ItemKind.SHOW: "Series",
    ItemKind.SEASON: "Season",
    ItemKind.EPISODE: "Episode",
    ItemKind.ARTIST: "MusicArtist",
    ItemKind.ALBUM: "MusicAlbum",
    ItemKind.TRACK: "Audio",
    ItemKind.PHOTO: "Photo",
    ItemKind.VIDEO: "Video",
    ItemKind.EXTRA: "Video",
}
MEDIA_TYPES: dict[ItemKind, str] = {
    ItemKind.MOVIE: "Video",
    ItemKind.EPISODE: "Video",
    ItemKind.VIDEO: "Video",
    ItemKind.EXTRA: "Video",
    ItemKind.TRACK: "Audio",
    ItemKind.PHOTO: "Photo",
}
# Jellyfin's CollectionType values are lower case; a capitalised one is not recognised by apps.
COLLECTION_TYPES: dict[LibraryKind, str] = {
    LibraryKind.MOVIES: "movies",
    LibraryKind.SHOWS: "tvshows",
    LibraryKind.MUSIC: "music",
    LibraryKind.PHOTOS: "photos",
    LibraryKind.HOME_VIDEOS: "homevideos",
}


@dataclass(frozen=True)
class DtoContext:
    """What every DTO of one answer shares: the server's id, the fields the app asked for, the viewer."""

    server_id: str
    fields: frozenset[str] = field(default_factory=frozenset)  # lower-cased names from `Fields`
    may_download: bool = False
    # `ImageTags` and `BackdropImageTags` for an item, minted for this answer's viewer (images.image_tags);
    # without it an answer hands out no tags, and pictures then need the app's token.
    images: Callable[[ItemSummary], dict[str, Any]] | None = None


def server_id(request: web.Request) -> str:
    """The server's Jellyfin id, the `Id` of /System/Info/Public, which apps compare with `ServerId`.

    The same id system.py answers, so apps file items under the server they signed in to."""
    return services(request).server_id


def image_tags(item: ItemSummary, ctx: DtoContext) -> dict[str, Any]:
    """`ImageTags` and `BackdropImageTags`: capabilities (images.py) only this viewer's answers hand out."""
    return ctx.images(item) if ctx.images is not None else {"ImageTags": {}, "BackdropImageTags": []}


def ticks(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * TICKS_PER_SECOND)


def jellyfin_date(moment: datetime | None) -> str | None:
    """Jellyfin's own form: UTC, seven fractional digits, Z."""
    if moment is None:
        return None
    u = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    # isoformat is one C call (strftime was a tenth of a page's mapping time): "…:SS.ffffff+00:00" → "…0Z".
    return u.isoformat(timespec="microseconds")[:-6] + "0Z"


# A page's dates repeat (most films carry only a year): each distinct one is formatted once.
@functools.lru_cache(maxsize=4096)
def _aired(aired: str | None, year: int | None) -> str | None:
    if aired:
        try:
            return jellyfin_date(datetime.fromisoformat(aired).replace(tzinfo=UTC))
        except ValueError:
            pass
    return jellyfin_date(datetime(year, 1, 1, tzinfo=UTC)) if year and 1 <= year <= 9999 else None


def _jid(reelhouse_id: str | None) -> str | None:
    if not reelhouse_id:
        return None
    try:
        return to_jellyfin(reelhouse_id)
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def _family_jid(reelhouse_id: str | None) -> str | None:
    """A parent's or library's Jellyfin id: the same few recur on every item of a page."""
    return _jid(reelhouse_id)


_UNTOUCHED = ViewerMarks()
_PLAIN_KINDS = frozenset({ItemKind.MOVIE, ItemKind.VIDEO, ItemKind.EXTRA, ItemKind.PHOTO})


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def user_data(
    item_id: str,
    marks: ViewerMarks,
    duration: float | None,
    unwatched: int | None = None,
    jid: str | None = None,
) -> dict[str, Any]:
    """Jellyfin's UserItemDataDto: the viewer's progress, watched mark and favourite; for a show, season,
    artist or album, ``unwatched`` episodes or tracks under it (watched when none are left). ``jid``: the
    item's Jellyfin id when the caller has it already."""
    jid = jid or _jid(item_id) or item_id
    if marks == _UNTOUCHED and unwatched is None:
        # Most of a page is what the viewer never touched: the same few fields, built without the checks.
        return {
            "PlaybackPositionTicks": 0,
            "PlayCount": 0,
            "IsFavorite": False,
            "Played": False,
            "Key": jid,
            "ItemId": jid,
        }
    percent = None
    if marks.position > 0 and duration:
        percent = min(100.0, 100.0 * marks.position / duration)
    return _compact(
        {
            "PlaybackPositionTicks": ticks(marks.position) or 0,
            "PlayCount": marks.play_count,
            "IsFavorite": marks.favourite,
            "Played": marks.watched if unwatched is None else unwatched == 0,
            "UnplayedItemCount": unwatched,
            "PlayedPercentage": percent,
            "LastPlayedDate": jellyfin_date(marks.played_at),
            "Key": jid,
            "ItemId": jid,
        }
    )


def _people(item_id: str | None, name: str | None) -> list[dict[str, str]] | None:
    jid = _jid(item_id)
    return [{"Id": jid, "Name": name}] if jid and name else None


def item_dto(found: FoundItem, ctx: DtoContext) -> dict[str, Any]:
    """A BaseItemDto without MediaSources and MediaStreams (playback.py adds those)."""
    item = found.summary
    kind = item.kind
    jid = _jid(item.id) or item.id
    folder = kind in FOLDER_KINDS
    parent = _family_jid(item.parent_id) or _family_jid(item.library_id)
    dto: dict[str, Any] = {
        "Id": jid,
        "Name": item.title,
        "ServerId": ctx.server_id,
        "Type": JELLYFIN_TYPES[kind],
        "IsFolder": folder,
        "MediaType": MEDIA_TYPES.get(kind, "Unknown"),
        "LocationType": "Virtual" if item.missing else "FileSystem",
        "SortName": found.sort_title,
        "DateCreated": jellyfin_date(item.added_at),
        **image_tags(item, ctx),
        "ImageBlurHashes": {},
        "CanDownload": ctx.may_download and not folder,
    }
    marks, unwatched = found.marks, found.unwatched_count if found.leaf_count else None
    if marks is NO_MARKS and unwatched is None:
        # What the viewer never touched (the finder hands out the one NO_MARKS): user_data's first answer.
        dto["UserData"] = {
            "PlaybackPositionTicks": 0,
            "PlayCount": 0,
            "IsFavorite": False,
            "Played": False,
            "Key": jid,
            "ItemId": jid,
        }
    else:
        dto["UserData"] = user_data(item.id, marks, found.duration, unwatched, jid)
    # The fields that may be null, added only when they are not (a page's worth of _compact is not free).
    if parent is not None:
        dto["ParentId"] = parent
    premiere = _aired(found.aired, item.year)
    if premiere is not None:
        dto["PremiereDate"] = premiere
    if item.year is not None:
        dto["ProductionYear"] = item.year
    if item.content_rating is not None:
        dto["OfficialRating"] = item.content_rating
    if item.rating is not None:
        dto["CommunityRating"] = item.rating
    if found.duration is not None:
        dto["RunTimeTicks"] = ticks(found.duration)
    if item.index is not None:
        dto["IndexNumber"] = item.index
    if folder:
        dto["ChildCount"] = found.child_count
        dto["RecursiveItemCount"] = found.leaf_count or 0
    if kind is ItemKind.EPISODE:
        season = item.parent_id if item.parent_id and item.parent_id != found.top_id else None
        dto |= {
            "SeriesId": _jid(found.top_id),
            "SeriesName": found.top_title,
            "SeasonId": _jid(season),
            "SeasonName": found.parent_title if season else None,
            "ParentIndexNumber": item.parent_index,
        }
    elif kind is ItemKind.SEASON:
        dto |= {"SeriesId": _jid(found.top_id), "SeriesName": found.top_title}
    elif kind in (ItemKind.ALBUM, ItemKind.TRACK):
        artists = _people(found.top_id, found.top_title)
        dto |= {
            "AlbumArtist": found.top_title,
            "AlbumArtists": artists or [],
            "ArtistItems": artists or [],
            "Artists": [found.top_title] if found.top_title else [],
        }
        if kind is ItemKind.TRACK:
            dto |= {
                "AlbumId": _jid(item.parent_id),
                "Album": found.parent_title,
                "ParentIndexNumber": item.parent_index,
            }
    fields = ctx.fields
    if "overview" in fields:
        dto["Overview"] = found.plot
    if "genres" in fields:
        dto["Genres"] = list(found.genres)
    if "providerids" in fields:
        dto["ProviderIds"] = {}
    if "path" in fields and not folder:
        dto["Path"] = f"/reelhouse/{jid}"
    # Only the family fields above and the overview may still hold a null.
    return dto if kind in _PLAIN_KINDS and "overview" not in fields else _compact(dto)


def view_dto(library: Library, ctx: DtoContext) -> dict[str, Any]:
    """A library as Jellyfin's CollectionFolder, the top of an app's home screen."""
    jid = _jid(library.id) or library.id
    return {
        "Id": jid,
        "Name": library.name,
        "ServerId": ctx.server_id,
        "Type": "CollectionFolder",
        "CollectionType": COLLECTION_TYPES[library.kind],
        "IsFolder": True,
        "LocationType": "FileSystem",
        "MediaType": "Unknown",
        "SortName": library.name.lower(),
        "DateCreated": jellyfin_date(library.created_at),
        "ImageTags": {},
        "BackdropImageTags": [],
        "ImageBlurHashes": {},
        "ProviderIds": {},
        "UserData": {
            "PlaybackPositionTicks": 0,
            "PlayCount": 0,
            "IsFavorite": False,
            "Played": False,
            "Key": jid,
            "ItemId": jid,
        },
    }


def envelope(
    items: Sequence[dict[str, Any]] | Iterable[dict[str, Any]], total: int, start: int
) -> dict[str, Any]:
    """Jellyfin's list answer; apps' models need all three keys."""
    listed = list(items)
    return {"Items": listed, "TotalRecordCount": total, "StartIndex": start}
