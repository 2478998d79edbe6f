"""Sharing a linked server with a friend carries the local sharing editor's limits, not only libraries: the
linked server checks them as it checks its own grants, applies them to the friend's account there, and says what
they are now, which is what the Users page shows."""

from __future__ import annotations

from reelhouse.domain.access import system_actor
from tests.peers.federation_kit import World


def path(world: World) -> str:
    return f"/api/servers/{world.on_home}/principals/{world.frank_id}"


def test_limits_travel_with_the_share_and_are_read_back_from_the_linked_server(world: World) -> None:
    assert world.owner.get(path(world)).status == 404  # never shared there
    limits = {"max_rating": {"movies": 10, "shows": 10, "home_videos": 10}, "may_download": False}
    shared = world.owner.request("PUT", path(world), body={"libraries": [world.shared], "limits": limits})
    assert shared.status == 200, shared.body
    assert shared.json()["limits"] == limits
    read = world.owner.get(path(world))
    assert read.status == 200, read.body
    assert read.json()["libraries"] == [world.shared] and read.json()["limits"] == limits
    user_id = read.json()["user_id"]
    users = world.away.server.services.users
    assert users is not None
    there = users.get(system_actor("test"), user_id)
    assert there.grants["max_rating"] == limits["max_rating"] and there.grants["may_download"] is False
    # Sharing again replaces them.
    again = world.owner.request("PUT", path(world), body={"libraries": [world.shared]})
    assert again.status == 200 and world.owner.get(path(world)).json()["limits"] == {}
    # The friend cannot read it, nor can anyone but admins.
    assert world.frank.get(path(world)).status == 403


def test_limits_are_checked_like_local_grants(world: World) -> None:
    for limits in ({"sneaky": True}, {"may_download": "yes"}, {"libraries": "all"}):
        answer = world.owner.request("PUT", path(world), body={"libraries": [world.shared], "limits": limits})
        assert answer.status == 422, (limits, answer.body)
    assert world.owner.get(path(world)).status == 404
