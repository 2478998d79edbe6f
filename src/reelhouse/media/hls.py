"""HLS playlist text: the master playlist with its renditions and the fixed-duration media playlists."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SubtitleRendition:
    name: str
    language: str | None
    uri: str
    default: bool = False
    forced: bool = False


def _quoted(value: str) -> str:
    # Attribute values may not hold quotes or line breaks; names come from file tags.
    return '"' + "".join(c for c in value if c not in '"\r\n') + '"'


def segment_count(duration: float, segment_seconds: int) -> int:
    # A tail under half a second (audio padding) joins the last segment: an encoder may never write it alone.
    return max(1, math.ceil((duration - 0.5) / segment_seconds))


def master_playlist(
    media_uri: str,
    bandwidth_bps: int,
    codecs: str,
    resolution: tuple[int, int] | None,
    subtitles: Sequence[SubtitleRendition] = (),
) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for sub in subtitles:
        attributes = [
            "TYPE=SUBTITLES",
            'GROUP-ID="subs"',
            f"NAME={_quoted(sub.name)}",
            f"DEFAULT={'YES' if sub.default else 'NO'}",
            "AUTOSELECT=YES",
            f"FORCED={'YES' if sub.forced else 'NO'}",
            f"URI={_quoted(sub.uri)}",
        ]
        if sub.language:
            attributes.insert(3, f"LANGUAGE={_quoted(sub.language)}")
        lines.append("#EXT-X-MEDIA:" + ",".join(attributes))
    stream = [f"BANDWIDTH={int(bandwidth_bps)}", f"CODECS={_quoted(codecs)}"]
    if resolution is not None:
        stream.append(f"RESOLUTION={int(resolution[0])}x{int(resolution[1])}")
    if subtitles:
        stream.append('SUBTITLES="subs"')
    lines += ["#EXT-X-STREAM-INF:" + ",".join(stream), media_uri, ""]
    return "\n".join(lines)


def media_playlist(duration: float, segment_seconds: int, uri_for: Callable[[int], str]) -> str:
    """A complete VOD playlist: every segment is listed up front, so players can seek anywhere at once."""
    count = segment_count(duration, segment_seconds)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{segment_seconds}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    for n in range(count):
        length = segment_seconds if n < count - 1 else duration - n * segment_seconds
        lines += [f"#EXTINF:{max(length, 0.001):.3f},", uri_for(n)]
    lines += ["#EXT-X-ENDLIST", ""]
    return "\n".join(lines)


def subtitle_playlist(duration: float, uri: str) -> str:
    """One WebVTT file covering the whole title, as a one-segment media playlist."""
    target = max(1, math.ceil(duration))
    return "\n".join(
        [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{target}",
            "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD",
            f"#EXTINF:{duration:.3f},",
            uri,
            "#EXT-X-ENDLIST",
            "",
        ]
    )


def finished_segments(ffmpeg_playlist: str) -> set[int]:
    """Segment numbers ffmpeg has finished writing: it lists a segment only once the file is complete."""
    done: set[int] = set()
    for line in ffmpeg_playlist.splitlines():
        if line.startswith("seg") and line.endswith(".ts"):
            number = line[3:-3]
            if number.isdigit():
                done.add(int(number))
    return done
