"""The may_see_location grant: off for members unless given, always on for the owner and admins."""

from __future__ import annotations

import json

import pytest

from reelhouse.domain.grants import grants_to_actor
from tests.harness import RunningServer


@pytest.mark.parametrize(
    ("role", "grants", "sees"),
    [
        ("member", {}, False),
        ("managed", {}, False),
        ("member", {"may_see_location": True}, True),
        ("admin", {}, True),
        ("owner", {"may_see_location": False}, True),
    ],
)
def test_location_is_hidden_unless_granted_and_always_shown_to_admins(
    role: str, grants: dict[str, bool], sees: bool
) -> None:
    actor = grants_to_actor("u1", "someone", role, json.dumps(grants), "read,stream", None)
    assert actor.permissions.may_see_location is sees


def test_an_admin_grants_location_and_sets_it_back_to_the_default(running: RunningServer) -> None:
    bob_id = running.create_user("bob")
    owner = running.owner()
    assert owner.get(f"/api/users/{bob_id}").json()["grants"]["may_see_location"] is None
    answer = owner.request("PATCH", f"/api/users/{bob_id}", {"grants": {"may_see_location": True}})
    assert answer.status == 200 and answer.json()["grants"]["may_see_location"] is True
    answer = owner.request("PATCH", f"/api/users/{bob_id}", {"grants": {"may_see_location": None}})
    assert answer.json()["grants"]["may_see_location"] is None


def test_an_invitation_can_carry_the_location_grant(running: RunningServer) -> None:
    answer = running.owner().post("/api/invitations", {"grants": {"libraries": [], "may_see_location": True}})
    assert answer.status in (200, 201), answer.text
    assert answer.json()["invitation"]["grants"]["may_see_location"] is True
