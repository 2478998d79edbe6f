"""Where a photo was taken reaches only viewers granted it, by every route that sends image bytes: direct play,
download, renditions and artwork, for the formats phones write."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from tests.harness import Client
from tests.media import camera
from tests.playback.conftest import Stage, set_user

FORMATS = {
    "jpeg": ("beach.jpg", lambda: camera.camera_jpeg(orientation=6)),
    "png": ("beach.png", lambda: camera.camera_png()),
    "webp": ("beach.webp", lambda: camera.camera_webp()),
    "heic": ("beach.heic", lambda: camera.camera_heic()),
}


def _leaks(body: bytes) -> bool:
    return camera.carries_gps_marker(body) or b"exif:GPS" in body or b"GPSLatitude" in body


def _photo(stage: Stage, tmp_path: Path, fmt: str) -> tuple[str, bytes]:
    name, make = FORMATS[fmt]
    folder = tmp_path / "camera"
    folder.mkdir()
    data = make()
    assert _leaks(data), "the test photo must carry a location to begin with"
    (folder / name).write_bytes(data)
    services = stage.server.server.services
    library = services.libraries.add(system_actor("test"), "Camera", "photos", [str(folder)])
    stage.server.server.scanner.scan(library)
    item = services.catalogue.search(system_actor("test"), "beach")[0].id
    return item, data


def _every_answer(stage: Stage, viewer: Client, item: str) -> dict[str, bytes]:
    answers: dict[str, bytes] = {}
    play = viewer.post(f"/api/items/{item}/playback", {})
    assert play.status == 200, play.body
    direct = stage.server.anonymous().get(play.json()["url"])
    assert direct.status == 200, direct.body
    answers["direct"] = direct.body
    for route in ("download", "photo?width=1920", "photo?width=320"):
        answer = viewer.get(f"/api/items/{item}/{route}")
        assert answer.status == 200, (route, answer.body[:200])
        answers[route] = answer.body
    return answers


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_member_never_receives_a_photos_location(stage: Stage, tmp_path: Path, fmt: str) -> None:
    item, _original = _photo(stage, tmp_path, fmt)
    member = stage.member()
    set_user(stage, "alice", may_download=True)
    for route, body in _every_answer(stage, member, item).items():
        assert not _leaks(body), f"{fmt} {route} carried the location"
        assert body[:2] == b"\xff\xd8" or body[:4] in (b"\x89PNG", b"RIFF"), route


@pytest.mark.parametrize("fmt", ["jpeg", "heic"])
def test_a_member_granted_location_gets_the_original(stage: Stage, tmp_path: Path, fmt: str) -> None:
    item, original = _photo(stage, tmp_path, fmt)
    member = stage.member()
    set_user(stage, "alice", may_download=True, may_see_location=True)
    answers = _every_answer(stage, member, item)
    assert answers["direct"] == original
    assert answers["download"] == original


def test_the_owner_sees_where_a_photo_was_taken(stage: Stage, tmp_path: Path) -> None:
    item, original = _photo(stage, tmp_path, "jpeg")
    assert _every_answer(stage, stage.owner(), item)["direct"] == original


def test_a_poster_from_a_phone_loses_its_location_for_members(stage: Stage) -> None:
    poster = stage.root / "direct" / "poster.jpg"
    poster.write_bytes(camera.camera_jpeg())
    stage.server.server.scanner.scan(stage.server.server.services.libraries.all_for_system()[0], full=True)
    member = stage.member()
    item = stage.items["direct.mp4"]
    for query in ("", "?width=320"):
        answer = member.get(f"/api/items/{item}/artwork/poster{query}")
        assert answer.status == 200, answer.body[:200]
        assert not _leaks(answer.body), query
