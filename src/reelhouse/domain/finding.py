"""Finding items across every library a viewer sees, with the filters and orders client apps ask for."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from reelhouse.domain.library import ItemKind, ItemSummary
from reelhouse.domain.people import PersonHit

# Kinds that hold other items rather than media of their own.
FOLDER_KINDS = frozenset({ItemKind.SHOW, ItemKind.SEASON, ItemKind.ARTIST, ItemKind.ALBUM})


class FindSort(enum.StrEnum):
    TITLE = "title"
    ADDED = "added"
    YEAR = "year"
    RATING = "rating"
    PLAYED_AT = "played_at"
    PLAY_COUNT = "play_count"
    RUNTIME = "runtime"
    INDEX = "index"
    PARENT_INDEX = "parent_index"
    # The parent's or the top item's title: an album's for tracks, an artist's or a show's.
    PARENT_TITLE = "parent_title"
    TOP_TITLE = "top_title"
    RANDOM = "random"
    # Best match first for a listing with words to search for (the search index's rank), then title.
    RELEVANCE = "relevance"


@dataclass(frozen=True)
class FindQuery:
    """One listing across libraries; every field narrows it, and the viewer's scope always applies.

    ``parent_id`` keeps direct children of an item; ``ancestor_id`` keeps everything under it at any depth.
    ``top_ids`` (an artist's or a show's items) and ``parent_ids`` (an album's tracks) narrow by family."""

    kinds: frozenset[ItemKind] | None = None
    exclude_kinds: frozenset[ItemKind] = frozenset()
    library_id: str | None = None
    parent_id: str | None = None
    ancestor_id: str | None = None
    ids: tuple[str, ...] | None = None
    text: str | None = None
    name_starts_with: str | None = None
    genres: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    top_ids: tuple[str, ...] | None = None
    parent_ids: tuple[str, ...] | None = None
    # Items any of these people are credited on (from NFOs): a movie, or a show for its cast.
    person_ids: tuple[str, ...] | None = None
    played: bool | None = None
    resumable: bool = False
    favourite: bool | None = None
    folders: bool | None = None
    present_only: bool = False
    sort: tuple[FindSort, ...] = (FindSort.TITLE,)
    descending: bool = False
    offset: int = 0
    limit: int = 100


@dataclass(frozen=True)
class Needs:
    """What a listing reads beyond each item's summary, its family's names, its child count and the viewer's
    marks. Each costs a statement or a pass over the items below: an answer leaves out what it never shows.

    ``details``: plot and genres. ``total``: how many match in all (without it a page's total only says how
    far the page reaches). ``leaves``: the episodes or tracks under a show, season, artist or album, and how
    many of them the viewer has not watched."""

    details: bool = True
    total: bool = True
    leaves: bool = True


FULL = Needs()


@dataclass(frozen=True)
class ViewerMarks:
    """The viewer's own marks on an item: progress, watched, favourite."""

    position: float = 0.0
    watched: bool = False
    play_count: int = 0
    favourite: bool = False
    played_at: datetime | None = None
    favourite_at: datetime | None = None


# The marks of an item the viewer never touched: listings hand out this one object, so that answers can tell
# it by identity rather than by comparing six fields an item.
NO_MARKS = ViewerMarks()


@dataclass(frozen=True)
class FoundItem:
    """An item as a listing shows it: its summary, its family's names, its children and the viewer's marks."""

    summary: ItemSummary
    sort_title: str
    top_id: str
    duration: float | None
    plot: str | None
    aired: str | None
    genres: tuple[str, ...]
    parent_title: str | None
    top_title: str | None
    child_count: int | None
    marks: ViewerMarks
    # For shows, seasons, artists and albums: the episodes or tracks under them the viewer sees, and how many
    # of those the viewer has not watched.
    leaf_count: int | None = None
    unwatched_count: int | None = None


# Search as you type lists its groups in this order; "person" is the people credited on items.
SEARCH_GROUPS = ("movie", "show", "episode", "person", "artist", "album", "track", "photo", "video")


@dataclass(frozen=True)
class GroupedSearch:
    """The best matches of each kind, in SEARCH_GROUPS order, only the kinds with any."""

    groups: tuple[tuple[str, tuple[FoundItem, ...]], ...]
    people: tuple[PersonHit, ...]
