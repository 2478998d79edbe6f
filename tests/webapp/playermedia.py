"""Tiny real videos for the player journeys: one needing a transcode, one with two audio tracks, a long one, one
with chapters."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.mediagen import ffmpeg

# A keyframe a second, so a seek lands on time; faststart, so direct play starts before the whole file arrives.
H264_AAC = (
    "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 10 -c:a aac -b:a 24k -shortest -movflags +faststart"
)


def _sources(seconds: int, languages: int = 1) -> list[str]:
    args = ["-f", "lavfi", "-i", f"testsrc2=size=96x64:rate=10:duration={seconds}"]
    for number in range(languages):
        # A different pitch per track, so a switch is audible to a person checking by hand.
        args += ["-f", "lavfi", "-i", f"sine=frequency={440 + 220 * number}:duration={seconds}"]
    return args


def _made(folder: Path, name: str, *args: str) -> Path:
    target = folder / name
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        ffmpeg(*args, str(target))
    return target


def mpeg4_avi(folder: Path, seconds: int = 8) -> Path:
    """MPEG-4 Part 2 video and MP3 audio in AVI: no browser plays it as it is, so the server transcodes."""
    encode = "-c:v mpeg4 -q:v 5 -c:a libmp3lame -b:a 32k -shortest"
    return _made(folder, "mpeg4.avi", *_sources(seconds), *encode.split())


def two_languages_mp4(folder: Path, seconds: int = 6) -> Path:
    """H.264 with an English (default) and a French AAC track: direct play until the French one is chosen."""
    tracks = (
        "-map 0:v -map 1:a -map 2:a -metadata:s:a:0 language=eng -metadata:s:a:1 language=fre"
        " -disposition:a:0 default -disposition:a:1 0"
    )
    return _made(folder, "bilingual.mp4", *_sources(seconds, 2), *tracks.split(), *H264_AAC.split())


def h264_mp4(folder: Path, seconds: int, name: str) -> Path:
    return _made(folder, name, *_sources(seconds), *H264_AAC.split())


def place(master: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(master, target)
    return target


def chaptered_mp4(folder: Path, chapters: list[tuple[float, str]], seconds: int) -> Path:
    """H.264 in MP4 with chapters from ffmpeg metadata (the scanner reads them from the container)."""
    folder.mkdir(parents=True, exist_ok=True)
    marks = [*(start for start, _ in chapters[1:]), seconds]
    lines = [";FFMETADATA1"]
    for (start, title), end in zip(chapters, marks, strict=True):
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={int(start * 1000)}",
            f"END={int(end * 1000)}",
            f"title={title}",
        ]
    metadata = folder / "chapters.txt"
    metadata.write_text("\n".join(lines) + "\n", encoding="utf-8")
    index = str(len(_sources(seconds)) // 4)  # each lavfi input is four arguments: -f lavfi -i spec
    mapping = ["-map", "0:v", "-map", "1:a", "-map_metadata", index, "-map_chapters", index]
    return _made(
        folder, "chaptered.mp4", *_sources(seconds), "-i", str(metadata), *mapping, *H264_AAC.split()
    )
