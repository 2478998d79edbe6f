"""Real media for playback tests, made with ffmpeg once per session: H.264/AAC MP4, HEVC/AC-3 MKV, audio."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"


def _ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", *args], check=True, timeout=300)


def _sources(seconds: int, size: str, rate: int = 25) -> list[str]:
    return [
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size}:rate={rate}:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:duration={seconds}",
    ]


def h264_mp4(target: Path, seconds: int = 8, size: str = "320x240") -> Path:
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        _ffmpeg(
            *_sources(seconds, size),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "25",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-shortest",
            "-movflags",
            "+faststart",
            str(target),
        )
    return target


def hevc_ac3_mkv(target: Path, seconds: int = 12, size: str = "320x240") -> Path:
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        _ffmpeg(
            *_sources(seconds, size),
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=0",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "ac3",
            "-b:a",
            "96k",
            "-shortest",
            str(target),
        )
    return target


def h264_1080p(target: Path, seconds: int = 30) -> Path:
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        _ffmpeg(
            *_sources(seconds, "1920x1080", 30),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-b:v",
            "8M",
            "-g",
            "60",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-shortest",
            str(target),
        )
    return target


def flac_track(target: Path, seconds: int = 5) -> Path:
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        _ffmpeg("-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", "-c:a", "flac", str(target))
    return target
