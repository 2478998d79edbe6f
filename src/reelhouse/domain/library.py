"""Libraries, item kinds and the shape of the catalogue."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from reelhouse.domain.ids import ItemId, LibraryId

if TYPE_CHECKING:
    from reelhouse.domain.people import Collection, Credit


class LibraryKind(enum.StrEnum):
    MOVIES = "movies"
    SHOWS = "shows"
    MUSIC = "music"
    PHOTOS = "photos"
    HOME_VIDEOS = "home_videos"


class ItemKind(enum.StrEnum):
    MOVIE = "movie"
    SHOW = "show"
    SEASON = "season"
    EPISODE = "episode"
    ARTIST = "artist"
    ALBUM = "album"
    TRACK = "track"
    PHOTO = "photo"
    VIDEO = "video"
    EXTRA = "extra"


# Which item kinds a library lists at its top level.
TOP_LEVEL_KINDS: dict[LibraryKind, tuple[ItemKind, ...]] = {
    LibraryKind.MOVIES: (ItemKind.MOVIE,),
    LibraryKind.SHOWS: (ItemKind.SHOW,),
    LibraryKind.MUSIC: (ItemKind.ARTIST,),
    LibraryKind.PHOTOS: (ItemKind.PHOTO,),
    LibraryKind.HOME_VIDEOS: (ItemKind.VIDEO,),
}

PLAYABLE_KINDS = frozenset({ItemKind.MOVIE, ItemKind.EPISODE, ItemKind.TRACK, ItemKind.VIDEO, ItemKind.EXTRA})


@dataclass(frozen=True)
class Library:
    id: LibraryId
    name: str
    kind: LibraryKind
    roots: tuple[str, ...]
    created_at: datetime
    # Whether the encoder queue makes seek preview thumbnails for its videos (the owner's choice).
    seek_previews: bool = False


# Libraries with a seek bar worth previewing make seek previews unless the owner turns it off.
SEEK_PREVIEW_KINDS = frozenset({LibraryKind.MOVIES, LibraryKind.SHOWS, LibraryKind.HOME_VIDEOS})


class ItemSort(enum.StrEnum):
    TITLE = "title"
    YEAR = "year"
    ADDED = "added"
    RATING = "rating"
    TAKEN = "taken"  # a photo's date taken (a video's date recorded); undated items last when descending


@dataclass(frozen=True)
class ItemQuery:
    """A page request for a library's items; validated by the service before it reaches SQL."""

    sort: ItemSort = ItemSort.TITLE
    descending: bool = False
    offset: int = 0
    limit: int = 50
    genre: str | None = None
    year: int | None = None
    kind: ItemKind | None = None
    # Photo filters: the camera's name as the scanner stored it, and a half-open range of the date taken.
    camera: str | None = None
    taken_from: datetime | None = None
    taken_before: datetime | None = None


@dataclass(frozen=True)
class PhotoFacets:
    """What a photos library's filters offer: the years photos were taken in and the cameras that took them."""

    years: tuple[int, ...]
    cameras: tuple[str, ...]


@dataclass(frozen=True)
class ItemSummary:
    id: ItemId
    library_id: LibraryId
    kind: ItemKind
    title: str
    year: int | None
    index: int | None
    parent_index: int | None
    rating: float | None
    content_rating: str | None
    added_at: datetime
    has_artwork: bool
    parent_id: ItemId | None
    missing: bool = False
    taken_at: datetime | None = None


@dataclass(frozen=True)
class StreamInfo:
    index: int
    type: str  # video | audio | subtitle | data | attachment
    codec: str
    language: str | None = None
    title: str | None = None
    width: int | None = None
    height: int | None = None
    channels: int | None = None
    sample_rate: int | None = None
    bit_rate: int | None = None
    default: bool = False
    forced: bool = False
    frame_rate: float | None = None
    profile: str | None = None
    pixel_format: str | None = None
    # An audio track's exact length in decoded samples, where the file states it past its encoder's priming and
    # padding (Ogg Opus, AAC in MP4); None otherwise.
    samples: int | None = None


@dataclass(frozen=True)
class Chapter:
    start: float  # seconds
    end: float | None
    title: str | None


@dataclass(frozen=True)
class MediaInfo:
    container: str
    duration: float | None
    bit_rate: int | None
    streams: tuple[StreamInfo, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    # When a camera recorded it (the container's creation_time), as a timestamp; not kept in the stored JSON.
    recorded_at: float | None = None


@dataclass(frozen=True)
class MediaFileInfo:
    id: str
    path: str
    size: int
    mtime: float
    part: int
    media: MediaInfo | None
    missing: bool
    # As scanned; absent for rows scanned before they were kept.
    device: int | None = None
    inode: int | None = None


@dataclass(frozen=True)
class SubtitleInfo:
    id: str
    language: str | None
    format: str
    forced: bool
    embedded_index: int | None
    title: str | None


@dataclass(frozen=True)
class ExtraInfo:
    """A movie's extra as its page lists it: ``extra_type`` is "trailer" for every kept trailer."""

    id: str
    title: str
    extra_type: str | None
    duration: float | None


@dataclass(frozen=True)
class ItemDetail:
    summary: ItemSummary
    sort_title: str
    plot: str | None
    genres: tuple[str, ...]
    tags: tuple[str, ...]
    duration: float | None
    taken_at: datetime | None
    extra: dict[str, object] = field(default_factory=dict)
    files: tuple[MediaFileInfo, ...] = ()
    subtitles: tuple[SubtitleInfo, ...] = ()
    artwork: tuple[str, ...] = ()
    credits: tuple[Credit, ...] = ()
    collection: Collection | None = None
    extras: tuple[ExtraInfo, ...] = ()


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int
    offset: int
    limit: int
