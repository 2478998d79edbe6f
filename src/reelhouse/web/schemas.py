"""Wire models of the JSON API (pydantic): validation and the OpenAPI schema come from here."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reelhouse.domain.library import Chapter, ItemDetail, ItemKind, ItemSort, ItemSummary, Library, StreamInfo
from reelhouse.domain.people import Credit, Lyrics, PersonDetail


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    error: str
    message: str
    fields: dict[str, str] | None = None


class LibraryOut(BaseModel):
    id: str
    name: str
    kind: str
    roots: list[str] | None = None
    created_at: datetime
    # Whether seek preview thumbnails are made for its videos.
    seek_previews: bool = False

    @classmethod
    def of(cls, library: Library, admin: bool) -> LibraryOut:
        return cls(
            id=library.id,
            name=library.name,
            kind=library.kind.value,
            roots=list(library.roots) if admin else None,
            created_at=library.created_at,
            seek_previews=library.seek_previews,
        )


class LibraryIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["movies", "shows", "music", "photos", "home_videos"]
    paths: list[str] = Field(min_length=1, max_length=32)
    # Absent: on for movies, shows and home videos, off for music and photos.
    seek_previews: bool | None = None


class LibraryPatch(Strict):
    seek_previews: bool


class ItemOut(BaseModel):
    id: str
    library_id: str
    kind: ItemKind
    title: str
    year: int | None
    index: int | None
    parent_index: int | None
    parent_id: str | None
    rating: float | None
    content_rating: str | None
    added_at: datetime
    has_artwork: bool
    missing: bool
    taken_at: datetime | None = None

    @classmethod
    def of(cls, item: ItemSummary) -> ItemOut:
        return cls(
            id=item.id,
            library_id=item.library_id,
            kind=item.kind,
            title=item.title,
            year=item.year,
            index=item.index,
            parent_index=item.parent_index,
            parent_id=item.parent_id,
            rating=item.rating,
            content_rating=item.content_rating,
            added_at=item.added_at,
            has_artwork=item.has_artwork,
            missing=item.missing,
            taken_at=item.taken_at,
        )


class ItemPageOut(BaseModel):
    items: list[ItemOut]
    total: int
    offset: int
    limit: int


class MediaOut(BaseModel):
    container: str
    duration: float | None
    bit_rate: int | None
    # The domain's frozen dataclass is the wire shape too; pydantic validates and documents it.
    streams: list[StreamInfo]
    chapters: list[Chapter] = []


class FileOut(BaseModel):
    id: str
    part: int
    size: int
    missing: bool
    media: MediaOut | None
    path: str | None = None


class SubtitleOut(BaseModel):
    id: str
    language: str | None
    format: str
    forced: bool
    embedded: bool
    title: str | None


class CreditOut(BaseModel):
    id: str
    name: str
    kind: str
    role: str | None
    order: int
    # A local photo exists: fetch it from /api/items/{item_id}/people/{id}/photo.
    has_photo: bool


class CollectionOut(BaseModel):
    id: str
    name: str


class ExtraOut(BaseModel):
    id: str
    title: str
    extra_type: str | None
    duration: float | None


class AppearanceOut(BaseModel):
    item: ItemOut
    kind: str
    role: str | None


class PersonOut(BaseModel):
    id: str
    name: str
    appearances: list[AppearanceOut]

    @classmethod
    def of(cls, person: PersonDetail) -> PersonOut:
        return cls(
            id=person.id,
            name=person.name,
            appearances=[
                AppearanceOut(item=ItemOut.of(a.item), kind=a.kind, role=a.role) for a in person.appearances
            ],
        )


class LyricLineOut(BaseModel):
    # Milliseconds from the start of the track; null in unsynced lyrics.
    start_ms: int | None
    text: str


class LyricsOut(BaseModel):
    """A track's lyrics; a track without any answers ``source`` null and no lines."""

    synced: bool
    source: Literal["sidecar", "embedded"] | None
    language: str | None
    lines: list[LyricLineOut]

    @classmethod
    def of(cls, lyrics: Lyrics | None) -> LyricsOut:
        if lyrics is None:
            return cls(synced=False, source=None, language=None, lines=[])
        return cls(
            synced=lyrics.synced,
            source="sidecar" if lyrics.source == "sidecar" else "embedded",
            language=lyrics.language,
            lines=[LyricLineOut(start_ms=line.start_ms, text=line.text) for line in lyrics.lines],
        )


class ItemDetailOut(ItemOut):
    sort_title: str
    plot: str | None
    genres: list[str]
    tags: list[str]
    duration: float | None
    extra: dict[str, Any]
    files: list[FileOut]
    subtitles: list[SubtitleOut]
    artwork: list[str]
    cast: list[CreditOut] = []
    crew: list[CreditOut] = []
    collection: CollectionOut | None = None
    extras: list[ExtraOut] = []

    @classmethod
    def of_detail(cls, detail: ItemDetail, admin: bool) -> ItemDetailOut:
        base = ItemOut.of(detail.summary).model_dump()
        return cls(
            **base,
            sort_title=detail.sort_title,
            plot=detail.plot,
            genres=list(detail.genres),
            tags=list(detail.tags),
            duration=detail.duration,
            extra=detail.extra,
            files=[
                FileOut(
                    id=f.id,
                    part=f.part,
                    size=f.size,
                    missing=f.missing,
                    media=MediaOut.model_validate(f.media, from_attributes=True) if f.media else None,
                    path=f.path if admin else None,
                )
                for f in detail.files
            ],
            subtitles=[
                SubtitleOut(
                    id=s.id,
                    language=s.language,
                    format=s.format,
                    forced=s.forced,
                    embedded=s.embedded_index is not None,
                    title=s.title,
                )
                for s in detail.subtitles
            ],
            artwork=list(detail.artwork),
            cast=[_credit(c) for c in detail.credits if c.kind == "actor"],
            crew=[_credit(c) for c in detail.credits if c.kind != "actor"],
            collection=CollectionOut(id=detail.collection.id, name=detail.collection.name)
            if detail.collection
            else None,
            extras=[
                ExtraOut(id=e.id, title=e.title, extra_type=e.extra_type, duration=e.duration)
                for e in detail.extras
            ],
        )


def _credit(credit: Credit) -> CreditOut:
    return CreditOut(
        id=credit.person_id,
        name=credit.name,
        kind=credit.kind,
        role=credit.role,
        order=credit.order,
        has_photo=credit.has_photo,
    )


class BrowseQuery(Strict):
    sort: ItemSort = ItemSort.TITLE
    order: Literal["asc", "desc"] = "asc"
    offset: int = Field(default=0, ge=0, le=10_000_000)
    limit: int = Field(default=50, ge=1, le=500)
    genre: str | None = Field(default=None, max_length=64)
    year: int | None = Field(default=None, ge=1800, le=2200)
    kind: ItemKind | None = None
    camera: str | None = Field(default=None, min_length=1, max_length=128)
    taken_from: datetime | None = None
    taken_before: datetime | None = None


class PhotoFacetsOut(BaseModel):
    years: list[int]
    cameras: list[str]


class SearchQuery(Strict):
    q: str = Field(min_length=1, max_length=200)
    limit: int = Field(default=50, ge=1, le=200)


class RecentQuery(Strict):
    library_id: str | None = Field(default=None, max_length=32)
    limit: int = Field(default=24, ge=1, le=100)


class ScanIn(Strict):
    full: bool = False


class ScanStateOut(BaseModel):
    """Members get ``library_id``, ``running`` and ``percent``; the rest is for admins and null otherwise."""

    library_id: str
    running: bool
    percent: int = Field(ge=0, le=100)
    phase: str | None = None
    done: int | None = None
    total: int | None = None
    started_at: float | None = None
    files_seen: int | None = None
    added: int | None = None
    updated: int | None = None
    moved: int | None = None
    missing: int | None = None
    errors: list[dict[str, str]] | None = None


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, max_length=64)
    device: str = Field(default="app", max_length=128)


class SetupIn(Strict):
    """`password_again`, when sent, must equal `password`: the setup form checks both together."""

    code: str = Field(min_length=1, max_length=64)
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    password_again: str | None = Field(default=None, max_length=256)


class TokenOut(BaseModel):
    token: str
    expires_at: float
    user: UserOut


class UserOut(BaseModel):
    id: str
    username: str
    role: str


class SetupStateOut(BaseModel):
    needs_setup: bool
    server_name: str
    version: str


class SessionStateOut(SetupStateOut):
    """Everything the web app needs to start, signed in or not: `user` is null and `libraries` empty when not."""

    user: UserOut | None
    libraries: list[LibraryOut]


class SettingsOut(BaseModel):
    values: dict[str, Any]


class SettingsIn(Strict):
    values: dict[str, Any] = Field(max_length=64)


class SettingSpecOut(BaseModel):
    name: str
    type: str
    default: Any
    help: str
    section: str


class AuditEntryOut(BaseModel):
    seq: int
    at: float
    actor: str | None
    action: str
    target: str | None
    detail: str
    address: str | None


class AuditChainOut(BaseModel):
    """The check of the whole log: intact, broken (at `seq`, for `reason`), restored from a backup (the
    database ends at `seq`, older than the recorded head), or unanchored (no head recorded yet)."""

    state: Literal["intact", "broken", "restored", "unanchored"]
    seq: int | None
    reason: str | None


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    chain: AuditChainOut


class AuditQuery(Strict):
    # An empty filter means nothing: omit it (the web page does) rather than send `action=`.
    action: str | None = Field(default=None, min_length=1, max_length=64)
    limit: int = Field(default=100, ge=1, le=1000)
    # SQLite's INTEGER is 64-bit: a larger cursor would overflow in the driver, not answer a 4xx.
    before: int | None = Field(default=None, ge=1, le=2**63 - 1)


class ServerOut(BaseModel):
    name: str
    version: str
    needs_setup: bool


TokenOut.model_rebuild()
