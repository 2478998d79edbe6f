"""Only a session from signing in with the password changes how an account signs in; an API token, whatever
its scopes, and a managed profile's pick may not (the routes' `password_session`, checked by the auth
middleware)."""

from __future__ import annotations

from typing import Any

import pytest

from reelhouse.domain.access import Role, system_actor
from tests.accounts.conftest import PASSWORD, login
from tests.harness import Client, RunningServer

ALL_SCOPES = ["admin", "read", "stream"]
NEW_PASSWORD = "another horse battery"


def _owner_with_token(running: RunningServer) -> tuple[Client, Client]:
    session = running.owner()
    made = session.post("/api/account/tokens", {"name": "script", "scopes": ALL_SCOPES, "days": 1})
    assert made.status == 201, made.body
    return session, Client(running.port, token=made.json()["token"])


def _writes(session_id: str) -> list[tuple[str, str, Any]]:
    return [
        ("POST", "/api/account/2fa", None),
        ("POST", "/api/account/2fa/confirm", {"code": "123456"}),
        ("POST", "/api/account/2fa/disable", {"password": PASSWORD}),
        ("POST", "/api/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        ("POST", "/api/account/tokens", {"name": "another", "scopes": ["read"], "days": 1}),
        ("POST", "/api/account/sessions/revoke-all", {"keep_current": True}),
        ("DELETE", f"/api/account/sessions/{session_id}", None),
    ]


def test_an_api_token_with_every_scope_cannot_change_how_the_account_signs_in(running: RunningServer) -> None:
    session, token = _owner_with_token(running)
    before = session.get("/api/account/sessions").json()
    browser = next(s["id"] for s in before if s["current"])
    for method, path, body in _writes(browser):
        answer = token.request(method, path, body=body)
        assert answer.status == 403, (method, path, answer.body)
    # And nothing changed behind the refusals.
    assert session.get("/api/account/sessions").json() == before
    assert session.get("/api/account").json()["two_factor_pending"] is False
    assert login(running.anonymous(), "owner").status == 200
    # Ending itself needs no sign-in.
    assert token.post("/api/auth/logout").status == 204
    assert token.get("/api/me").status == 401
    assert session.get("/api/me").status == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/account/tokens", {"name": "kid", "scopes": ["read"], "days": 1}),
        ("POST", "/api/account/2fa", None),
    ],
)
def test_a_managed_profiles_session_cannot_change_how_it_signs_in(
    running: RunningServer, method: str, path: str, body: Any
) -> None:
    profile_id = running.server.services.accounts.create_user(
        system_actor(), "kid", Role.MANAGED, None, grants={"libraries": []}
    )
    picked = running.anonymous().post("/api/auth/profile", {"user_id": profile_id})
    assert picked.status == 200, picked.body
    kid = Client(running.port, token=picked.json()["token"])
    assert kid.request(method, path, body=body).status == 403
