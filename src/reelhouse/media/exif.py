"""Which EXIF a copy of a photo may carry: a fresh block of listed tags, and whether a photo has a location."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from PIL import Image, ImageFile, IptcImagePlugin, TiffImagePlugin

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
ORIENTATION = 274
# Copies are rebuilt from an allow-list rather than edited: camera EXIF carries maker notes, serial numbers and
# offsets Pillow cannot always write back, and a tag nobody listed cannot leak anything.
_BASE_TAGS = frozenset({271, 272, 282, 283, 296, 305, 306, 315, 33432})
_EXIF_TAGS = frozenset(
    {
        33434, 33437, 34850, 34855, 36864, 36867, 36868, 36880, 36881, 36882, 37377, 37378, 37380, 37381,
        37383, 37385, 37386, 37520, 37521, 37522, 40961, 41986, 41987, 41989, 42035, 42036,
    }
)  # fmt: skip
_GPS_TAGS = frozenset(range(0, 32))
_MAX_TEXT = 256
# XMP properties that place a photo: EXIF GPS mirrored in XMP, IPTC and Photoshop location fields.
_XMP_GEO = re.compile(
    rb"GPS(Latitude|Longitude|Altitude|DestLatitude|DestLongitude|AreaInformation)"
    rb"|Location(Created|Shown)?\b|photoshop:(City|State|Country)|Iptc4xmpCore:(Sublocation|CountryCode)"
    rb"|exif(EX)?:GPS|dji:Gps|drone-dji:Gps",
    re.IGNORECASE,
)
# IPTC-IIM datasets (record 2) naming a place: sublocation, city, province, country code and name.
_IPTC_PLACES = ((2, 90), (2, 92), (2, 95), (2, 100), (2, 101))


def _acceptable(value: Any) -> Any | None:
    """A plain value Pillow can write again, or None: strings are cut, rationals must be finite."""
    if isinstance(value, str):
        text = value.replace("\x00", "").strip()[:_MAX_TEXT]
        return text or None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(2**31) <= value < 2**32 else None
    if isinstance(value, TiffImagePlugin.IFDRational):
        return value if value.denominator != 0 else None
    if isinstance(value, float):
        return value if value == value and abs(value) < 2**31 else None
    if isinstance(value, bytes):
        return value if len(value) <= 64 else None
    if isinstance(value, tuple) and 0 < len(value) <= 8:
        items = [_acceptable(item) for item in value]
        return tuple(items) if all(item is not None for item in items) else None
    return None


def _writable(ifd: int | None, tag: int, value: Any) -> bool:
    probe = Image.Exif()
    if ifd is None:
        probe[tag] = value
    else:
        probe.get_ifd(ifd)[tag] = value
    try:
        probe.tobytes()
    except Exception:  # noqa: BLE001 - Pillow's writer raises many kinds on odd values; the tag is just dropped
        return False
    return True


def _copy(source: Mapping[int, Any], allowed: frozenset[int], ifd: int | None) -> dict[int, Any]:
    kept: dict[int, Any] = {}
    for tag, raw in source.items():
        if tag not in allowed:
            continue
        value = _acceptable(raw)
        if value is not None and _writable(ifd, tag, value):
            kept[tag] = value
    return kept


def _sub_ifd(exif: Image.Exif, tag: int) -> Mapping[int, Any]:
    try:
        return exif.get_ifd(tag)
    except Exception:  # noqa: BLE001 - a broken sub-IFD offset means the camera's block is unreadable there
        return {}


def orientation(exif: Image.Exif) -> int:
    value = exif.get(ORIENTATION)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def clean_exif(exif: Image.Exif, *, keep_orientation: bool, keep_location: bool) -> bytes:
    """A new EXIF block with the listed camera tags; GPS only when ``keep_location``; b"" when nothing is left."""
    fresh = Image.Exif()
    for tag, value in _copy(exif, _BASE_TAGS, None).items():
        fresh[tag] = value
    if keep_orientation and orientation(exif) != 1:
        fresh[ORIENTATION] = orientation(exif)
    details = _copy(_sub_ifd(exif, EXIF_IFD), _EXIF_TAGS, EXIF_IFD)
    gps = _copy(_sub_ifd(exif, GPS_IFD), _GPS_TAGS, GPS_IFD) if keep_location else {}
    # get_ifd on a new block adds that IFD, empty or not: ask only for the ones that have tags.
    if details:
        fresh.get_ifd(EXIF_IFD).update(details)
    if gps:
        fresh.get_ifd(GPS_IFD).update(gps)
    if not len(fresh) and not details and not gps:
        return b""
    try:
        return fresh.tobytes()
    except Exception:  # noqa: BLE001 - tags that wrote alone may still clash together; a copy without is fine
        return b""


def read_exif(image: Image.Image) -> Image.Exif:
    """The image's EXIF, or an empty block when the camera's is too broken for Pillow to parse."""
    try:
        exif = image.getexif()
        # Touch the sub-IFDs now, so a broken offset shows here and not in the middle of a copy.
        _sub_ifd(exif, EXIF_IFD)
        return exif
    except Exception:  # noqa: BLE001 - metadata is optional; a photo with unreadable EXIF still has pixels
        return Image.Exif()


def _xmp_packets(image: Image.Image) -> list[bytes]:
    packets = []
    for key in ("xmp", "XML:com.adobe.xmp"):
        value = image.info.get(key)
        if isinstance(value, str):
            value = value.encode("utf-8", "replace")
        if isinstance(value, bytes):
            packets.append(value)
    return packets


def locates(image: Image.Image) -> bool:
    """True when the image's metadata places it: GPS in EXIF, location properties in XMP, or IPTC places."""
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
    except Exception:  # noqa: BLE001 - unreadable EXIF may still hold a position: assume it does
        return True
    if any(tag != 0 for tag in gps):
        return True
    if any(_XMP_GEO.search(packet) for packet in _xmp_packets(image)):
        return True
    if isinstance(image, ImageFile.ImageFile) and image.format in ("JPEG", "TIFF", "MPO"):
        try:
            iptc = IptcImagePlugin.getiptcinfo(image) or {}
        except Exception:  # noqa: BLE001 - an IPTC block Pillow cannot read is treated as naming a place
            return True
        return any(key in iptc for key in _IPTC_PLACES)
    return False
