"""People credited on items (from NFOs), collections, and a track's lyrics."""

from __future__ import annotations

from dataclasses import dataclass

from reelhouse.domain.library import ItemSummary


@dataclass(frozen=True)
class Credit:
    """One person's part in one item: kind is actor, director or writer; role is the character played."""

    person_id: str
    name: str
    kind: str
    role: str | None
    order: int
    has_photo: bool


@dataclass(frozen=True)
class Appearance:
    item: ItemSummary
    kind: str
    role: str | None


@dataclass(frozen=True)
class PersonHit:
    """A person a search found, with the photo of one credit the viewer may see (for its card)."""

    id: str
    name: str
    photo_item_id: str | None


@dataclass(frozen=True)
class PersonDetail:
    """A person as one viewer sees them: only the items that viewer may see."""

    id: str
    name: str
    appearances: tuple[Appearance, ...]


@dataclass(frozen=True)
class Collection:
    id: str
    name: str


@dataclass(frozen=True)
class CollectionDetail:
    """A collection as one viewer sees it: only the items that viewer may see, in release order."""

    id: str
    name: str
    items: tuple[ItemSummary, ...]


@dataclass(frozen=True)
class CollectionCard:
    """A collection in a library's list: how many of its items the viewer sees, and one with a poster."""

    id: str
    name: str
    count: int
    poster_item_id: str | None


@dataclass(frozen=True)
class LyricLine:
    start_ms: int | None
    text: str


@dataclass(frozen=True)
class Lyrics:
    synced: bool
    source: str  # "sidecar" or "embedded"
    language: str | None
    lines: tuple[LyricLine, ...]
