"""The owner's order and hidden set of Home's per-library shelves: validated as settings, read through the
caller's scope, with removed libraries ignored and new ones placed last."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from tests.harness import Client, RunningServer


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[RunningServer, dict[str, str]]]:
    server = RunningServer(tmp_path / "data")
    services, system = server.server.services, system_actor("test")
    ids: dict[str, str] = {}
    for name in ("Films", "Music", "Shows"):
        root = tmp_path / name
        root.mkdir()
        ids[name] = services.libraries.add(system, name, "movies", [str(root)]).id
    yield server, ids
    server.stop()


def _shelves(client: Client) -> list[tuple[str, bool]]:
    answer = client.get("/api/home/shelves")
    assert answer.status == 200, answer.body
    return [(s["name"], s["hidden"]) for s in answer.json()]


def test_the_owner_orders_and_hides_shelves_for_everyone_and_unknown_ids_are_ignored(
    running: tuple[RunningServer, dict[str, str]], tmp_path: Path
) -> None:
    server, ids = running
    owner = server.owner()
    assert _shelves(owner) == [("Films", False), ("Music", False), ("Shows", False)]
    gone = "A" * 22  # shaped like an id, naming no library
    answer = owner.request(
        "PATCH",
        "/api/settings",
        body={
            "values": {
                "home_shelf_order": [ids["Shows"], gone, ids["Films"], ids["Music"]],
                "home_shelves_hidden": [ids["Music"], gone],
            }
        },
    )
    assert answer.status == 200, answer.body
    assert _shelves(owner) == [("Shows", False), ("Films", False), ("Music", True)]

    member_id = server.create_user("kim")
    services, system = server.server.services, system_actor("test")
    services.users.update(system, member_id, grants={"libraries": [ids["Films"], ids["Shows"]]})  # type: ignore[union-attr]
    assert _shelves(server.sign_in("kim")) == [("Shows", False), ("Films", False)]

    # A library added after the order was saved comes last and is shown; a removed one simply drops out.
    (tmp_path / "Anime").mkdir()
    services.libraries.add(system, "Anime", "shows", [str(tmp_path / "Anime")])
    assert owner.request("DELETE", f"/api/libraries/{ids['Films']}").status == 204
    assert _shelves(owner) == [("Shows", False), ("Music", True), ("Anime", False)]


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"home_shelf_order": ["not an id!"]}, "home_shelf_order", "is not a library id"),
        ({"home_shelves_hidden": 42}, "home_shelves_hidden", "must be a list"),
        ({"home_shelf_order": [7]}, "home_shelf_order", "entries must be text"),
    ],
)
def test_a_malformed_shelf_setting_is_a_clear_400_and_saves_nothing(
    running: tuple[RunningServer, dict[str, str]], values: dict[str, object], field: str, words: str
) -> None:
    server, _ids = running
    owner = server.owner()
    answer = owner.request("PATCH", "/api/settings", body={"values": {**values, "server_name": "Den"}})
    assert answer.status == 422, answer.body
    assert words in answer.json()["fields"][field]
    assert owner.get("/api/settings").json()["values"]["server_name"] == "Reelhouse"
    assert _shelves(owner) == [("Films", False), ("Music", False), ("Shows", False)]


def test_a_member_cannot_reorder_home(running: tuple[RunningServer, dict[str, str]]) -> None:
    server, ids = running
    server.owner()
    server.create_user("kim")
    answer = server.sign_in("kim").request(
        "PATCH", "/api/settings", body={"values": {"home_shelves_hidden": [ids["Films"]]}}
    )
    assert answer.status == 403
    assert server.server.services.settings.get("home_shelves_hidden") == ()
