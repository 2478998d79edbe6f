"""Settings → Linked servers: the owner narrows a link's scopes, on real linked servers. Narrowing what the other
server may do here applies to its next request, and giving it back needs the password again; narrowing what this
server may do there stops it asking, and only linking again gives that back. Only the owner may."""

from __future__ import annotations

from reelhouse.domain.access import Role
from tests.peers.federation_kit import World, share

PASSWORD = "correct horse battery"


def scopes(world: World, on_away: bool) -> str:
    return f"/api/links/{world.on_away if on_away else world.on_home}/scopes"


def test_what_a_linked_server_may_do_here_narrows_at_once_and_widens_only_with_the_password(
    world: World,
) -> None:
    settings = f"/api/servers/{world.on_home}/settings"
    assert world.owner.get(settings).status == 200
    away_owner = world.away.owner()
    narrow = {"scopes_to_peer": ["identity", "status", "users"], "scopes_from_peer": ["identity", "status"]}
    answer = away_owner.request("PATCH", scopes(world, True), body=narrow)
    assert answer.status == 200, answer.body
    assert answer.json()["scopes_to_peer"] == ["identity", "status", "users"]
    # Home still holds its record of the grant; the holiday house refuses anyway.
    assert world.owner.get(settings).status == 403

    wider = {**narrow, "scopes_to_peer": ["identity", "manage", "status", "users"]}
    assert away_owner.request("PATCH", scopes(world, True), body=wider).status == 422
    assert (
        away_owner.request("PATCH", scopes(world, True), body={**wider, "password": "not it"}).status != 200
    )
    assert world.owner.get(settings).status == 403
    again = away_owner.request("PATCH", scopes(world, True), body={**wider, "password": PASSWORD})
    assert again.status == 200, again.body
    assert world.owner.get(settings).status == 200


def test_what_this_server_may_do_there_narrows_here_and_comes_back_only_by_linking_again(
    world: World,
) -> None:
    everything = ["identity", "manage", "status", "users"]
    narrow = {"scopes_to_peer": ["identity", "status"], "scopes_from_peer": ["identity", "manage", "status"]}
    answer = world.owner.request("PATCH", scopes(world, False), body=narrow)
    assert answer.status == 200, answer.body
    # Sharing needs the users scope there: this server no longer asks, though the other would still agree.
    assert share(world, [world.shared]).status == 403
    wider = {**narrow, "scopes_from_peer": everything, "password": PASSWORD}
    assert world.owner.request("PATCH", scopes(world, False), body=wider).status == 409
    assert share(world, [world.shared]).status == 403


def test_only_the_owner_changes_a_links_scopes(world: World) -> None:
    world.home.create_user("ada", Role.ADMIN)
    admin = world.home.sign_in("ada")
    body = {"scopes_to_peer": [], "scopes_from_peer": []}
    assert admin.request("PATCH", scopes(world, False), body=body).status == 403
    assert world.frank.request("PATCH", scopes(world, False), body=body).status == 403
    assert (
        world.owner.request("PATCH", scopes(world, False), body={**body, "scopes_to_peer": ["root"]}).status
        == 422
    )
