"""Tiny real media for scanner tests and benchmarks: encode once with ffmpeg, then copy and retag."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from mutagen.flac import FLAC
from mutagen.id3 import APIC, ID3, TALB, TCMP, TCON, TDRC, TIT2, TPE1, TPE2, TPOS, TRCK
from mutagen.mp4 import MP4, MP4Cover
from PIL import Image

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", *args], check=True, timeout=60)


class MediaKit:
    """Master files made once per session in ``folder``; every ``*_at`` call copies one to a new path."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._masters: dict[str, Path] = {}

    def master(self, name: str) -> Path:
        if name not in self._masters:
            target = self.folder / name
            if not target.exists():
                self._make(name, target)
            self._masters[name] = target
        return self._masters[name]

    def _make(self, name: str, target: Path) -> None:
        video = [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=96x64:rate=10:duration=1",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=1",
        ]
        encode = [
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "24k",
            "-shortest",
        ]
        if name == "video.mp4":
            ffmpeg(*video, *encode, "-movflags", "+faststart", str(target))
        elif name == "video.mkv":
            ffmpeg(*video, *encode, str(target))
        elif name == "subbed.mkv":
            srt = self.folder / "sub.srt"
            srt.write_text("1\n00:00:00,000 --> 00:00:00,900\nHello\n", encoding="utf-8")
            ffmpeg(
                "-i",
                str(self.master("video.mkv")),
                "-i",
                str(srt),
                "-map",
                "0",
                "-map",
                "1",
                "-c",
                "copy",
                "-c:s",
                "srt",
                "-metadata:s:s:0",
                "language=fre",
                "-disposition:s:0",
                "forced",
                str(target),
            )
        elif name == "audio.mp3":
            ffmpeg(
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=330:duration=1",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "32k",
                str(target),
            )
        elif name == "audio.flac":
            ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:duration=1", "-c:a", "flac", str(target))
        elif name == "audio.m4a":
            ffmpeg(
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=330:duration=1",
                "-c:a",
                "aac",
                "-b:a",
                "24k",
                str(target),
            )
        else:
            raise ValueError(name)

    def copy(self, master: str, target: Path, unique: bool = True) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.master(master), target)
        if unique:
            # Trailing bytes make each copy's fingerprint its own; demuxers ignore them.
            with open(target, "ab") as handle:
                handle.write(os.urandom(32))
        return target

    def video_at(self, target: Path, unique: bool = True) -> Path:
        master = "video.mkv" if target.suffix.lower() == ".mkv" else "video.mp4"
        return self.copy(master, target, unique)

    def audio_at(self, target: Path, cover: bytes | None = None, **tags: object) -> Path:
        """A tagged track; ``tags`` are title, artist, album_artist, album, track, disc, year, genre, compilation."""
        suffix = target.suffix.lower()
        self.copy(f"audio{suffix}", target, unique=False)
        if suffix == ".mp3":
            _tag_id3(target, cover, tags)
        elif suffix == ".flac":
            _tag_flac(target, tags)
        elif suffix == ".m4a":
            _tag_mp4(target, cover, tags)
        return target


def _tag_id3(path: Path, cover: bytes | None, tags: dict[str, object]) -> None:
    frames = {
        "title": TIT2,
        "artist": TPE1,
        "album_artist": TPE2,
        "album": TALB,
        "track": TRCK,
        "disc": TPOS,
        "year": TDRC,
        "genre": TCON,
    }
    id3 = ID3()
    for key, frame in frames.items():
        if key in tags:
            id3.add(frame(encoding=3, text=str(tags[key])))
    if tags.get("compilation"):
        id3.add(TCMP(encoding=3, text="1"))
    if cover is not None:
        id3.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=cover))
    id3.save(path)


def _tag_flac(path: Path, tags: dict[str, object]) -> None:
    names = {
        "title": "title",
        "artist": "artist",
        "album_artist": "albumartist",
        "album": "album",
        "track": "tracknumber",
        "disc": "discnumber",
        "year": "date",
        "genre": "genre",
        "compilation": "compilation",
    }
    audio = FLAC(path)
    for key, value in tags.items():
        audio[names[key]] = "1" if value is True else str(value)
    audio.save()


def _tag_mp4(path: Path, cover: bytes | None, tags: dict[str, object]) -> None:
    audio = MP4(path)
    names = {
        "title": "\xa9nam",
        "artist": "\xa9ART",
        "album_artist": "aART",
        "album": "\xa9alb",
        "year": "\xa9day",
        "genre": "\xa9gen",
    }
    for key, value in tags.items():
        if key in names:
            audio[names[key]] = [str(value)]
    if "track" in tags:
        audio["trkn"] = [(int(str(tags["track"])), 0)]
    if "disc" in tags:
        audio["disk"] = [(int(str(tags["disc"])), 0)]
    if tags.get("compilation"):
        audio["cpil"] = True
    if cover is not None:
        audio["covr"] = [MP4Cover(cover, imageformat=MP4Cover.FORMAT_JPEG)]
    audio.save()


def jpeg_bytes(color: tuple[int, int, int] = (200, 40, 40), size: tuple[int, int] = (32, 32)) -> bytes:
    import io

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def photo_at(
    target: Path,
    taken: str | None = None,
    camera: tuple[str, str] | None = None,
    orientation: int | None = None,
    gps: tuple[float, float] | None = None,
) -> Path:
    """A JPEG with the given EXIF: ``taken`` as 'YYYY:MM:DD HH:MM:SS', GPS as signed decimal degrees."""
    target.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    if camera:
        exif[271], exif[272] = camera
    if orientation:
        exif[274] = orientation
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    if gps:

        def dms(value: float) -> tuple[float, float, float]:
            value = abs(value)
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            return (float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4))

        exif.get_ifd(0x8825).update(
            {1: "N" if gps[0] >= 0 else "S", 2: dms(gps[0]), 3: "E" if gps[1] >= 0 else "W", 4: dms(gps[1])}
        )
    Image.new("RGB", (48, 32), (10, 120, 200)).save(target, "JPEG", exif=exif)
    return target
