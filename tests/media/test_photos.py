"""Photo EXIF facts with Pillow, on generated JPEGs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from reelhouse.domain.library import LibraryKind
from reelhouse.errors import MediaError
from reelhouse.media.photos import read_photo
from tests.media import camera
from tests.mediagen import photo_at
from tests.scanner.rows import items


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


def test_a_heic_from_a_phone_is_read_with_its_date_camera_and_position(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(camera.camera_heic())
    facts = read_photo(str(path))
    # libheif applies the rotation itself, so the size is the upright one and no turn is left to do.
    assert (facts.width, facts.height) == (64, 48) and facts.orientation == 1
    assert facts.taken_at == datetime(2024, 5, 6, 7, 8, 9).timestamp()
    assert facts.camera == "Apple iPhone 15"
    assert facts.gps is not None and abs(facts.gps[0] - 48.86) < 0.1


def test_heic_and_heif_files_are_scanned_as_photos(db, scanner, library_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    library = library_factory(LibraryKind.PHOTOS)
    folder = Path(library.roots[0])
    for name in ("IMG_0001.heic", "IMG_0002.HEIF", "DSC_0003.hif"):
        (folder / name).write_bytes(camera.camera_heic())
    report = scanner.scan(library)
    assert report.errors == ()
    assert sorted(p["title"] for p in items(db, "photo")) == ["DSC_0003", "IMG_0001", "IMG_0002"]
