"""Photo facts from EXIF: when it was taken, the camera, orientation and GPS position (Pillow)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reelhouse.media.exif import read_exif
from reelhouse.media.images import open_image

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATE_TAGS = (36867, 36868, 306)  # DateTimeOriginal, DateTimeDigitized, DateTime
_MAKE, _MODEL, _ORIENTATION = 271, 272, 274
# The camera's name is display text, like tags: control characters become spaces.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PhotoFacts:
    width: int
    height: int
    taken_at: float | None = None
    camera: str | None = None
    orientation: int | None = None
    gps: tuple[float, float] | None = None


def _date(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    text = value.strip().replace("\x00", "")[:19]
    try:
        # EXIF dates carry no zone: read as the server's local time, as cameras record it.
        return datetime.strptime(text, "%Y:%m:%d %H:%M:%S").timestamp()
    except ValueError:
        return None


def _degrees(value: Any, reference: Any) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    return -result if str(reference).upper().startswith(("S", "W")) else result


def _gps(exif: Any) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:  # noqa: BLE001 - a broken GPS sub-IFD means no position, not an unreadable photo
        return None
    if not gps or 2 not in gps or 4 not in gps:
        return None
    latitude, longitude = _degrees(gps[2], gps.get(1, "N")), _degrees(gps[4], gps.get(3, "E"))
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    return round(latitude, 6), round(longitude, 6)


def read_photo(path: str) -> PhotoFacts:
    """The photo's stored size and EXIF facts; MediaError when it cannot be read."""
    with open_image(path) as image:
        width, height = image.size
        tags = read_exif(image)
        try:
            details: Any = tags.get_ifd(_EXIF_IFD)
        except Exception:  # noqa: BLE001 - a broken Exif sub-IFD loses the date, not the photo
            details = {}
        taken = next((t for t in (_date(details.get(k) or tags.get(k)) for k in _DATE_TAGS) if t), None)
        make = _CONTROL.sub(" ", str(tags.get(_MAKE) or "")).strip()
        model = _CONTROL.sub(" ", str(tags.get(_MODEL) or "")).strip()
        camera = model if model.startswith(make) else f"{make} {model}".strip()
        orientation = tags.get(_ORIENTATION)
        return PhotoFacts(
            width=int(width),
            height=int(height),
            taken_at=taken,
            camera=camera[:128] or None,
            orientation=int(orientation) if isinstance(orientation, int) else None,
            gps=_gps(tags),
        )
