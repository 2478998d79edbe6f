"""Users & Sharing: admin management with audited before/after, managed profiles with PIN on the LAN."""

from __future__ import annotations

import json
from pathlib import Path

from reelhouse.domain.access import Role, system_actor
from tests.accounts.conftest import PASSWORD, cli
from tests.harness import Client, RunningServer

PROXY = "127.0.0.9"
OUTSIDER = "127.0.0.66"


def _remote_is_outside(running: RunningServer) -> None:
    """A TLS proxy on 127.0.0.9 forwards 127.0.0.66, which stands for the internet."""
    running.server.services.settings.apply(
        system_actor(),
        {
            "remote_access": True,
            "trusted_proxies": [f"{PROXY}/32"],
            "lan_networks": ["127.0.0.0/8", f"!{OUTSIDER}/32"],
        },
    )


def _outside(running: RunningServer, token: str | None = None) -> Client:
    headers = {"X-Forwarded-For": OUTSIDER, "X-Forwarded-Proto": "https"}
    return Client(running.port, token=token, source=PROXY, default_headers=headers)


def test_admin_sets_grants_and_the_audit_log_has_before_and_after(running: RunningServer) -> None:
    bob_id = running.create_user("bob")
    owner = running.owner()
    answer = owner.request(
        "PATCH", f"/api/users/{bob_id}", {"grants": {"may_download": True, "max_bitrate_kbps": 4000}}
    )
    assert answer.status == 200
    assert answer.json()["grants"]["may_download"] is True
    entry = owner.get("/api/audit?action=user.update").json()["entries"][0]
    detail = json.loads(entry["detail"])
    assert detail["before"]["grants"] == {}
    assert detail["after"]["grants"] == {"may_download": True, "max_bitrate_kbps": 4000}


def test_null_grant_goes_back_to_the_default(running: RunningServer) -> None:
    bob_id = running.create_user("bob")
    owner = running.owner()
    owner.request("PATCH", f"/api/users/{bob_id}", {"grants": {"max_streams": 2, "may_download": True}})
    answer = owner.request("PATCH", f"/api/users/{bob_id}", {"grants": {"max_streams": None}})
    assert answer.json()["grants"]["max_streams"] is None
    assert answer.json()["grants"]["may_download"] is True


def test_a_new_user_with_a_grant_the_server_cannot_read_is_refused(running: RunningServer) -> None:
    owner = running.owner()
    body = {"username": "bob", "password": PASSWORD, "grants": {"max_rating": {"bogus": 3}}}
    answer = owner.post("/api/users", body)
    assert answer.status == 422
    assert "max_rating" in answer.json()["fields"]
    assert all(u["username"] != "bob" for u in owner.get("/api/users").json())


def test_admin_cannot_change_another_admin_but_the_owner_can(running: RunningServer) -> None:
    running.create_user("adm", Role.ADMIN)
    other_id = running.create_user("adm2", Role.ADMIN)
    admin = running.sign_in("adm")
    assert admin.request("PATCH", f"/api/users/{other_id}", {"disabled": True}).status == 403
    assert running.owner().request("PATCH", f"/api/users/{other_id}", {"disabled": True}).status == 200


def test_admin_cannot_create_admins(running: RunningServer) -> None:
    running.create_user("adm", Role.ADMIN)
    admin = running.sign_in("adm")
    answer = admin.post("/api/users", {"username": "x", "role": "admin", "password": PASSWORD})
    assert answer.status == 403


def test_member_cannot_list_users(running: RunningServer) -> None:
    running.create_user("bob")
    assert running.sign_in("bob").get("/api/users").status == 403


def test_admin_password_reset_ends_sessions_and_sets_the_new_password(running: RunningServer) -> None:
    bob_id = running.create_user("bob")
    bob = running.sign_in("bob")
    answer = running.owner().post(f"/api/users/{bob_id}/password", {"password": "brand new secret"})
    assert answer.status == 204
    assert bob.get("/api/me").status == 401
    assert running.sign_in("bob", "brand new secret").get("/api/me").status == 200


def test_cli_user_set_disable_and_reset_password(tmp_path: Path) -> None:
    cli(tmp_path, "user", "create", "bob", "--password-stdin", stdin=PASSWORD + "\n")
    assert cli(tmp_path, "user", "set", "bob", "may_download=true", "max_streams=2").returncode == 0
    listed = cli(tmp_path, "user", "list").stdout
    assert '"max_streams": 2' in listed and '"may_download": true' in listed
    assert cli(tmp_path, "user", "disable", "bob").returncode == 0
    assert "yes" in cli(tmp_path, "user", "list").stdout
    reset = cli(tmp_path, "user", "reset-password", "bob", "--password-stdin", stdin="another good one\n")
    assert reset.returncode == 0, reset.stderr
    assert cli(tmp_path, "user", "delete", "bob").returncode == 0
    assert "bob" not in cli(tmp_path, "user", "list").stdout


def test_an_overlong_label_is_refused_with_its_field(running: RunningServer) -> None:
    bob_id = running.create_user("bob")
    answer = running.owner().request(
        "PATCH", f"/api/users/{bob_id}", {"grants": {"blocked_labels": ["x" * 65]}}
    )
    assert answer.status == 422
    assert any("blocked_labels" in field for field in answer.json()["fields"])


def test_cli_user_set_refuses_an_overlong_label(tmp_path: Path) -> None:
    cli(tmp_path, "user", "create", "bob", "--password-stdin", stdin=PASSWORD + "\n")
    result = cli(tmp_path, "user", "set", "bob", f'allowed_labels=["{"y" * 65}"]')
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "64 characters" in result.stderr + result.stdout


def test_cli_user_set_refuses_an_unknown_grant(tmp_path: Path) -> None:
    cli(tmp_path, "user", "create", "bob", "--password-stdin", stdin=PASSWORD + "\n")
    result = cli(tmp_path, "user", "set", "bob", "may_fly=true")
    assert result.returncode != 0 and "Traceback" not in result.stderr


def _managed(running: RunningServer, name: str, pin: str | None) -> str:
    answer = running.owner().post(
        "/api/users", {"username": name, "role": "managed", "pin": pin, "grants": {"libraries": "all"}}
    )
    assert answer.status == 201, answer.body
    return str(answer.json()["id"])


def test_profiles_are_listed_on_the_home_network(running: RunningServer) -> None:
    _managed(running, "kid", "1234")
    listed = running.anonymous().get("/api/auth/profiles").json()
    assert [(p["username"], p["has_pin"]) for p in listed] == [("kid", True)]


def test_profile_with_a_pin_needs_the_right_pin(running: RunningServer) -> None:
    kid = _managed(running, "kid", "1234")
    assert running.anonymous().post("/api/auth/profile", {"user_id": kid, "pin": "9999"}).status == 401
    assert running.anonymous().post("/api/auth/profile", {"user_id": kid}).status == 401
    assert running.anonymous().post("/api/auth/profile", {"user_id": kid, "pin": "1234"}).status == 200


def test_profile_without_a_pin_is_picked_without_one(running: RunningServer) -> None:
    kid = _managed(running, "kid", None)
    answer = running.anonymous().post("/api/auth/profile", {"user_id": kid})
    assert answer.status == 200
    assert Client(running.port, token=answer.json()["token"]).get("/api/me").json()["role"] == "managed"


def test_managed_profile_cannot_use_the_password_sign_in(running: RunningServer) -> None:
    _managed(running, "kid", "1234")
    answer = running.anonymous().post("/api/auth/login", {"username": "kid", "password": "1234"})
    assert answer.status == 401


def test_profiles_are_hidden_from_outside_the_home_network(running: RunningServer) -> None:
    kid = _managed(running, "kid", None)
    _remote_is_outside(running)
    assert _outside(running).get("/api/auth/profiles").json() == []
    assert _outside(running).post("/api/auth/profile", {"user_id": kid}).status == 401


def test_managed_session_is_refused_from_outside_the_home_network(running: RunningServer) -> None:
    kid = _managed(running, "kid", None)
    token = running.anonymous().post("/api/auth/profile", {"user_id": kid}).json()["token"]
    _remote_is_outside(running)
    assert Client(running.port, token=token).get("/api/libraries").status == 200
    assert _outside(running, token).get("/api/libraries").status == 403


def test_member_without_remote_permission_is_refused_from_outside(running: RunningServer) -> None:
    bob_id = running.create_user("bob")
    running.owner().request("PATCH", f"/api/users/{bob_id}", {"grants": {"may_connect_remotely": False}})
    _remote_is_outside(running)
    assert running.sign_in("bob").get("/api/libraries").status == 200
    token = running.sign_in("bob").token
    assert _outside(running, token).get("/api/libraries").status == 403


def test_admin_sets_and_clears_a_profile_pin(running: RunningServer) -> None:
    kid = _managed(running, "kid", None)
    owner = running.owner()
    assert owner.post(f"/api/users/{kid}/pin", {"pin": "4321"}).status == 204
    assert running.anonymous().post("/api/auth/profile", {"user_id": kid}).status == 401
    assert running.anonymous().post("/api/auth/profile", {"user_id": kid, "pin": "4321"}).status == 200


def test_pin_must_be_digits(running: RunningServer) -> None:
    answer = running.owner().post(
        "/api/users", {"username": "kid", "role": "managed", "pin": "abcd", "grants": {"libraries": "all"}}
    )
    assert answer.status == 422 and answer.json()["fields"] == {"pin": "A PIN is 4 to 8 digits."}
