"""Acting on how another account signs in needs the admin's own password sign-in, as changing one's own does:
an API token with the admin scope must not reset a password or PIN, delete, disable or promote a user, nor
create or invite an admin, whose password its holder would choose, nor decide whether admins need a second
factor (issue #13's rule, applied to others)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from reelhouse.domain.access import Credential, Role, system_actor
from reelhouse.errors import PermissionDenied
from tests.accounts.conftest import PASSWORD, login
from tests.harness import Client, RunningServer

NEW_PASSWORD = "another horse battery"
ALL_LIBRARIES: dict[str, Any] = {"libraries": "all"}


def _people(running: RunningServer) -> tuple[Client, Client, str, str]:
    """The owner's session and their API token with every scope, a member and a managed profile."""
    session = running.owner()
    made = session.post(
        "/api/account/tokens", {"name": "script", "scopes": ["admin", "read", "stream"], "days": 1}
    )
    assert made.status == 201, made.body
    member = running.create_user("alice")
    profile = running.server.services.accounts.create_user(
        system_actor("test"), "kid", Role.MANAGED, None, grants={"libraries": []}
    )
    return session, Client(running.port, token=made.json()["token"]), member, profile


def _acts(member: str, profile: str) -> list[tuple[str, str, Any]]:
    return [
        ("POST", f"/api/users/{member}/password", {"password": NEW_PASSWORD}),
        ("POST", f"/api/users/{profile}/pin", {"pin": "4321"}),
        ("PATCH", f"/api/users/{member}", {"disabled": True}),
        ("PATCH", f"/api/users/{member}", {"role": "admin"}),
        ("POST", "/api/users", {"username": "mallory", "role": "admin", "password": NEW_PASSWORD}),
        ("POST", "/api/invitations", {"role": "admin", "grants": ALL_LIBRARIES}),
        ("DELETE", f"/api/users/{member}", None),
    ]


def test_an_admin_token_cannot_act_on_how_others_sign_in(running: RunningServer) -> None:
    session, token, member, profile = _people(running)
    alice = running.sign_in("alice")
    for method, path, body in _acts(member, profile):
        answer = token.request(method, path, body=body)
        assert answer.status == 403, (method, path, answer.body)
    # Nothing changed behind the refusals: alice keeps her password, role, sessions and account.
    users = {u["username"]: u for u in session.get("/api/users").json()}
    assert set(users) == {"owner", "alice", "kid"}
    assert (users["alice"]["role"], users["alice"]["disabled"]) == ("member", False)
    assert users["kid"]["has_password"] is False
    assert alice.get("/api/me").status == 200
    assert login(running.anonymous(), "alice").status == 200
    assert session.get("/api/invitations").json() == []


def test_only_a_password_session_changes_whether_admins_need_a_second_factor(running: RunningServer) -> None:
    session, token, _member, _profile = _people(running)
    settings = running.server.services.settings
    refused = token.request("PATCH", "/api/settings", body={"values": {"require_2fa_for_admins": True}})
    assert refused.status == 403, refused.body
    assert settings.get("require_2fa_for_admins") is False
    # Any other setting is the admin scope's to change, and the owner's session may change this one.
    assert token.request("PATCH", "/api/settings", body={"values": {"server_name": "Den"}}).status == 200
    changed = session.request("PATCH", "/api/settings", body={"values": {"require_2fa_for_admins": True}})
    assert changed.status == 200, changed.body
    assert settings.get("require_2fa_for_admins") is True


def test_an_admin_token_still_shares_and_makes_members(running: RunningServer) -> None:
    _session, token, member, _profile = _people(running)
    changed = token.request("PATCH", f"/api/users/{member}", body={"grants": {"may_download": True}})
    assert changed.status == 200, changed.body
    # The web app sends role and disabled with every save: unchanged values are no change.
    same = token.request("PATCH", f"/api/users/{member}", body={"role": "member", "disabled": False})
    assert same.status == 200, same.body
    made = token.post("/api/users", {"username": "bob", "password": NEW_PASSWORD, "grants": ALL_LIBRARIES})
    assert made.status == 201, made.body
    invited = token.post("/api/invitations", {"grants": ALL_LIBRARIES})
    assert invited.status == 201, invited.body


def test_the_owners_password_session_may_do_each(running: RunningServer) -> None:
    session, _token, member, profile = _people(running)
    for method, path, body in _acts(member, profile):
        answer = session.request(method, path, body=body)
        assert answer.status in (200, 201, 204), (method, path, answer.body)
    assert login(running.anonymous(), "mallory", NEW_PASSWORD).status == 200


@pytest.mark.parametrize("credential", [Credential.API, Credential.DEVICE, Credential.PROFILE, None])
def test_the_user_service_refuses_any_credential_but_a_password_session(
    running: RunningServer, credential: Credential | None
) -> None:
    """The service checks too, so a route added without `password_session` still cannot do it; an actor
    built outside a request (credential None) passes only as the CLI's own."""
    _people(running)
    users = running.server.services.users
    assert users is not None
    owner = running.server.services.accounts.authenticate(running.owner().token or "", "127.0.0.1")
    assert owner is not None and owner.credential is Credential.SESSION
    actor = replace(owner, credential=credential)
    alice = users.id_of(owner, "alice")
    kid = users.id_of(owner, "kid")
    with pytest.raises(PermissionDenied):
        users.reset_password(actor, alice, NEW_PASSWORD)
    with pytest.raises(PermissionDenied):
        users.set_pin(actor, kid, "4321")
    with pytest.raises(PermissionDenied):
        users.delete(actor, alice)
    with pytest.raises(PermissionDenied):
        users.update(actor, alice, disabled=True)
    # The CLI acts as the server itself and may.
    users.reset_password(system_actor(), alice, NEW_PASSWORD)
    assert login(running.anonymous(), "alice", NEW_PASSWORD).status == 200
    assert login(running.anonymous(), "alice", PASSWORD).status == 401
