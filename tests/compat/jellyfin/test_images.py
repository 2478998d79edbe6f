"""Jellyfin images: a token or an image tag that only an authorised listing hands out, and the media access
decision for the user either names. Knowing an item id is never enough."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from jellyfin_api_client.models.base_item_dto import BaseItemDto
from jellyfin_api_client.models.image_info import ImageInfo

from reelhouse.domain.access import system_actor
from reelhouse.web.compat.jellyfin.ids import to_jellyfin
from tests.compat.jellyfin.media_world import World, build


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build(tmp_path_factory.mktemp("jellyfin-images"))
    yield made
    made.server.stop()


def _tags(world: World, who: str, item: str) -> dict[str, str]:
    answer = world.raw(who).get(f"/jellyfin/Items/{to_jellyfin(item)}/Images")
    assert answer.status == 200, answer.body
    listed = answer.json()
    for entry in listed:
        ImageInfo.from_dict(entry)
    return {entry["ImageType"]: entry["ImageTag"] for entry in listed}


def _image(world: World, path: str) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{world.server.port}/jellyfin{path}", timeout=30)


def test_a_listing_hands_out_tags_that_open_the_picture_without_a_token(world: World) -> None:
    tags = _tags(world, "member", world.film)
    assert set(tags) == {"Primary", "Backdrop", "Thumb"}
    film = to_jellyfin(world.film)
    poster = _image(world, f"/Items/{film}/Images/Primary?tag={tags['Primary']}&maxWidth=300&quality=90")
    assert poster.status_code == 200 and poster.headers["Content-Type"] == "image/jpeg"
    assert poster.content[:2] == b"\xff\xd8"
    backdrop = _image(
        world, f"/Items/{film}/Images/Backdrop/0?tag={tags['Backdrop']}&fillWidth=640&fillHeight=360"
    )
    assert backdrop.status_code == 200
    # The apiclient's own URL, with its token instead of a tag.
    app = world.app("member")
    assert requests.get(app.jellyfin.image_url(film, max_width=160), timeout=30).status_code == 200
    assert _image(world, f"/items/{film}/images/primary?tag={tags['Primary']}").status_code == 200


def test_the_item_answers_carry_the_viewers_tags(world: World) -> None:
    answer = world.raw("member").get(f"/jellyfin/Items?Ids={to_jellyfin(world.film)}&Recursive=true")
    assert answer.status == 200, answer.body
    item = answer.json()["Items"][0]
    BaseItemDto.from_dict(item)
    tag = item["ImageTags"]["Primary"]
    assert _image(world, f"/Items/{to_jellyfin(world.film)}/Images/Primary?tag={tag}").status_code == 200


def test_an_item_id_alone_or_a_tag_for_another_item_user_or_access_gets_nothing(world: World) -> None:
    film, hidden = to_jellyfin(world.film), to_jellyfin(world.hidden)
    tag = _tags(world, "member", world.film)["Primary"]
    owner_tag = _tags(world, "owner", world.hidden)["Primary"]
    forged = world.users["owner"] + "." + tag.partition(".")[2]
    refused = {
        "no token, no tag": f"/Items/{film}/Images/Primary",
        "a made-up tag": f"/Items/{film}/Images/Primary?tag=abc.def",
        "the member's tag on a hidden item": f"/Items/{hidden}/Images/Primary?tag={tag}",
        "the member's tag under the owner's name": f"/Items/{film}/Images/Primary?tag={forged}",
        "the owner's tag for another item": f"/Items/{film}/Images/Primary?tag={owner_tag}",
        "a poster tag for the backdrop": f"/Items/{film}/Images/Backdrop?tag={tag}",
    }
    for name, path in refused.items():
        answer = _image(world, path)
        assert answer.status_code in (401, 404) and len(answer.content) < 400, (name, answer.status_code)
    # The member's own token does not open the hidden item's picture either: it answers as missing.
    with_token = world.raw("member").get(f"/jellyfin/Items/{hidden}/Images/Primary")
    assert with_token.status == 404
    assert world.raw("member").get(f"/jellyfin/Items/{hidden}/Images").status == 404


def test_a_tag_stops_working_when_the_users_access_changes(world: World) -> None:
    film = to_jellyfin(world.film)
    tag = _tags(world, "member", world.film)["Primary"]
    assert _image(world, f"/Items/{film}/Images/Primary?tag={tag}").status_code == 200
    services = world.server.server.services
    member = world.users["member"]
    services.users.update(system_actor("test"), member, grants={"max_bitrate_kbps": 4000})  # type: ignore[union-attr]
    try:
        assert _image(world, f"/Items/{film}/Images/Primary?tag={tag}").status_code == 401
        fresh = _tags(world, "member", world.film)["Primary"]
        assert fresh != tag and _image(world, f"/Items/{film}/Images/Primary?tag={fresh}").status_code == 200
    finally:
        services.users.update(system_actor("test"), member, grants={"max_bitrate_kbps": None})  # type: ignore[union-attr]
