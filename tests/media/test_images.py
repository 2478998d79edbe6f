"""Renditions of camera photos: every orientation, colour mode and container phones and cameras write."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image

from reelhouse.media.images import render
from tests.media import camera

RED, BLUE = (230, 20, 20), (20, 40, 220)


def _near(pixel: object, colour: tuple[int, int, int], slack: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(a) - b) <= slack for a, b in zip(pixel[:3], colour, strict=True))


def _rendered(tmp_path: Path, data: bytes, keep_gps: bool = False, width: int = 160) -> bytes:
    source, target = tmp_path / "photo.img", tmp_path / "out" / "rendition.jpg"
    source.write_bytes(data)
    render(source, target, width, keep_gps)
    return target.read_bytes()


def _assert_upright_pattern(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
        rgb = image.convert("RGB")
        assert _near(rgb.getpixel((8, 6)), RED) and _near(rgb.getpixel((56, 42)), BLUE)
        assert _near(rgb.getpixel((56, 6)), BLUE) and _near(rgb.getpixel((8, 42)), BLUE)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_phone_jpeg_renders_upright_in_each_orientation(tmp_path: Path, orientation: int) -> None:
    data = _rendered(tmp_path, camera.camera_jpeg(orientation=orientation))
    _assert_upright_pattern(data)
    exif = camera.jpeg_exif(data)
    # The pixels are turned already: an Orientation tag left in the copy would turn them again.
    assert exif is None or 274 not in camera.tiff_tags(exif)["ifd0"]


def test_big_endian_exif_with_every_sub_ifd_renders(tmp_path: Path) -> None:
    _assert_upright_pattern(_rendered(tmp_path, camera.camera_jpeg(orientation=6, endian=">")))


def test_a_rendition_for_a_viewer_without_location_carries_no_gps(tmp_path: Path) -> None:
    data = _rendered(tmp_path, camera.camera_jpeg(orientation=3), keep_gps=False)
    exif = camera.jpeg_exif(data)
    assert exif is not None and "gps" not in camera.tiff_tags(exif)
    assert not camera.carries_gps_marker(data) and b"Secretville" not in data and b"GPSLatitude" not in data
    # The camera tags a viewer sees in the photo's details are still there.
    assert {271, 272, 306} <= camera.tiff_tags(exif)["ifd0"] and 36867 in camera.tiff_tags(exif)["exif"]


def test_a_rendition_with_location_keeps_the_position_but_not_the_maker_note(tmp_path: Path) -> None:
    data = _rendered(tmp_path, camera.camera_jpeg(), keep_gps=True)
    exif = camera.jpeg_exif(data)
    assert exif is not None and {1, 2, 3, 4} <= camera.tiff_tags(exif)["gps"]
    # Maker notes hold serial numbers and vendor data nobody asked to share, and their offsets break copies.
    assert 0x927C not in camera.tiff_tags(exif)["exif"] and b"Apple iOS" not in data
    with Image.open(io.BytesIO(data)) as image:
        latitude = image.getexif().get_ifd(camera.GPS_IFD)[2]
    assert [round(float(v)) for v in latitude] == [48, 51, round(camera.GPS_MARKER[0] / camera.GPS_MARKER[1])]
    # XMP is never copied into a rendition: the position travels only in the EXIF GPS block.
    assert b"Secretville" not in data


def test_a_cmyk_jpeg_renders_in_rgb(tmp_path: Path) -> None:
    data = _rendered(tmp_path, camera.camera_jpeg(mode="CMYK", orientation=6))
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGB"
    _assert_upright_pattern(data)


def test_a_16_bit_png_keeps_its_contrast(tmp_path: Path) -> None:
    data = _rendered(tmp_path, camera.camera_png(depth16=True))
    with Image.open(io.BytesIO(data)) as image:
        grey = image.convert("L")
        assert image.size == (64, 48)
        assert int(grey.getpixel((8, 6))) - int(grey.getpixel((56, 42))) > 100  # type: ignore[operator]


def test_a_png_with_exif_renders_upright(tmp_path: Path) -> None:
    _assert_upright_pattern(_rendered(tmp_path, camera.camera_png()))


def test_a_webp_with_exif_and_xmp_renders_upright(tmp_path: Path) -> None:
    _assert_upright_pattern(_rendered(tmp_path, camera.camera_webp()))


def test_a_heic_renders_upright(tmp_path: Path) -> None:
    data = _rendered(tmp_path, camera.camera_heic())
    _assert_upright_pattern(data)
    assert not camera.carries_gps_marker(data)


@pytest.mark.parametrize("mode", ["P", "RGBA", "LA"])
def test_transparent_pixels_are_laid_on_white(tmp_path: Path, mode: str) -> None:
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    image.paste((230, 20, 20, 255), (0, 0, 20, 15))
    if mode == "P":
        image = image.convert("RGB").quantize(4)
        image.info["transparency"] = image.getpixel((39, 29))
    elif mode != "RGBA":
        image = image.convert(mode)
    out = io.BytesIO()
    image.save(out, "PNG", **({"transparency": image.info["transparency"]} if mode == "P" else {}))
    with Image.open(io.BytesIO(_rendered(tmp_path, out.getvalue()))) as result:
        assert _near(result.convert("RGB").getpixel((35, 25)), (255, 255, 255), 10)


def test_a_jpeg_whose_exif_points_past_its_end_still_renders(tmp_path: Path) -> None:
    data = bytearray(camera.camera_jpeg())
    # Aim the Exif sub-IFD pointer of IFD0 far outside the block, as damaged files do.
    tiff = data.index(b"Exif\x00\x00") + 6
    count = struct.unpack_from("<H", data, tiff + 8)[0]
    for index in range(count):
        entry = tiff + 10 + 12 * index
        if struct.unpack_from("<H", data, entry)[0] in (camera.EXIF_IFD, camera.GPS_IFD):
            struct.pack_into("<I", data, entry + 8, 0x7FFFFFF0)
    _assert_upright_pattern(_rendered(tmp_path, bytes(data)))
