"""Embedded audio tags (ID3, MP4, Vorbis comments) and cover pictures, read with mutagen."""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from typing import IO, Any

import mutagen
from mutagen.flac import FLAC, Picture
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

from reelhouse.domain.library import MediaInfo, StreamInfo
from reelhouse.domain.people import Lyrics
from reelhouse.errors import MediaError
from reelhouse.media.lyrics import MAX_BYTES, from_timed, parse_lrc

VARIOUS_ARTISTS = "Various Artists"
_NUMBER = re.compile(r"^\s*(\d{1,4})")
_YEAR = re.compile(r"((?:1[89]|20)\d\d)")
_MAX_TEXT = 512
# Tags are display text: control characters (terminal escapes, NULs, bells) become spaces, as in NFOs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BY_EXTENSION: dict[str, Any] = {".mp3": MP3, ".flac": FLAC, ".m4a": MP4, ".aac": None}
# Formats whose stream facts mutagen reads exactly as libavformat does (mutagen misreads AAC channel counts
# in MP4, so those still go to PyAV); probing them again with PyAV would double the cost of a music scan.
_MEDIA_FROM_TAGS: dict[type, str] = {MP3: "mp3", FLAC: "flac"}

# Tag names per family: ID3 frame, MP4 atom, Vorbis comment field.
_KEYS: dict[str, tuple[str, str, str]] = {
    "title": ("TIT2", "\xa9nam", "title"),
    "artist": ("TPE1", "\xa9ART", "artist"),
    "album_artist": ("TPE2", "aART", "albumartist"),
    "album": ("TALB", "\xa9alb", "album"),
    "disc": ("TPOS", "disk", "discnumber"),
    "track": ("TRCK", "trkn", "tracknumber"),
    "date": ("TDRC", "\xa9day", "date"),
    "genre": ("TCON", "\xa9gen", "genre"),
    "compilation": ("TCMP", "cpil", "compilation"),
}

# Where MusicBrainz Picard and iTunes keep the release type, per family, first found wins.
_RELEASE_TYPE_KEYS: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = (
    ("TXXX:MusicBrainz Album Type", "TXXX:RELEASETYPE", "TXXX:releasetype"),
    ("----:com.apple.iTunes:MusicBrainz Album Type", "----:com.apple.iTunes:RELEASETYPE"),
    ("releasetype", "musicbrainz_albumtype"),
)
# MusicBrainz's primary types; the secondary ones (live, soundtrack, compilation…) follow them in the tag.
RELEASE_TYPES = frozenset({"album", "single", "ep", "broadcast", "other"})
_TYPE_SPLIT = re.compile(r"[;/,\x00]+")


@dataclass(frozen=True)
class AudioTags:
    title: str | None = None
    artist: str | None = None
    album_artist: str | None = None
    album: str | None = None
    disc: int | None = None
    track: int | None = None
    year: int | None = None
    genres: tuple[str, ...] = ()
    compilation: bool = False
    # MusicBrainz's primary release type of the album, lower case: album, single, ep, broadcast or other.
    release_type: str | None = None
    duration: float | None = None
    has_cover: bool = False
    lyrics: Lyrics | None = None


def _family(tags: Any) -> int:
    name = type(tags).__name__
    if name.startswith("ID3"):
        return 0
    if name.startswith("MP4"):
        return 1
    return 2


def _values(tags: Any, family: int, field: str) -> list[Any]:
    key = _KEYS[field][family]
    try:
        raw = tags[key] if family != 2 else tags.get(key)
    except (KeyError, ValueError):
        return []
    if raw is None:
        return []
    if family == 0:
        return list(getattr(raw, "text", [raw]))
    return list(raw) if isinstance(raw, list) else [raw]


def _release_type(tags: Any, family: int) -> str | None:
    for key in _RELEASE_TYPE_KEYS[family]:
        try:
            raw = tags.get(key)
        except (KeyError, ValueError):
            continue
        if raw is None:
            continue
        values = list(getattr(raw, "text", raw)) if family != 2 else list(raw)
        for value in values:
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            for word in _TYPE_SPLIT.split(text.casefold()):
                if word.strip() in RELEASE_TYPES:
                    return word.strip()
    return None


def _text(values: list[Any]) -> str | None:
    for value in values:
        text = _CONTROL.sub(" ", str(value)).strip()
        if text:
            return text[:_MAX_TEXT]
    return None


def _number(values: list[Any]) -> int | None:
    for value in values:
        if isinstance(value, tuple):
            value = value[0]
        if isinstance(value, int) and not isinstance(value, bool):
            return value if 0 < value < 10000 else None
        match = _NUMBER.match(str(value))
        if match:
            number = int(match.group(1))
            return number if number > 0 else None
    return None


def _has_cover(audio: Any, tags: Any, family: int) -> bool:
    if family == 0:
        return any(key.startswith("APIC") for key in tags.keys())
    if family == 1:
        return bool(tags.get("covr"))
    return bool(getattr(audio, "pictures", None)) or bool(tags.get("metadata_block_picture"))


def _open(path: str, handle: IO[bytes] | None = None) -> Any:
    # The format's own class by extension: mutagen.File scores every format first, doubling the cost.
    kind = _BY_EXTENSION.get(os.path.splitext(path)[1].lower())
    source: Any = handle if handle is not None else path
    try:
        audio = kind(source) if kind is not None else mutagen.File(source)
    except (mutagen.MutagenError, OSError, ValueError, EOFError, IndexError) as exc:
        raise MediaError(f"cannot read tags: {str(exc)[:200]}") from None
    if audio is None:
        raise MediaError("not a recognised audio file")
    return audio


def read_tags(path: str, handle: IO[bytes] | None = None) -> AudioTags:
    """Tags of the file at ``path``, read from ``handle`` when the caller already has it open."""
    return _tags(_open(path, handle))


def read_audio(path: str, size: int, handle: IO[bytes] | None = None) -> tuple[AudioTags, MediaInfo | None]:
    """Tags and, for MP3 and FLAC, the media info too (None: probe the file with PyAV instead)."""
    audio = _open(path, handle)
    return _tags(audio), _media(audio, size)


def _media(audio: Any, size: int) -> MediaInfo | None:
    codec = _MEDIA_FROM_TAGS.get(type(audio))
    info = audio.info
    length = float(getattr(info, "length", 0) or 0)
    if codec is None or length <= 0:
        return None
    streams = [
        StreamInfo(
            index=0,
            type="audio",
            codec=codec,
            channels=int(info.channels) or None,
            sample_rate=int(info.sample_rate) or None,
            # FLAC is variable by nature: libavformat reports no stream bitrate for it either.
            bit_rate=int(info.bitrate) or None if codec == "mp3" else None,
        )
    ]
    if audio.tags is not None and _has_cover(audio, audio.tags, _family(audio.tags)):
        # libavformat shows an embedded cover as a still-image video stream; playback skips those.
        streams.append(StreamInfo(index=1, type="video", codec="mjpeg"))
    return MediaInfo(
        container=codec, duration=length, bit_rate=int(size * 8 / length), streams=tuple(streams)
    )


def _tags(audio: Any) -> AudioTags:
    duration = getattr(audio.info, "length", None)
    tags = audio.tags
    if tags is None:
        return AudioTags(duration=float(duration) if duration else None)
    family = _family(tags)
    year_text = _text(_values(tags, family, "date"))
    year_match = _YEAR.search(year_text or "")
    compilation_values = _values(tags, family, "compilation")
    compilation = any(str(v).strip().lower() in ("1", "true", "yes") for v in compilation_values)
    genres = tuple(
        dict.fromkeys(
            g.strip()[:64]
            for v in _values(tags, family, "genre")
            for g in _CONTROL.sub(" ", str(v).replace("\x00", ";")).split(";")
            if g.strip()
        )
    )[:20]
    return AudioTags(
        title=_text(_values(tags, family, "title")),
        artist=_text(_values(tags, family, "artist")),
        album_artist=_text(_values(tags, family, "album_artist")),
        album=_text(_values(tags, family, "album")),
        disc=_number(_values(tags, family, "disc")),
        track=_number(_values(tags, family, "track")),
        year=int(year_match.group(1)) if year_match else None,
        genres=genres,
        compilation=compilation,
        release_type=_release_type(tags, family),
        duration=float(duration) if duration else None,
        has_cover=_has_cover(audio, tags, family),
        lyrics=_lyrics(tags, family),
    )


def _lyrics(tags: Any, family: int) -> Lyrics | None:
    """Embedded lyrics: ID3 SYLT (timed) before USLT, MP4's lyrics atom, Vorbis LYRICS or UNSYNCEDLYRICS.
    Text in LRC form counts as synced. Bad lyrics never fail a scan: they are simply not read."""
    try:
        if family == 0:
            for frame in tags.getall("SYLT"):
                # Format 2 is milliseconds; format 1 (MPEG frames) cannot be timed without decoding.
                if getattr(frame, "format", None) == 2:
                    found = from_timed(frame.text, "embedded", frame.lang)
                    if found is not None:
                        return found
            for frame in tags.getall("USLT"):
                found = _lrc_text(str(frame.text), frame.lang)
                if found is not None:
                    return found
            return None
        values = tags.get("\xa9lyr") if family == 1 else None
        if family == 2:
            values = tags.get("lyrics") or tags.get("unsyncedlyrics")
        for value in values or []:
            found = _lrc_text(str(value), None)
            if found is not None:
                return found
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return None


def _lrc_text(text: str, language: str | None) -> Lyrics | None:
    return parse_lrc(text[:MAX_BYTES], "embedded", language) if text.strip() else None


def read_cover(path: str) -> bytes | None:
    """The first embedded picture's bytes, front cover preferred."""
    audio = _open(path)
    tags = audio.tags
    if tags is None:
        return None
    family = _family(tags)
    if family == 0:
        pictures = [tags[k] for k in tags.keys() if k.startswith("APIC")]
        pictures.sort(key=lambda p: p.type != 3)
        return bytes(pictures[0].data) if pictures else None
    if family == 1:
        covers = tags.get("covr") or []
        return bytes(covers[0]) if covers else None
    flac_pictures = list(getattr(audio, "pictures", None) or [])
    for encoded in tags.get("metadata_block_picture") or []:
        try:
            flac_pictures.append(Picture(base64.b64decode(encoded)))  # type: ignore[no-untyped-call]
        except (ValueError, mutagen.MutagenError):
            continue
    flac_pictures.sort(key=lambda p: p.type != 3)
    return bytes(flac_pictures[0].data) if flac_pictures else None
