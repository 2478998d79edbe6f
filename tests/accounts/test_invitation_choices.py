"""Private defaults and private notes: invitations and managed profiles share only the libraries the owner
names, and an invitation's note stays with the admins while its message goes to the friend."""

from __future__ import annotations

import json
from pathlib import Path

from tests.accounts.conftest import PASSWORD, cli, sql
from tests.harness import RunningServer


def test_an_invitation_that_names_no_libraries_is_refused_naming_the_field(running: RunningServer) -> None:
    owner = running.owner()
    for body in ({}, {"grants": {"may_download": True}}, {"grants": {"libraries": None}}):
        answer = owner.post("/api/invitations", body)
        assert answer.status == 422, answer.body
        assert "grants.libraries" in answer.json()["fields"]
    assert owner.get("/api/invitations").json() == []
    assert owner.post("/api/invitations", {"grants": {"libraries": "all"}}).status == 201


def test_a_managed_profile_that_names_no_libraries_is_refused_naming_the_field(
    running: RunningServer,
) -> None:
    owner = running.owner()
    answer = owner.post("/api/users", {"username": "kid", "role": "managed"})
    assert answer.status == 422, answer.body
    assert "grants.libraries" in answer.json()["fields"]
    assert all(u["username"] != "kid" for u in owner.get("/api/users").json())
    made = owner.post("/api/users", {"username": "kid", "role": "managed", "grants": {"libraries": []}})
    assert made.status == 201, made.body


def test_cli_refuses_an_invitation_or_profile_that_names_no_libraries(tmp_path: Path) -> None:
    for args in ([], ["--libraries", ""], ["--libraries", " , "]):
        refused = cli(tmp_path, "invite", "create", *args)
        assert refused.returncode != 0
        assert refused.stderr.strip().startswith("error: choose what the invitation shares"), refused.stderr
        assert "--libraries all" in refused.stderr
    shared = cli(tmp_path, "invite", "create", "--libraries", "all")
    assert shared.returncode == 0 and "/invite#" in shared.stdout, shared.stderr
    assert [json.loads(g) for (g,) in sql(tmp_path, "SELECT grants FROM invitations")] == [
        {"libraries": "all"}
    ]
    profile = cli(tmp_path, "user", "create", "kid", "--managed", "--password-stdin", stdin="\n")
    assert profile.returncode != 0 and "choose what the profile sees" in profile.stderr
    profile = cli(
        tmp_path, "user", "create", "kid", "--managed", "--libraries", "abc", "--password-stdin", stdin="\n"
    )
    assert profile.returncode == 0, profile.stderr
    assert json.loads(sql(tmp_path, "SELECT grants FROM users WHERE username = 'kid'")[0][0]) == {
        "libraries": ["abc"]
    }


def test_the_note_stays_with_admins_and_the_message_reaches_the_friend(running: RunningServer) -> None:
    owner = running.owner()
    made = owner.post(
        "/api/invitations",
        {"grants": {"libraries": "all"}, "note": "Dee, owes me 20", "message": "Hi Dee, films for you!"},
    )
    assert made.status == 201, made.body
    code = made.json()["code"]
    offer = running.anonymous().post("/api/invitations/check", {"code": code})
    assert offer.status == 200
    assert "owes me" not in offer.body.decode() and "note" not in offer.json()
    assert offer.json()["message"] == "Hi Dee, films for you!"
    listed = owner.get("/api/invitations").json()[0]
    assert (listed["note"], listed["message"]) == ("Dee, owes me 20", "Hi Dee, films for you!")
    redeemed = running.anonymous().post(
        "/api/invitations/redeem", {"code": code, "username": "dee", "password": PASSWORD}
    )
    assert redeemed.status == 201 and "owes me" not in redeemed.body.decode()


def test_cli_message_is_for_the_friend_and_note_for_admins(tmp_path: Path) -> None:
    made = cli(
        tmp_path, "invite", "create", "--libraries", "all", "--note", "cousin Al", "--message", "Welcome, Al"
    )
    assert made.returncode == 0, made.stderr
    assert sql(tmp_path, "SELECT note, message FROM invitations") == [("cousin Al", "Welcome, Al")]


def test_cli_list_verbs_answer_json_and_never_cut_ids(tmp_path: Path) -> None:
    media = tmp_path / "films"
    media.mkdir()
    tmp_path = tmp_path / "data"
    assert cli(tmp_path, "library", "add", str(media), "--name", "Films", "--kind", "movies").returncode == 0
    assert cli(tmp_path, "invite", "create", "--libraries", "all", "--note", "a" * 60).returncode == 0
    assert cli(tmp_path, "user", "create", "bo", "--password-stdin", stdin=PASSWORD + "\n").returncode == 0
    for verb, table in (("library", "libraries"), ("invite", "invitations"), ("user", "users")):
        ids = {row[0] for row in sql(tmp_path, f"SELECT id FROM {table}")}
        listed = json.loads(cli(tmp_path, verb, "list", "--json").stdout)
        assert {entry["id"] for entry in listed} == ids
        narrow = cli(tmp_path, verb, "list", columns=60)
        assert narrow.returncode == 0, narrow.stderr
        assert all(i in narrow.stdout for i in ids), narrow.stdout
