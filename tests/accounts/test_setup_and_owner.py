"""First-run setup needs the one-time code; the one owner cannot be demoted, disabled or deleted."""

from __future__ import annotations

from pathlib import Path

from reelhouse.domain.access import Role
from tests.accounts.conftest import PASSWORD, cli
from tests.harness import RunningServer


def test_setup_without_the_right_code_creates_no_owner(running: RunningServer) -> None:
    running.server.services.accounts.issue_setup_code()
    answer = running.anonymous().post(
        "/api/setup", {"code": "0000-0000", "username": "eve", "password": PASSWORD}
    )
    assert answer.status == 401
    assert running.anonymous().get("/api/setup").json()["needs_setup"] is True


def test_setup_with_the_code_creates_the_owner_and_signs_in(running: RunningServer) -> None:
    code = running.server.services.accounts.issue_setup_code()
    assert code is not None
    answer = running.anonymous().post("/api/setup", {"code": code, "username": "ann", "password": PASSWORD})
    assert answer.status == 201
    assert answer.json()["user"]["role"] == "owner"
    assert running.anonymous().get("/api/setup").json()["needs_setup"] is False


def test_setup_code_works_only_once(running: RunningServer) -> None:
    code = running.server.services.accounts.issue_setup_code()
    assert code is not None
    running.anonymous().post("/api/setup", {"code": code, "username": "ann", "password": PASSWORD})
    again = running.anonymous().post("/api/setup", {"code": code, "username": "eve", "password": PASSWORD})
    assert again.status == 409


def test_cli_creates_the_owner_without_a_setup_code(tmp_path: Path) -> None:
    made = cli(tmp_path, "user", "create", "ann", "--owner", "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    listed = cli(tmp_path, "user", "list")
    assert "ann" in listed.stdout and "owner" in listed.stdout


def test_a_second_owner_is_refused(running: RunningServer) -> None:
    running.owner()
    second = running.owner().post("/api/users", {"username": "zed", "role": "owner", "password": PASSWORD})
    assert second.status == 422
    assert sum(u["role"] == "owner" for u in running.server.services.accounts.list_users()) == 1


def _owner_id(running: RunningServer) -> str:
    return next(u["id"] for u in running.server.services.accounts.list_users() if u["role"] == "owner")


def test_owner_cannot_be_demoted_disabled_or_deleted_by_an_admin(running: RunningServer) -> None:
    owner_id = _owner_id_after(running)
    running.create_user("adm", Role.ADMIN)
    admin = running.sign_in("adm")
    assert admin.request("PATCH", f"/api/users/{owner_id}", {"role": "member"}).status == 403
    assert admin.request("PATCH", f"/api/users/{owner_id}", {"disabled": True}).status == 403
    assert admin.request("DELETE", f"/api/users/{owner_id}").status == 403
    assert running.sign_in("owner").get("/api/me").json()["role"] == "owner"


def test_owner_cannot_change_their_own_role_or_delete_themselves(running: RunningServer) -> None:
    owner = running.owner()
    owner_id = _owner_id(running)
    assert owner.request("PATCH", f"/api/users/{owner_id}", {"role": "admin"}).status == 403
    assert owner.request("DELETE", f"/api/users/{owner_id}").status == 403


def test_cli_cannot_disable_or_delete_the_owner(tmp_path: Path) -> None:
    cli(tmp_path, "user", "create", "ann", "--owner", "--password-stdin", stdin=PASSWORD + "\n")
    disabled = cli(tmp_path, "user", "disable", "ann")
    deleted = cli(tmp_path, "user", "delete", "ann")
    assert disabled.returncode != 0 and "owner" in disabled.stderr
    assert deleted.returncode != 0
    assert "ann" in cli(tmp_path, "user", "list").stdout


def _owner_id_after(running: RunningServer) -> str:
    running.owner()
    return _owner_id(running)
