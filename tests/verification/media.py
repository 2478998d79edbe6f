"""Tiny real media files made with the system ffmpeg, for the verification suite."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"


def movie(path: Path, seconds: float = 2.0, size: str = "160x90") -> Path:
    """An H.264/AAC MP4 with a moving test pattern and a tone; a few tens of kilobytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    video = f"testsrc2=size={size}:rate=12:duration={seconds}"
    audio = f"sine=frequency=440:duration={seconds}"
    encode = (
        "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -b:a 32k -shortest -movflags +faststart"
    )
    inputs = ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio]
    quiet = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run(
        [FFMPEG, *quiet, *inputs, *encode.split(), str(path)],
        check=True,
        timeout=60,
    )
    return path


def copies(template: Path, targets: list[Path]) -> list[Path]:
    """Many files from one encode: scanning cares about the bytes, not about each being encoded anew."""
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
    return targets
