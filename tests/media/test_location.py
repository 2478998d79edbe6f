"""Location-free copies of photos: no GPS or XMP place survives, and the picture is the same picture."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image

from reelhouse.errors import MediaError
from reelhouse.media.images import has_location, strip_location
from tests.media import camera


def _strip(tmp_path: Path, data: bytes, name: str = "photo.img") -> tuple[bytes, str]:
    source, target = tmp_path / name, tmp_path / "copies" / "copy"
    source.write_bytes(data)
    media_type = strip_location(source, target)
    return target.read_bytes(), media_type


def _assert_no_place(data: bytes) -> None:
    assert not camera.carries_gps_marker(data)
    for word in (b"Secretville", b"GPSLatitude", b"GPSLongitude", b"xmpmeta", b"http://ns.adobe.com/xap"):
        assert word not in data


def _same_pixels(a: bytes, b: bytes) -> bool:
    with Image.open(io.BytesIO(a)) as first, Image.open(io.BytesIO(b)) as second:
        return (first.mode, first.size, first.tobytes()) == (second.mode, second.size, second.tobytes())


def _image_data(jpeg: bytes) -> bytes:
    # The last scan header: the EXIF thumbnail before it is a JPEG of its own.
    return jpeg[jpeg.rindex(b"\xff\xda") : jpeg.rindex(b"\xff\xd9")]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_phone_jpeg_loses_gps_and_xmp_and_keeps_its_orientation_and_pixels(
    tmp_path: Path, orientation: int
) -> None:
    original = camera.camera_jpeg(orientation=orientation)
    copy, media_type = _strip(tmp_path, original)
    assert media_type == "image/jpeg"
    _assert_no_place(copy)
    exif = camera.jpeg_exif(copy)
    assert exif is not None
    tags = camera.tiff_tags(exif)
    assert "gps" not in tags and camera.GPS_IFD not in tags["ifd0"]
    with Image.open(io.BytesIO(copy)) as image:
        assert image.getexif().get(274, 1) == orientation
    # Lossless: the compressed image data is the camera's own, byte for byte.
    assert _image_data(copy) == _image_data(original)


def test_big_endian_exif_is_stripped_too(tmp_path: Path) -> None:
    copy, _ = _strip(tmp_path, camera.camera_jpeg(orientation=6, endian=">"))
    _assert_no_place(copy)


def test_images_appended_after_the_jpeg_go_with_their_gps(tmp_path: Path) -> None:
    # Phones append depth and gain maps after the first image's end, each a JPEG with its own EXIF.
    original = camera.camera_jpeg() + camera.camera_jpeg(xmp=False)
    copy, _ = _strip(tmp_path, original)
    _assert_no_place(copy)
    assert copy.count(b"\xff\xd8") == 1 and copy.endswith(b"\xff\xd9")


def test_a_cmyk_jpeg_stays_cmyk_and_identical(tmp_path: Path) -> None:
    original = camera.camera_jpeg(mode="CMYK")
    copy, _ = _strip(tmp_path, original)
    _assert_no_place(copy)
    with Image.open(io.BytesIO(copy)) as image:
        assert image.mode == "CMYK"
    assert _same_pixels(original, copy)


@pytest.mark.parametrize("depth16", [False, True])
def test_a_png_loses_its_exif_gps_and_xmp_text(tmp_path: Path, depth16: bool) -> None:
    original = camera.camera_png(depth16=depth16)
    copy, media_type = _strip(tmp_path, original)
    assert media_type == "image/png"
    _assert_no_place(copy)
    assert b"iTXt" not in copy
    exif = copy[copy.index(b"eXIf") + 4 :]
    assert "gps" not in camera.tiff_tags(exif)
    with Image.open(io.BytesIO(copy)) as image:
        assert image.getexif().get(274) == 6
    assert _same_pixels(original, copy)


def test_a_webp_loses_its_exif_gps_and_xmp_chunk(tmp_path: Path) -> None:
    original = camera.camera_webp()
    copy, media_type = _strip(tmp_path, original)
    assert media_type == "image/webp"
    _assert_no_place(copy)
    assert b"XMP " not in copy
    (flags,) = struct.unpack_from("<B", copy, 20)
    assert not flags & 0x04  # the header no longer announces XMP
    with Image.open(io.BytesIO(copy)) as image:
        assert image.getexif().get(274) == 8
        assert "gps" not in camera.tiff_tags(image.info["exif"])
    assert _same_pixels(original, copy)


def test_a_heic_becomes_an_upright_full_size_jpeg_without_gps(tmp_path: Path) -> None:
    copy, media_type = _strip(tmp_path, camera.camera_heic(), "photo.heic")
    assert media_type == "image/jpeg" and copy.startswith(b"\xff\xd8")
    _assert_no_place(copy)
    with Image.open(io.BytesIO(copy)) as image:
        assert image.size == (64, 48) and image.getexif().get(274, 1) == 1
        rgb = image.convert("RGB")
        assert rgb.getpixel((8, 6))[0] > 180 and rgb.getpixel((56, 42))[2] > 180  # type: ignore[index]


def test_has_location_sees_gps_xmp_and_their_absence(tmp_path: Path) -> None:
    cases = {
        "gps.jpg": (camera.camera_jpeg(xmp=False), True),
        "xmp-only.jpg": (camera.camera_jpeg(gps=False), True),
        "plain.jpg": (camera.camera_jpeg(gps=False, xmp=False), False),
        "phone.png": (camera.camera_png(), True),
        "phone.webp": (camera.camera_webp(), True),
        "phone.heic": (camera.camera_heic(), True),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert has_location(tmp_path / name) is expected, name


@pytest.mark.parametrize(
    "maker", [camera.camera_jpeg, camera.camera_png, camera.camera_webp, camera.camera_heic]
)
def test_no_copy_has_a_location_left(tmp_path: Path, maker: object) -> None:
    assert callable(maker)
    copy, _ = _strip(tmp_path, maker())
    (tmp_path / "again").write_bytes(copy)
    assert has_location(tmp_path / "again") is False


def test_a_file_that_is_not_an_image_is_a_media_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        _strip(tmp_path, b"\xff\xd8\xff\xe1\x00\x08Exif" + b"\x00" * 32)
    assert not (tmp_path / "copies" / "copy").exists()
