"""When a friend's account ends on their home server (deleted, or disabled), home tells each linked server it
was shared on: the friend's sessions there end and new tokens are refused, without anyone unsharing by hand."""

from __future__ import annotations

from tests.harness import Client
from tests.peers.federation_kit import World, forge, present, share


def signed_in_away(world: World) -> Client:
    assert share(world, [world.shared]).status == 200
    answer = present(world.away, forge(world))
    assert answer.status == 200, answer.body
    there = Client(world.away.port, token=answer.json()["token"])
    assert there.get("/api/session").json()["user"] is not None
    return there


def test_deleting_the_friend_on_home_ends_them_on_the_linked_server(world: World) -> None:
    there = signed_in_away(world)
    assert world.owner.request("DELETE", f"/api/users/{world.frank_id}").status == 204
    assert there.get("/api/session").json()["user"] is None
    assert present(world.away, forge(world)).status == 401


def test_disabling_the_friend_on_home_ends_them_there_and_other_changes_do_not(world: World) -> None:
    there = signed_in_away(world)
    renamed = world.owner.request(
        "PATCH", f"/api/users/{world.frank_id}", body={"grants": {"may_download": False}}
    )
    assert renamed.status == 200, renamed.body
    assert there.get("/api/session").json()["user"] is not None, "a change that ends nothing tells nobody"
    disabled = world.owner.request("PATCH", f"/api/users/{world.frank_id}", body={"disabled": True})
    assert disabled.status == 200, disabled.body
    assert there.get("/api/session").json()["user"] is None
    assert present(world.away, forge(world)).status == 401
