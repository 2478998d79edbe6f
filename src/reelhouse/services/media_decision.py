"""What the media access decision speaks in: the purposes a media answer serves, the permission each needs, and
what an allowed request hands on (the viewer's item, library, file and zone).

Only services/media_access.py makes these decisions, and routes and client APIs import these names from it.
The parts behind it (media_renderings.py, media_revocation.py) receive an `Allowed` from it or call back into it
through `Decides`, looked up on the `MediaAccess` object itself, so a check tightened there holds for them too."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from reelhouse.domain.access import Action, Actor
from reelhouse.domain.library import ItemDetail, Library, MediaFileInfo, MediaInfo
from reelhouse.domain.network import Zone
from reelhouse.services.media_files import OpenedFile, content_type


class Purpose(enum.StrEnum):
    STREAM = "stream"  # the original file for direct play
    DOWNLOAD = "download"  # the original file as an attachment
    AUDIO = "audio"  # a progressive audio encode
    REMUX = "remux"  # a music track's audio copied into fragmented MP4, for gapless play
    HLS = "hls"  # an HLS session: playlists, segments, its subtitles
    PHOTO = "photo"  # a photo rendition
    ARTWORK = "artwork"  # posters, fanart and video frames
    SUBTITLE = "subtitle"  # a subtitle as WebVTT


# The permission each purpose needs, beyond seeing the item. HLS needs TRANSCODE only when its plan encodes.
ACTION_OF = {
    Purpose.STREAM: Action.STREAM,
    Purpose.DOWNLOAD: Action.DOWNLOAD,
    Purpose.AUDIO: Action.TRANSCODE,
    Purpose.REMUX: Action.STREAM,
    Purpose.HLS: Action.STREAM,
    Purpose.PHOTO: Action.STREAM,
    Purpose.ARTWORK: Action.BROWSE,
    Purpose.SUBTITLE: Action.STREAM,
}


@dataclass(frozen=True)
class Allowed:
    """A viewer's item, after every rule for one purpose and one zone has passed."""

    viewer: Actor
    item: ItemDetail
    library: Library
    file: MediaFileInfo | None
    zone: str

    @property
    def media(self) -> MediaInfo | None:
        return self.file.media if self.file is not None else None

    @property
    def duration(self) -> float:
        return (self.media.duration if self.media else None) or self.item.duration or 0.0

    @property
    def content_type(self) -> str:
        if self.file is None:
            return "application/octet-stream"
        return content_type(self.file.path, self.media.container if self.media else None)

    @property
    def is_audio_only(self) -> bool:
        return self.media is not None and not any(s.type == "video" for s in self.media.streams)


@dataclass(frozen=True)
class Delivery:
    """An opened file to send, and what to call it."""

    allowed: Allowed
    file: OpenedFile
    content_type: str


class Decides(Protocol):
    """The part of `MediaAccess` its renderings and revocations call back into."""

    def allow(
        self, viewer: Actor, item_id: str, purpose: Purpose, zone: str | None, file_id: str | None = None
    ) -> Allowed: ...

    def open_file(self, allowed: Allowed) -> OpenedFile: ...

    def forget(self) -> None: ...


def stream_purpose(file_id: str | None) -> str:
    """The grant purpose of a direct-play link: the item's first file, or one chosen version of it."""
    return Purpose.STREAM.value if file_id is None else f"{Purpose.STREAM.value}:{file_id}"


def zone_of(value: str | None) -> str:
    # A request with no zone never passed the network gate (a test app): only a peer known to be remote is.
    return Zone.REMOTE.value if value == Zone.REMOTE.value else Zone.LAN.value
