"""Photo EXIF facts with Pillow, on generated JPEGs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from reelhouse.errors import MediaError
from reelhouse.media.photos import read_photo
from tests.mediagen import photo_at


def test_date_camera_orientation_and_gps_are_read(tmp_path: Path) -> None:
    path = photo_at(
        tmp_path / "p.jpg",
        taken="2021:07:04 12:30:00",
        camera=("Canon", "Canon EOS 5D"),
        orientation=6,
        gps=(-33.8568, 151.2153),
    )
    facts = read_photo(str(path))
    assert (facts.width, facts.height) == (48, 32)
    assert facts.taken_at == datetime(2021, 7, 4, 12, 30).timestamp()
    assert (facts.camera, facts.orientation) == ("Canon EOS 5D", 6)
    assert facts.gps is not None
    assert abs(facts.gps[0] + 33.8568) < 1e-3 and abs(facts.gps[1] - 151.2153) < 1e-3


def test_make_is_prefixed_when_the_model_lacks_it(tmp_path: Path) -> None:
    assert read_photo(str(photo_at(tmp_path / "p.jpg", camera=("Sony", "A7")))).camera == "Sony A7"


def test_a_photo_without_exif_has_only_its_size(tmp_path: Path) -> None:
    facts = read_photo(str(photo_at(tmp_path / "p.jpg")))
    assert (facts.taken_at, facts.camera, facts.orientation, facts.gps) == (None, None, None, None)


def test_a_malformed_date_is_ignored(tmp_path: Path) -> None:
    assert read_photo(str(photo_at(tmp_path / "p.jpg", taken="2021:13:45 99:00:00"))).taken_at is None


def test_a_png_is_read(tmp_path: Path) -> None:
    path = tmp_path / "p.png"
    Image.new("RGB", (7, 5)).save(path)
    assert (read_photo(str(path)).width, read_photo(str(path)).height) == (7, 5)


@pytest.mark.parametrize("content", [b"", b"not an image", b"\xff\xd8\xff\xe0" + b"\x00" * 10])
def test_broken_images_are_media_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "p.jpg"
    path.write_bytes(content)
    with pytest.raises(MediaError):
        read_photo(str(path))
