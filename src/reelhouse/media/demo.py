"""A tiny demo library (movie, show, album, photos) generated with ffmpeg, mutagen and Pillow."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import mutagen.id3
from PIL import Image, ImageDraw, TiffImagePlugin

from reelhouse.domain.library import LibraryKind
from reelhouse.errors import MediaError

_EXIF_IFD, _GPS_IFD, _INTEROP_IFD, _MAKER_NOTE = 0x8769, 0x8825, 0xA005, 0x927C


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


def _scene(size: tuple[int, int], sky: tuple[int, int, int], ground: tuple[int, int, int]) -> Image.Image:
    """A landscape with a graded sky, a sun and two hills: enough detail to look like a photo in a thumbnail."""
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        fade = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(c * (1 - 0.5 * fade) + 255 * 0.5 * fade) for c in sky))
    draw.ellipse((width * 0.68, height * 0.12, width * 0.8, height * 0.28), fill=(255, 226, 140))
    far = tuple(min(255, c + 40) for c in ground)
    draw.ellipse((-width * 0.3, height * 0.55, width * 0.7, height * 1.4), fill=far)
    draw.ellipse((width * 0.25, height * 0.62, width * 1.4, height * 1.5), fill=ground)
    return image


def _camera_exif(taken: datetime, orientation: int, place: tuple[float, float]) -> Image.Exif:
    """EXIF shaped like a phone's: camera tags, the Exif sub-IFD with an Interop IFD and a maker note, and GPS."""
    exif = Image.Exif()
    exif[271], exif[272], exif[274] = "Reelhouse", "Demo Camera", orientation
    exif[305], exif[306] = "Reelhouse demo 1.0", taken.strftime("%Y:%m:%d %H:%M:%S")
    exif[282] = exif[283] = TiffImagePlugin.IFDRational(72, 1)
    details = exif.get_ifd(_EXIF_IFD)
    details[36867] = details[36868] = taken.strftime("%Y:%m:%d %H:%M:%S")
    details[33434], details[33437] = TiffImagePlugin.IFDRational(1, 250), TiffImagePlugin.IFDRational(18, 10)
    details[34855], details[37386] = 50, TiffImagePlugin.IFDRational(426, 100)
    details[42036] = "Demo Camera back camera 4.26mm f/1.8"
    details[_MAKER_NOTE] = b"Reelhouse\x00\x01" + bytes(range(32))
    details[_INTEROP_IFD] = {1: "R98", 2: b"0100"}

    def dms(value: float) -> tuple[float, float, float]:
        seconds = abs(value) * 3600
        return float(seconds // 3600), float(seconds % 3600 // 60), round(seconds % 60, 2)

    exif.get_ifd(_GPS_IFD).update(
        {0: b"\x02\x02\x00\x00", 1: "N" if place[0] >= 0 else "S", 2: dms(place[0]), 3: "E", 4: dms(place[1])}
    )
    return exif


def _photos(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shots = (
        ((70, 130, 200), (60, 140, 70), datetime(2024, 6, 1, 9, 30), 1, (52.3580, 4.8686)),
        ((220, 140, 90), (90, 120, 60), datetime(2024, 6, 2, 17, 5), 6, (52.3731, 4.8922)),
    )
    for number, (sky, ground, taken, orientation, place) in enumerate(shots, 1):
        image = _scene((640, 480), sky, ground)
        # A phone held upright stores the sensor's sideways pixels and says how to turn them.
        if orientation == 6:
            image = image.transpose(Image.Transpose.ROTATE_90)
        exif = _camera_exif(taken, orientation, place)
        image.save(folder / f"Holiday {number:02d}.jpg", "JPEG", exif=exif, quality=85)


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
