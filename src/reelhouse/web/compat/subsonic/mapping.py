"""Reelhouse items as Subsonic's records: ArtistID3, AlbumID3 and Child (a song, or a folder of the
directory view). Ids are Reelhouse's own; a music folder's id is a number made from its library's id, since
Subsonic's apps read it as one."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from reelhouse.domain.finding import FoundItem
from reelhouse.domain.library import ItemDetail, ItemKind, Library

# Subsonic's apps ask for covers by any id, sometimes with the kind in front.
_PREFIXES = ("al-", "ar-", "tr-", "pl-")
SUFFIX_TYPES = {
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "wav": "audio/wav",
}


def folder_id(library_id: str) -> int:
    """A stable positive 31-bit number for a library; mapped back by trying the viewer's own libraries."""
    return zlib.crc32(library_id.encode()) & 0x7FFFFFFF


def library_of(folder: str, visible: list[Library]) -> Library | None:
    return next((lib for lib in visible if str(folder_id(lib.id)) == folder.strip()), None)


def item_id(raw: str) -> str:
    for prefix in _PREFIXES:
        if raw.startswith(prefix):
            return raw[len(prefix) :]
    return raw


def iso(moment: datetime | float | None) -> str | None:
    if moment is None:
        return None
    if type(moment) is datetime and moment.tzinfo is UTC:
        # What listings hold (every date read from the catalogue): "…+00:00" → "…Z", one C call.
        return moment.isoformat()[:-6] + "Z"
    if isinstance(moment, float | int):
        moment = datetime.fromtimestamp(moment, UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _cover(found: FoundItem) -> str | None:
    summary = found.summary
    if summary.has_artwork:
        return str(summary.id)
    # A track without a picture of its own shows its album's.
    if summary.kind is ItemKind.TRACK and summary.parent_id:
        return str(summary.parent_id)
    return None


def _drop_none(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}


def artist(found: FoundItem) -> dict[str, Any]:
    summary = found.summary
    return _drop_none(
        {
            "id": str(summary.id),
            "name": summary.title,
            "coverArt": _cover(found),
            "albumCount": found.child_count or 0,
            "starred": iso(found.marks.favourite_at),
        }
    )


def album(found: FoundItem, duration: float | None = None) -> dict[str, Any]:
    # Built field by field rather than through _drop_none: an album list is a hundred of these at a time.
    summary = found.summary
    record: dict[str, Any] = {"id": str(summary.id), "name": summary.title}
    artist = found.parent_title or found.top_title
    if artist is not None:
        record["artist"] = artist
    if summary.parent_id:
        record["artistId"] = str(summary.parent_id)
    cover = _cover(found)
    if cover is not None:
        record["coverArt"] = cover
    record["songCount"] = found.leaf_count or found.child_count or 0
    record["duration"] = int(duration if duration is not None else found.duration or 0)
    added = summary.added_at
    # A UTC datetime as it is: the JSON writer gives it Subsonic's form ("…Z") without a Python call per album,
    # and the XML writer passes it through iso (answers._scalar).
    record["created"] = added if type(added) is datetime and added.tzinfo is UTC else iso(added)
    if summary.year is not None:
        record["year"] = summary.year
    if found.genres:
        record["genre"] = found.genres[0]
    marks = found.marks
    if marks.play_count:
        record["playCount"] = marks.play_count
    if marks.favourite_at is not None:
        record["starred"] = iso(marks.favourite_at)
    return record


def song(found: FoundItem, detail: ItemDetail | None = None) -> dict[str, Any]:
    summary = found.summary
    record: dict[str, Any] = {
        "id": str(summary.id),
        "parent": str(summary.parent_id) if summary.parent_id else None,
        "isDir": False,
        "title": summary.title,
        "album": found.parent_title,
        "artist": found.top_title,
        "track": summary.index,
        "discNumber": summary.parent_index,
        "year": summary.year,
        "genre": found.genres[0] if found.genres else None,
        "coverArt": _cover(found),
        "duration": int(found.duration) if found.duration else None,
        "created": iso(summary.added_at),
        "albumId": str(summary.parent_id) if summary.parent_id else None,
        "artistId": str(found.top_id) if found.top_id else None,
        "type": "music",
        "mediaType": "song",
        "isVideo": False,
        "playCount": found.marks.play_count or None,
        "played": iso(found.marks.played_at) if found.marks.played_at else None,
        "starred": iso(found.marks.favourite_at),
    }
    if detail is not None:
        present = next((f for f in detail.files if not f.missing), None)
        if present is not None:
            suffix = present.path.rsplit(".", 1)[-1].lower() if "." in present.path else ""
            record["suffix"] = suffix or None
            record["contentType"] = SUFFIX_TYPES.get(suffix, "application/octet-stream")
            record["size"] = present.size
            rate = present.media.bit_rate if present.media else None
            record["bitRate"] = rate // 1000 if rate else None
            record["path"] = f"{found.top_title or ''}/{found.parent_title or ''}/{summary.title}.{suffix}"
        artist_name = detail.extra.get("artist")
        if isinstance(artist_name, str):
            record["artist"] = artist_name
    return _drop_none(record)


def folder_child(found: FoundItem) -> dict[str, Any]:
    """An artist or an album in the directory view (getMusicDirectory, getIndexes, getAlbumList)."""
    if found.summary.kind is ItemKind.TRACK:
        return song(found)
    summary = found.summary
    return _drop_none(
        {
            "id": str(summary.id),
            "parent": str(summary.parent_id) if summary.parent_id else None,
            "isDir": True,
            "title": summary.title,
            "album": summary.title if summary.kind is ItemKind.ALBUM else None,
            "artist": found.parent_title if summary.kind is ItemKind.ALBUM else summary.title,
            "year": summary.year,
            "coverArt": _cover(found),
            "created": iso(summary.added_at),
            "starred": iso(found.marks.favourite_at),
        }
    )
