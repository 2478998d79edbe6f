"""The photo timeline over the API: date-taken order, date and camera filters and facets, under a member's scope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from reelhouse.domain.access import Role
from tests.harness import Client, RunningServer
from tests.verification.conftest import wait_for_scan


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path / "data")
    yield server
    server.stop()


def shot(
    folder: Path, name: str, taken: str | None, model: str | None, size: tuple[int, int] = (48, 32)
) -> None:
    """A real JPEG with EXIF DateTimeOriginal ('YYYY:MM:DD HH:MM:SS') and camera Make/Model."""
    folder.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    if model:
        exif[271], exif[272] = "Acme", model
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    Image.new("RGB", size, (len(name) * 20 % 255, 90, 160)).save(folder / f"{name}.jpg", "JPEG", exif=exif)


def library(owner: Client, name: str, folder: Path) -> str:
    answer = owner.post("/api/libraries", {"name": name, "kind": "photos", "paths": [str(folder)]})
    assert answer.status == 201, answer.body
    library_id: str = answer.json()["id"]
    wait_for_scan(owner, library_id)
    return library_id


@pytest.fixture
def photos(running: RunningServer, tmp_path: Path) -> tuple[str, str]:
    family, private = tmp_path / "family", tmp_path / "private"
    shot(family, "harbour", "2024:03:10 09:00:00", "Z9")
    shot(family, "kite", "2024:03:02 15:30:00", "P7", size=(32, 48))
    shot(family, "tree", "2023:12:25 08:00:00", "Z9")
    shot(family, "scan", None, None)
    shot(private, "secret", "2024:03:05 12:00:00", "X100")
    owner = running.owner()
    return library(owner, "Family", family), library(owner, "Private", private)


def member(running: RunningServer, libraries: list[str]) -> Client:
    running.create_user("friend", Role.MEMBER)
    with running.server.db.begin() as conn:
        conn.execute(
            text("UPDATE users SET grants = :g WHERE username = 'friend'"),
            {"g": json.dumps({"libraries": libraries})},
        )
    return running.sign_in("friend")


def titles(client: Client, library_id: str, query: str = "") -> list[str]:
    answer = client.get(f"/api/libraries/{library_id}/items?sort=taken&order=desc{query}")
    assert answer.status == 200, answer.body
    return [item["title"] for item in answer.json()["items"]]


def test_timeline_is_newest_taken_first_with_undated_last(
    running: RunningServer, photos: tuple[str, str]
) -> None:
    family, _ = photos
    friend = member(running, [family])
    assert titles(friend, family) == ["harbour", "kite", "tree", "scan"]
    page = friend.get(f"/api/libraries/{family}/items?sort=taken&order=desc&limit=2&offset=2").json()
    assert [i["title"] for i in page["items"]] == ["tree", "scan"]
    assert page["items"][0]["taken_at"].startswith("2023-12-25")
    assert page["items"][1]["taken_at"] is None
    assert page["total"] == 4


def test_date_and_camera_filters_narrow_the_timeline(running: RunningServer, photos: tuple[str, str]) -> None:
    family, _ = photos
    friend = member(running, [family])
    march = "&taken_from=2024-03-01T00:00:00&taken_before=2024-04-01T00:00:00"
    assert titles(friend, family, march) == ["harbour", "kite"]
    assert titles(friend, family, "&camera=Acme%20Z9") == ["harbour", "tree"]
    assert titles(friend, family, march + "&camera=Acme%20Z9") == ["harbour"]
    facets = friend.get(f"/api/libraries/{family}/photo-facets").json()
    assert facets == {"years": [2024, 2023], "cameras": ["Acme P7", "Acme Z9"]}


def test_a_library_the_member_was_not_given_never_appears(
    running: RunningServer, photos: tuple[str, str]
) -> None:
    family, private = photos
    friend = member(running, [family])
    march = "&taken_from=2024-03-01T00:00:00&taken_before=2024-04-01T00:00:00"
    assert "secret" not in titles(friend, family, march)
    assert friend.get(f"/api/libraries/{private}/items?sort=taken&order=desc").status == 404
    assert friend.get(f"/api/libraries/{private}/photo-facets").status == 404
    assert "Acme X100" not in friend.get(f"/api/libraries/{family}/photo-facets").json()["cameras"]
    # The owner sees the private photo in the same month, so the member's answer is the scope at work.
    assert titles(running.owner(), private, march) == ["secret"]
