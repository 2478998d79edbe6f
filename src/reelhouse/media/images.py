"""Image renditions with Pillow: resized, EXIF orientation applied, GPS removed unless asked to keep it."""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from reelhouse.errors import InvalidInput, MediaError

WIDTHS = (160, 320, 480, 720, 1080, 1920)
_GPS_IFD = 0x8825
_ORIENTATION = 274
# Decompression bombs: a photo library has big panoramas, but nothing near this many pixels.
Image.MAX_IMAGE_PIXELS = 200_000_000


def check_width(width: int, allowed: tuple[int, ...] = WIDTHS) -> int:
    if width not in allowed:
        raise InvalidInput(f"width must be one of {', '.join(map(str, allowed))}.", "width")
    return width


def render(source: str | Path, target: Path, width: int, keep_gps: bool) -> None:
    """Write a JPEG of ``source`` no wider than ``width`` to ``target`` atomically."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(source) as image:
                exif = image.getexif()
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
                if upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                # The pixels are upright now; a kept Orientation tag would make viewers rotate them again.
                exif.pop(_ORIENTATION, None)
                data = exif.tobytes() if keep_gps else _without_gps(exif)
                target.parent.mkdir(parents=True, exist_ok=True)
                handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
                try:
                    with os.fdopen(handle, "wb") as stream:
                        upright.save(stream, "JPEG", quality=85, exif=data)
                    os.replace(partial, target)
                finally:
                    Path(partial).unlink(missing_ok=True)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise MediaError(f"cannot render image: {str(exc)[:200]}") from None


def _without_gps(exif: Image.Exif) -> bytes:
    clean = Image.Exif()
    for tag, value in exif.items():
        if tag != _GPS_IFD:
            clean[tag] = value
    return clean.tobytes()
