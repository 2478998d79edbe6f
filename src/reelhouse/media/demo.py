"""A tiny demo library (movie, show, album, photos) generated with ffmpeg, mutagen and Pillow."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import mutagen.id3
from PIL import Image

from reelhouse.domain.library import LibraryKind
from reelhouse.errors import MediaError

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825


def _ffmpeg(*args: str) -> None:
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise MediaError("ffmpeg is not installed; it is needed to generate the demo library")
    try:
        subprocess.run([binary, "-v", "error", "-y", *args], check=True, capture_output=True, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"ffmpeg could not generate demo media: {exc}") from None


def _video(target: Path, seconds: int, pattern: str, tone: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"{pattern}=size=320x180:rate=24:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency={tone}:duration={seconds}",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-shortest",
        "-movflags",
        "+faststart",
        str(target),
    )


def _jpeg(color: tuple[int, int, int], size: tuple[int, int] = (320, 320)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=80)
    return out.getvalue()


def _music(folder: Path) -> None:
    album = folder / "Demo Artist" / "First Light"
    album.mkdir(parents=True, exist_ok=True)
    master = album / ".master.mp3"
    _ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=330:duration=3", "-c:a", "libmp3lame", "-b:a", "64k", str(master)
    )
    cover = _jpeg((200, 120, 40))
    for number, title in enumerate(("Morning", "Noon", "Evening"), 1):
        track = album / f"{number:02d} - {title}.mp3"
        shutil.copyfile(master, track)
        # mutagen's frame classes are untyped; Any keeps mypy --strict quiet without hiding our own code.
        id3: Any = mutagen.id3
        tags = id3.ID3()
        tags.add(id3.TIT2(encoding=3, text=title))
        tags.add(id3.TPE1(encoding=3, text="Demo Artist"))
        tags.add(id3.TPE2(encoding=3, text="Demo Artist"))
        tags.add(id3.TALB(encoding=3, text="First Light"))
        tags.add(id3.TRCK(encoding=3, text=f"{number}/3"))
        tags.add(id3.TDRC(encoding=3, text="2024"))
        tags.add(id3.TCON(encoding=3, text="Ambient"))
        tags.add(id3.APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=cover))
        tags.save(track)
    master.unlink()


def _photos(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number, (color, taken) in enumerate(
        (((30, 90, 160), datetime(2024, 6, 1, 9, 30)), ((40, 150, 60), datetime(2024, 6, 2, 17, 5))), 1
    ):
        image = Image.new("RGB", (640, 480), color)
        exif = Image.Exif()
        exif[271], exif[272], exif[274] = "Reelhouse", "Demo Camera", 1
        exif.get_ifd(_EXIF_IFD)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
        image.save(folder / f"Holiday {number:02d}.jpg", "JPEG", exif=exif, quality=80)


def generate_demo_library(dest: Path) -> dict[LibraryKind, Path]:
    """Write the demo media under ``dest`` (a few seconds of work) and return each library kind's root."""
    roots = {
        LibraryKind.MOVIES: dest / "Movies",
        LibraryKind.SHOWS: dest / "Shows",
        LibraryKind.MUSIC: dest / "Music",
        LibraryKind.PHOTOS: dest / "Photos",
    }
    movie = roots[LibraryKind.MOVIES] / "Big Buck Test (2024)"
    _video(movie / "Big Buck Test (2024).mp4", 4, "testsrc2", 440)
    (movie / "poster.jpg").write_bytes(_jpeg((20, 20, 80), (200, 300)))
    season = roots[LibraryKind.SHOWS] / "Demo Show" / "Season 01"
    _video(season / "Demo Show - S01E01 - Pilot.mp4", 3, "smptebars", 550)
    _video(season / "Demo Show - S01E02 - Second Steps.mp4", 3, "testsrc", 660)
    _music(roots[LibraryKind.MUSIC])
    _photos(roots[LibraryKind.PHOTOS])
    return roots
