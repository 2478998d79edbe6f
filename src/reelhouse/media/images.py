"""Photos and artwork with Pillow: opening (HEIC included), upright renditions, and location-free copies."""

from __future__ import annotations

import functools
import io
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from PIL import Image

from reelhouse.errors import InvalidInput, MediaError
from reelhouse.media import containers, exif

WIDTHS = (160, 320, 480, 720, 1080, 1920)
# Decompression bombs: a photo library has big panoramas, but nothing near this many pixels.
_MAX_PIXELS = 200_000_000
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_BACKGROUND = (255, 255, 255)
MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_REWRITERS: dict[str, Callable[[bytes, bytes], bytes]] = {
    "jpeg": containers.jpeg,
    "png": containers.png,
    "webp": containers.webp,
}


@functools.cache
def _pillow() -> None:
    """Configure Pillow once, on first use rather than at import: HEIC/HEIF reading and the pixel limit."""
    from pillow_heif import register_heif_opener

    # Thumbnails and depth images inside a HEIC are not shown anywhere; skipping them saves decoding time.
    register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    Image.MAX_IMAGE_PIXELS = _MAX_PIXELS


@contextmanager
def open_image(source: str | Path | IO[bytes], what: str = "image") -> Iterator[Image.Image]:
    """Pillow's image for ``source``, any failure to decode it turned into MediaError."""
    _pillow()
    try:
        with warnings.catch_warnings():
            # Pillow warns on odd EXIF and oversized images; a photo library must not turn those into failures.
            warnings.simplefilter("ignore")
            with Image.open(source) as image:
                yield image
    except MediaError:
        raise
    except Exception as exc:  # noqa: BLE001 - decoders raise many built-in errors on hostile or damaged files
        raise MediaError(f"cannot read {what}: {type(exc).__name__}: {str(exc)[:200]}") from None


def check_width(width: int, allowed: tuple[int, ...] = WIDTHS) -> int:
    if width not in allowed:
        raise InvalidInput(f"width must be one of {', '.join(map(str, allowed))}.", "width")
    return width


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


def _displayable(image: Image.Image) -> Image.Image:
    """RGB or L pixels a JPEG can hold: deep greys scaled down, transparency laid on white, CMYK converted."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        # Scale by the image's own range: a 16-bit grey clipped to 8 bits would be almost all white.
        deep = image.convert("F")
        extrema = deep.getextrema()
        low, high = (float(v) for v in extrema if isinstance(v, (int, float)))
        span = high - low or 1.0
        return deep.point(lambda v: (v - low) * 255.0 / span).convert("L")
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("P", "PA") or image.mode.endswith(("A", "a")) or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _write_atomically(target: Path, write: Callable[[IO[bytes]], None]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)


def _encode_jpeg(
    image: Image.Image, stream: IO[bytes], block: bytes, icc: bytes | None, quality: int
) -> None:
    options: dict[str, object] = {"quality": quality, "exif": block}
    if icc:
        options["icc_profile"] = icc
    image.save(stream, "JPEG", **options)


def _colour_profile(image: Image.Image, converted: Image.Image) -> bytes | None:
    # A CMYK or palette profile describes the old pixels, not the converted ones.
    icc = image.info.get("icc_profile")
    return icc if isinstance(icc, bytes) and image.mode == converted.mode else None


def render(source: str | Path, target: Path, width: int, keep_gps: bool) -> None:
    """Write an upright JPEG of ``source`` no wider than ``width`` to ``target`` atomically.

    The copy carries a few camera tags (no maker notes, no XMP); GPS only when ``keep_gps``.
    Raises MediaError when the image cannot be read or encoded.
    """
    with open_image(source) as image:
        tags = exif.read_exif(image)
        block = exif.clean_exif(tags, keep_orientation=False, keep_location=keep_gps)
        # JPEG can decode at 1/2, 1/4 or 1/8 scale; a square box is right for either orientation.
        image.draft(None, (width, width))
        pixels = _displayable(_upright(image, exif.orientation(tags)))
        pixels.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
        icc = _colour_profile(image, pixels)
        _write_atomically(target, lambda stream: _encode_jpeg(pixels, stream, block, icc, 85))


def has_location(source: str | Path) -> bool:
    """True when the photo's metadata places it (EXIF GPS, XMP location, IPTC place); unreadable means True."""
    try:
        with open_image(source) as image:
            return exif.locates(image)
    except MediaError:
        return True


def strip_location(source: str | Path, target: Path) -> str:
    """Write a copy of ``source`` with no location in it to ``target`` and return the copy's media type.

    JPEG, PNG and WebP keep their bytes of image data and format (lossless, original resolution) and get a
    fresh EXIF block of camera tags, orientation included, and no GPS, XMP, IPTC or trailing data. Other
    formats (HEIC, TIFF, GIF) are decoded and written as an upright JPEG at full size. Raises MediaError when
    the image cannot be read; the copy is never written then.
    """
    image_kind = containers.kind(_head(source))
    with open_image(source) as image:
        tags = exif.read_exif(image)
        if image_kind is not None:
            block = exif.clean_exif(tags, keep_orientation=True, keep_location=False)
            try:
                cleaned = _REWRITERS[image_kind](Path(source).read_bytes(), block)
            except containers.Malformed:
                cleaned = None
            if cleaned is not None and _same_size(cleaned, image.size):
                _write_atomically(target, functools.partial(_write_bytes, cleaned))
                return MEDIA_TYPES[image_kind]
        # The pixels are made upright, so the copy carries no Orientation tag to apply twice.
        block = exif.clean_exif(tags, keep_orientation=False, keep_location=False)
        pixels = _displayable(_upright(image, exif.orientation(tags)))
        icc = _colour_profile(image, pixels)
        _write_atomically(target, lambda stream: _encode_jpeg(pixels, stream, block, icc, 92))
    return "image/jpeg"


def _write_bytes(data: bytes, stream: IO[bytes]) -> None:
    stream.write(data)


def _head(source: str | Path) -> bytes:
    try:
        with open(source, "rb") as stream:
            return stream.read(16)
    except OSError as exc:
        raise MediaError(f"cannot read image: {exc.strerror}") from None


def _same_size(data: bytes, size: tuple[int, int]) -> bool:
    """The rewritten file still opens, at the original's size: a last check before it replaces a download."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as copy:
                return copy.size == size
    except Exception:  # noqa: BLE001 - a copy Pillow cannot open is not served; the image is re-encoded instead
        return False


def placeholder(target: Path) -> None:
    """A plain grey image with a broken-picture mark, for a photo that cannot be rendered."""
    image = Image.new("RGB", (320, 240), (58, 60, 66))
    mark = Image.new("RGB", (96, 72), (120, 124, 132))
    image.paste(mark, (112, 84))
    for offset in range(0, 96, 8):
        image.paste(
            (58, 60, 66),
            (112 + offset, 84 + (offset * 72) // 96, 112 + offset + 4, 84 + (offset * 72) // 96 + 4),
        )
    _write_atomically(target, lambda stream: image.save(stream, "PNG"))
