"""Media information of an audio or video file, read in process with PyAV (libavformat)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import fields, replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import av

from reelhouse.domain.library import Chapter, MediaInfo, StreamInfo
from reelhouse.errors import MediaError

TEXT_SUBTITLE_CODECS = frozenset({"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SUBTITLE_FORMATS = {"subrip": "srt", "mov_text": "srt", "text": "srt", "webvtt": "vtt"}


def _container_name(format_name: str, path: str) -> str:
    # libavformat names demuxers by family ("mov,mp4,m4a,..."): the file's own extension picks the member.
    names = format_name.split(",")
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension in names:
        return extension
    if extension in ("mkv", "mka") and "matroska" in names:
        return "mkv"
    if extension == "webm" and "webm" in names:
        return "webm"
    return names[0]


def _text(value: Any, limit: int = 256) -> str | None:
    if not isinstance(value, str):
        return None
    # Stream titles and languages are display text, like tags: no control characters.
    return _CONTROL.sub(" ", value).strip()[:limit] or None


def _codec_name(context: Any) -> str:
    # The decoder's name can be an implementation ("mp3float"); the canonical name is the format's.
    if context is None:
        return "unknown"
    codec = getattr(context, "codec", None)
    name = getattr(codec, "canonical_name", None) or context.name
    return str(name) if name else "unknown"


def _stream(stream: Any) -> StreamInfo:
    context = stream.codec_context
    kind = stream.type if stream.type in ("video", "audio", "subtitle", "data", "attachment") else "data"
    metadata = stream.metadata or {}
    language = _text(metadata.get("language"), 16)
    disposition = int(stream.disposition)
    info: dict[str, Any] = {
        "index": int(stream.index),
        "type": kind,
        "codec": _codec_name(context),
        "language": None if language in (None, "und") else language,
        "title": _text(metadata.get("title")),
        "bit_rate": int(context.bit_rate) if context is not None and context.bit_rate else None,
        "default": bool(disposition & int(av.stream.Disposition.default)),
        "forced": bool(disposition & int(av.stream.Disposition.forced)),
        "profile": _text(getattr(context, "profile", None), 64),
    }
    if kind == "video" and context is not None:
        rate = stream.average_rate or stream.guessed_rate
        info.update(
            width=int(context.width) or None,
            height=int(context.height) or None,
            pixel_format=_text(getattr(context, "pix_fmt", None), 32),
            frame_rate=round(float(rate), 3) if rate else None,
        )
    elif kind == "audio" and context is not None:
        info.update(channels=int(context.channels) or None, sample_rate=int(context.sample_rate) or None)
    return StreamInfo(**info)


def probe(path: str) -> MediaInfo:
    """Container, duration, bitrate and every stream; MediaError when libavformat cannot read it."""
    try:
        with av.open(path, metadata_errors="ignore") as container:
            streams = tuple(_stream(s) for s in container.streams)
            duration = container.duration / av.time_base if container.duration else None
            bit_rate = int(container.bit_rate) if container.bit_rate else None
            name = _container_name(container.format.name, path)
            chapters = _chapters(container.chapters())
            recorded_at = _recorded((container.metadata or {}).get("creation_time"))
            # A cut-off file often keeps its header, but libavformat found no frame to learn the pixel format.
            lengths = _exact_lengths(container, path)
            undecodable = any(
                s.type == "video"
                and not int(s.disposition) & int(av.stream.Disposition.attached_pic)
                and getattr(s.codec_context, "pix_fmt", None) is None
                for s in container.streams
            )
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise MediaError(f"cannot read media: {_reason(exc)}") from None
    if not any(s.type in ("video", "audio") for s in streams):
        raise MediaError("no audio or video streams")
    if undecodable:
        raise MediaError("truncated or corrupt: no decodable video frames")
    if lengths:
        streams = tuple(replace(s, samples=lengths.get(s.index)) for s in streams)
    return MediaInfo(
        container=name,
        duration=duration,
        bit_rate=bit_rate,
        streams=streams,
        chapters=chapters,
        recorded_at=recorded_at,
    )


def _exact_lengths(container: Any, path: str) -> dict[int, int]:
    """The exact length in decoded samples of a music file's one audio track, where the file states it: for Ogg
    Opus the last page's granule position less the header's pre-skip; for AAC in MP4 the samples its table
    lists past the edit list's priming, or the edit list's length if shorter (ffmpeg writes that in
    milliseconds, too coarse by up to 22 samples, but lists the last frame's true duration; other encoders
    list whole frames and cut the padding in the edit list). Empty when the file does not say."""
    audio = [s for s in container.streams if s.type == "audio"]
    # A cover is a still "video" stream; a real video is not music.
    picture = int(av.stream.Disposition.attached_pic)
    if len(audio) != 1 or any(
        s.type == "video" and not int(s.disposition) & picture for s in container.streams
    ):
        return {}
    stream = audio[0]
    context = stream.codec_context
    rate = int(context.sample_rate or 0)
    if not rate or not stream.duration or stream.time_base != Fraction(1, rate):
        return {}
    names = container.format.name.split(",")
    if context.name == "opus" and names == ["ogg"] and stream.start_time in (None, 0):
        head = bytes(context.extradata or b"")
        if len(head) < 12 or not head.startswith(b"OpusHead"):
            return {}
        length = int(stream.duration) - int.from_bytes(head[10:12], "little")
    elif context.name == "aac" and "mp4" in names:
        first = next((p for p in container.demux(stream) if p.pts is not None), None)
        priming = -int(first.pts) if first is not None and first.pts < 0 else 0
        if not priming:
            return {}  # no edit list: whatever padding the last frame holds is not stated
        with av.open(path, options={"ignore_editlist": "1"}) as raw:
            listed = raw.streams.audio[0].duration
        if not listed:
            return {}
        length = min(int(listed) - priming, int(stream.duration))
    else:
        return {}
    return {int(stream.index): length} if length > 0 else {}


# Cameras without a clock write the container's epoch (1904 for QuickTime, 1970 elsewhere): no date at all.
_EARLIEST_RECORDING = datetime(1971, 1, 1, tzinfo=UTC).timestamp()


def _recorded(value: Any) -> float | None:
    """The timestamp of an ISO 8601 creation_time ("2021-06-01T10:00:00.000000Z"); a zoneless one is UTC, as
    QuickTime and Matroska store it."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    stamp = (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    return stamp if stamp >= _EARLIEST_RECORDING else None


_MAX_CHAPTERS = 500


def _chapters(found: list[Any]) -> tuple[Chapter, ...]:
    chapters: list[Chapter] = []
    for chapter in found[:_MAX_CHAPTERS]:
        base = chapter.get("time_base")
        if not base:
            continue
        start = float(chapter.get("start", 0) * base)
        end = float(chapter["end"] * base) if chapter.get("end") is not None else None
        if start < 0:
            continue
        title = _text((chapter.get("metadata") or {}).get("title"))
        chapters.append(Chapter(round(start, 3), round(end, 3) if end is not None else None, title))
    return tuple(chapters)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(": '", 1)[0][:200]


_STREAM_FIELDS = tuple(f.name for f in fields(StreamInfo))


def to_json(info: MediaInfo) -> str:
    """The shape CatalogueRepository reads back with StreamInfo(**stream)."""
    # Field by field rather than dataclasses.asdict, which deep-copies every value (a third of a scan's
    # single-threaded time when it ran in the reconcile phase).
    # A length in samples is stored only where known, so other rows keep their exact bytes.
    streams = [
        {name: getattr(s, name) for name in _STREAM_FIELDS if name != "samples" or s.samples is not None}
        for s in info.streams
    ]
    return json.dumps(
        {
            "container": info.container,
            "duration": info.duration,
            "bit_rate": info.bit_rate,
            "streams": streams,
            # Absent rather than empty when a file has none, so stored rows of files without chapters keep their
            # exact bytes (a rescan compares nothing here, but backups and diffs stay quiet).
            **({"chapters": [[c.start, c.end, c.title] for c in info.chapters]} if info.chapters else {}),
        },
        separators=(",", ":"),
    )


def subtitle_format(codec: str) -> str:
    return _SUBTITLE_FORMATS.get(codec, codec)
