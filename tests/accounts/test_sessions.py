"""Sessions, devices and API tokens: listing, revoking, expiry, and revocation on account changes."""

from __future__ import annotations

import time

from reelhouse.domain.access import Role
from tests.accounts.conftest import PASSWORD, sql
from tests.harness import Client, RunningServer


def _sign_in_device(running: RunningServer, device: str, source: str | None = None) -> Client:
    answer = running.anonymous(source).post(
        "/api/auth/login", {"username": "bob", "password": PASSWORD, "device": device}
    )
    assert answer.status == 200
    return Client(running.port, token=answer.json()["token"], source=source)


def test_sessions_list_shows_each_device_with_address_and_which_is_current(running: RunningServer) -> None:
    running.create_user("bob")
    phone = _sign_in_device(running, "phone", "127.0.0.5")
    _sign_in_device(running, "tv", "127.0.0.6")
    listed = phone.get("/api/account/sessions").json()
    assert {(s["name"], s["last_address"], s["current"]) for s in listed} == {
        ("phone", "127.0.0.5", True),
        ("tv", "127.0.0.6", False),
    }
    assert all(s["last_seen_at"] > 0 for s in listed)


def test_sessions_list_never_shows_another_users_sessions(running: RunningServer) -> None:
    running.create_user("bob")
    running.create_user("cat")
    running.sign_in("cat")
    bob = _sign_in_device(running, "phone")
    assert [s["name"] for s in bob.get("/api/account/sessions").json()] == ["phone"]


def test_revoking_one_session_ends_only_that_one(running: RunningServer) -> None:
    running.create_user("bob")
    phone = _sign_in_device(running, "phone")
    tv = _sign_in_device(running, "tv")
    tv_id = next(s["id"] for s in phone.get("/api/account/sessions").json() if s["name"] == "tv")
    assert phone.request("DELETE", f"/api/account/sessions/{tv_id}").status == 204
    assert tv.get("/api/me").status == 401
    assert phone.get("/api/me").status == 200


def test_revoking_another_users_session_answers_404(running: RunningServer) -> None:
    running.create_user("bob")
    running.create_user("cat")
    cat = running.sign_in("cat")
    cat_id = cat.get("/api/account/sessions").json()[0]["id"]
    bob = _sign_in_device(running, "phone")
    assert bob.request("DELETE", f"/api/account/sessions/{cat_id}").status == 404
    assert cat.get("/api/me").status == 200


def test_revoke_all_can_keep_the_current_session(running: RunningServer) -> None:
    running.create_user("bob")
    phone = _sign_in_device(running, "phone")
    tv = _sign_in_device(running, "tv")
    answer = phone.post("/api/account/sessions/revoke-all", {"keep_current": True})
    assert answer.json() == {"revoked": 1}
    assert tv.get("/api/me").status == 401
    assert phone.get("/api/me").status == 200


def test_password_change_ends_every_session(running: RunningServer) -> None:
    running.create_user("bob")
    phone = _sign_in_device(running, "phone")
    tv = _sign_in_device(running, "tv")
    changed = phone.post(
        "/api/account/password", {"current_password": PASSWORD, "new_password": "a whole new phrase"}
    )
    assert changed.status == 204
    assert phone.get("/api/me").status == 401 and tv.get("/api/me").status == 401
    assert running.sign_in("bob", "a whole new phrase").get("/api/me").status == 200


def test_password_change_with_the_wrong_current_password_is_refused(running: RunningServer) -> None:
    running.create_user("bob")
    phone = _sign_in_device(running, "phone")
    answer = phone.post(
        "/api/account/password", {"current_password": "not my password", "new_password": "a whole new phrase"}
    )
    assert answer.status == 422 and answer.json()["fields"] == {
        "current_password": "The current password is not right."
    }
    assert phone.get("/api/me").status == 200


def test_disabling_a_user_ends_their_sessions_at_the_next_request(running: RunningServer) -> None:
    bob_id = running.create_user("bob")
    bob = _sign_in_device(running, "phone")
    assert running.owner().request("PATCH", f"/api/users/{bob_id}", {"disabled": True}).status == 200
    assert bob.get("/api/libraries").status == 401
    assert (
        running.anonymous().post("/api/auth/login", {"username": "bob", "password": PASSWORD}).status == 401
    )


def test_deleting_a_user_ends_their_sessions(running: RunningServer) -> None:
    bob_id = running.create_user("bob")
    bob = _sign_in_device(running, "phone")
    assert running.owner().request("DELETE", f"/api/users/{bob_id}").status == 204
    assert bob.get("/api/me").status == 401


def test_account_past_its_end_date_cannot_sign_in_or_use_its_sessions(running: RunningServer) -> None:
    bob_id = running.create_user("bob")
    bob = _sign_in_device(running, "phone")
    owner = running.owner()
    owner.request("PATCH", f"/api/users/{bob_id}", {"grants": {"expires_at": time.time() - 1}})
    assert bob.get("/api/me").status == 401
    assert (
        running.anonymous().post("/api/auth/login", {"username": "bob", "password": PASSWORD}).status == 401
    )


def test_idle_session_expires(running: RunningServer) -> None:
    running.create_user("bob")
    bob = _sign_in_device(running, "phone")
    sql(running.data_dir, "UPDATE auth_tokens SET last_seen_at = ?", time.time() - 15 * 86400)
    assert bob.get("/api/me").status == 401


def test_session_past_its_absolute_expiry_ends_even_when_active(running: RunningServer) -> None:
    running.create_user("bob")
    bob = _sign_in_device(running, "phone")
    sql(running.data_dir, "UPDATE auth_tokens SET expires_at = ?", time.time() - 1)
    assert bob.get("/api/me").status == 401


def test_read_scoped_api_token_browses_but_cannot_administer(running: RunningServer) -> None:
    owner = running.owner()
    made = owner.post("/api/account/tokens", {"name": "script", "scopes": ["read"], "days": 7})
    assert made.status == 201
    token = Client(running.port, token=made.json()["token"])
    assert token.get("/api/libraries").status == 200
    assert token.get("/api/users").status == 403
    assert token.get("/api/settings").status == 403


def test_admin_scoped_token_administers(running: RunningServer) -> None:
    owner = running.owner()
    made = owner.post("/api/account/tokens", {"name": "ops", "scopes": ["admin"], "days": 7})
    assert Client(running.port, token=made.json()["token"]).get("/api/users").status == 200


def test_member_cannot_make_an_admin_scoped_token(running: RunningServer) -> None:
    running.create_user("bob")
    bob = running.sign_in("bob")
    answer = bob.post("/api/account/tokens", {"name": "x", "scopes": ["admin"], "days": 7})
    assert answer.status == 403


def test_read_token_cannot_mint_a_stream_token(running: RunningServer) -> None:
    owner = running.owner()
    made = owner.post("/api/account/tokens", {"name": "script", "scopes": ["read"], "days": 7})
    token = Client(running.port, token=made.json()["token"])
    assert token.post("/api/account/tokens", {"name": "y", "scopes": ["stream"], "days": 7}).status == 403


def test_expired_api_token_is_refused(running: RunningServer) -> None:
    owner = running.owner()
    made = owner.post("/api/account/tokens", {"name": "script", "scopes": ["read"], "days": 1})
    token_id = made.json()["session"]["id"]
    sql(running.data_dir, "UPDATE auth_tokens SET expires_at = ? WHERE id = ?", time.time() - 1, token_id)
    assert Client(running.port, token=made.json()["token"]).get("/api/libraries").status == 401


def test_api_token_creation_and_revocation_are_audited(running: RunningServer) -> None:
    owner = running.owner()
    made = owner.post("/api/account/tokens", {"name": "script", "scopes": ["read"], "days": 1})
    owner.request("DELETE", f"/api/account/sessions/{made.json()['session']['id']}")
    actions = [e["action"] for e in owner.get("/api/audit").json()["entries"]]
    assert "token.create" in actions and "token.revoke" in actions


def test_admin_role_change_makes_the_user_sign_in_again(running: RunningServer) -> None:
    bob_id = running.create_user("bob")
    bob = running.sign_in("bob")
    running.owner().request("PATCH", f"/api/users/{bob_id}", {"role": "admin"})
    assert bob.get("/api/me").status == 401
    assert running.sign_in("bob").get("/api/me").json()["role"] == Role.ADMIN.value


def test_stream_only_token_cannot_browse(running: RunningServer) -> None:
    owner = running.owner()
    made = owner.post("/api/account/tokens", {"name": "player", "scopes": ["stream"], "days": 7})
    token = Client(running.port, token=made.json()["token"])
    assert token.get("/api/libraries").status == 403
    assert token.get("/api/account/sessions").status == 403


def test_the_database_holds_only_a_hash_of_each_token(running: RunningServer) -> None:
    # A copy of the database file (a backup, a stolen disk) must not sign anyone in.
    running.create_user("bob", Role.MEMBER)
    phone = _sign_in_device(running, "phone")
    assert phone.token is not None
    stored = " ".join(
        str(value) for row in sql(running.data_dir, "SELECT * FROM auth_tokens") for value in row
    )
    assert phone.token not in stored
