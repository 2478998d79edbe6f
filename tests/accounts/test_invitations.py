"""Invitations: links carry grants, codes are single-use by default, expire and can be revoked."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reelhouse.domain.access import system_actor
from tests.accounts.conftest import PASSWORD, cli, sql
from tests.harness import Client, RunningServer


def _invite(owner: Client, **body: object) -> dict[str, str]:
    answer = owner.post("/api/invitations", {"grants": {"libraries": "all"}, **body})
    assert answer.status == 201, answer.body
    return {
        "id": answer.json()["invitation"]["id"],
        "code": answer.json()["code"],
        "url": answer.json()["url"],
    }


def _redeem(running: RunningServer, code: str, username: str) -> int:
    return (
        running.anonymous()
        .post("/api/invitations/redeem", {"code": code, "username": username, "password": PASSWORD})
        .status
    )


def test_redeeming_creates_the_account_with_the_invitations_grants(running: RunningServer) -> None:
    invite = _invite(running.owner(), grants={"libraries": ["lib1"], "may_download": True}, note="for Dee")
    answer = running.anonymous().post(
        "/api/invitations/redeem", {"code": invite["code"], "username": "dee", "password": PASSWORD}
    )
    assert answer.status == 201
    dee = Client(running.port, token=answer.json()["token"])
    assert dee.get("/api/me").json()["role"] == "member"
    stored = running.owner().get(f"/api/users/{answer.json()['user']['id']}").json()["grants"]
    assert stored["libraries"] == ["lib1"] and stored["may_download"] is True


def test_invitation_is_single_use_by_default(running: RunningServer) -> None:
    invite = _invite(running.owner())
    assert _redeem(running, invite["code"], "dee") == 201
    assert _redeem(running, invite["code"], "eli") == 404


def test_invitation_with_three_uses_makes_three_accounts(running: RunningServer) -> None:
    invite = _invite(running.owner(), max_uses=3)
    assert [_redeem(running, invite["code"], n) for n in ("a1", "a2", "a3", "a4")] == [201, 201, 201, 404]


def test_revoked_invitation_cannot_be_redeemed(running: RunningServer) -> None:
    owner = running.owner()
    invite = _invite(owner)
    assert owner.request("DELETE", f"/api/invitations/{invite['id']}").status == 204
    assert _redeem(running, invite["code"], "dee") == 404


def test_expired_invitation_cannot_be_redeemed(running: RunningServer) -> None:
    invite = _invite(running.owner())
    sql(running.data_dir, "UPDATE invitations SET expires_at = ?", time.time() - 1)
    assert _redeem(running, invite["code"], "dee") == 404


def test_default_expiry_comes_from_the_invitation_days_setting(running: RunningServer) -> None:
    running.server.services.settings.apply(system_actor(), {"invitation_days": 2})
    answer = running.owner().post("/api/invitations", {"grants": {"libraries": "all"}})
    expires = answer.json()["invitation"]["expires_at"]
    assert abs(expires - (time.time() + 2 * 86400)) < 60


def test_list_shows_uses_and_who_redeemed(running: RunningServer) -> None:
    owner = running.owner()
    invite = _invite(owner, max_uses=2, note="family")
    _redeem(running, invite["code"], "dee")
    listed = owner.get("/api/invitations").json()
    assert [(i["uses"], i["max_uses"], i["redeemed_by"], i["note"], i["live"]) for i in listed] == [
        (1, 2, ["dee"], "family", True)
    ]


def test_link_uses_the_first_public_url_when_set(running: RunningServer) -> None:
    owner = running.owner()
    assert _invite(owner)["url"].startswith(f"http://127.0.0.1:{running.port}/invite#")
    running.server.services.settings.apply(system_actor(), {"public_urls": ["https://films.example.org"]})
    invite = _invite(owner)
    assert invite["url"] == f"https://films.example.org/invite#{invite['code']}"


def test_taken_username_does_not_use_up_the_invitation(running: RunningServer) -> None:
    running.create_user("dee")
    invite = _invite(running.owner())
    assert _redeem(running, invite["code"], "dee") == 409
    assert _redeem(running, invite["code"], "dee2") == 201


def test_member_cannot_create_invitations(running: RunningServer) -> None:
    running.create_user("bob")
    assert running.sign_in("bob").post("/api/invitations", {}).status == 403


def test_check_tells_what_a_live_code_offers(running: RunningServer) -> None:
    invite = _invite(running.owner(), message="movie night")
    answer = running.anonymous().post("/api/invitations/check", {"code": invite["code"]})
    assert answer.status == 200 and answer.json()["message"] == "movie night"
    assert running.anonymous().post("/api/invitations/check", {"code": "nonsense"}).status == 404


def test_guessing_codes_gets_throttled(running: RunningServer) -> None:
    statuses = [
        running.anonymous("127.0.0.9").post("/api/invitations/check", {"code": f"guess{i}"}).status
        for i in range(5)
    ]
    assert statuses[:3] == [404, 404, 404] and statuses[-1] == 429


def test_invitation_lifecycle_is_audited(running: RunningServer) -> None:
    owner = running.owner()
    invite = _invite(owner)
    _redeem(running, invite["code"], "dee")
    owner.request("DELETE", f"/api/invitations/{invite['id']}")
    actions = {e["action"] for e in owner.get("/api/audit?action=invitation.").json()["entries"]}
    assert actions == {"invitation.create", "invitation.redeem", "invitation.revoke"}


def test_cli_invite_create_list_revoke(tmp_path: Path) -> None:
    made = cli(tmp_path, "invite", "create", "--libraries", "all", "--uses", "2", "--note", "cousins")
    assert made.returncode == 0, made.stderr
    assert "/invite#" in made.stdout
    listed = cli(tmp_path, "invite", "list").stdout
    assert "cousins" in listed and "0/2" in listed and "live" in listed
    invitation_id = sql(tmp_path, "SELECT id FROM invitations")[0][0]
    assert cli(tmp_path, "invite", "revoke", invitation_id).returncode == 0
    assert "revoked" in cli(tmp_path, "invite", "list").stdout


def test_concurrent_redeemers_of_a_single_use_code_make_one_account(running: RunningServer) -> None:
    # All of them pass the first look at the code while their passwords hash; only the claim can stop them.
    invite = _invite(running.owner())
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda n: _redeem(running, invite["code"], f"dee{n}"), range(6)))
    assert sorted(statuses) == [201] + [404] * 5
    assert sql(running.data_dir, "SELECT uses FROM invitations") == [(1,)]
