"""The audit log shows tampering and honours retention; the database file holds no usable secret."""

from __future__ import annotations

import time
from pathlib import Path

import pyotp

from reelhouse.domain.access import Role, system_actor
from reelhouse.persistence.schema import metadata
from tests.accounts.conftest import PASSWORD, cli, sql
from tests.harness import Client, RunningServer
from tests.postgres import chosen_database_url, raw_connection


def test_audit_cli_reports_an_intact_chain(tmp_path: Path) -> None:
    cli(tmp_path, "user", "create", "ann", "--owner", "--password-stdin", stdin=PASSWORD + "\n")
    result = cli(tmp_path, "audit")
    assert result.returncode == 0 and "intact" in result.stdout


def test_audit_cli_exits_non_zero_when_an_entry_was_edited(tmp_path: Path) -> None:
    cli(tmp_path, "user", "create", "ann", "--owner", "--password-stdin", stdin=PASSWORD + "\n")
    cli(tmp_path, "user", "create", "bob", "--password-stdin", stdin=PASSWORD + "\n")
    sql(tmp_path, 'UPDATE audit_log SET detail = \'{"username": "someone else"}\' WHERE seq = 1')
    result = cli(tmp_path, "audit")
    assert result.returncode == 1 and "hash chain broken at seq 1" in result.stdout


def test_audit_cli_exits_non_zero_when_an_entry_was_deleted(tmp_path: Path) -> None:
    for name in ("ann", "bob", "cat"):
        cli(tmp_path, "user", "create", name, "--password-stdin", stdin=PASSWORD + "\n")
    sql(tmp_path, "DELETE FROM audit_log WHERE seq = 2")
    assert cli(tmp_path, "audit").returncode != 0


def test_role_change_is_audited_with_before_and_after(running: RunningServer) -> None:
    bob_id = running.create_user("bob")
    running.owner().request("PATCH", f"/api/users/{bob_id}", {"role": "admin"})
    entry = running.server.services.audit.entries(system_actor(), "user.update")[0]
    assert '"before": {"disabled": false, "grants": {}, "role": "member"}' in entry.detail
    assert '"role": "admin"' in entry.detail.split('"after"')[1].split('"before"')[0]


def test_setup_is_audited(running: RunningServer) -> None:
    code = running.server.services.accounts.issue_setup_code()
    assert code is not None
    running.anonymous().post("/api/setup", {"code": code, "username": "ann", "password": PASSWORD})
    actions = [e.action for e in running.server.services.audit.entries(system_actor(), "setup.")]
    assert actions == ["setup.owner_created"]


def test_entries_older_than_the_retention_are_pruned(running: RunningServer) -> None:
    running.create_user("bob")
    sql(running.data_dir, "UPDATE audit_log SET at = ?", time.time() - 40 * 86400)
    audit = running.server.services.audit
    audit.keep_for(lambda: 30)
    running.create_user("cat")
    entries = audit.entries(system_actor())
    assert [e.action for e in entries] == ["user.create", "audit.checkpoint"]
    assert '"cat"' in entries[0].detail
    assert audit.verify().state == "intact"


def test_retention_zero_keeps_everything(running: RunningServer) -> None:
    running.create_user("bob")
    sql(running.data_dir, "UPDATE audit_log SET at = ?", time.time() - 4000 * 86400)
    running.server.services.settings.apply(system_actor(), {"audit_retention_days": 0})
    running.server.services.audit.keep_for(lambda: 0)
    running.create_user("cat")
    assert len(running.server.services.audit.entries(system_actor(), "user.create")) == 2


def _database_bytes(data_dir: Path) -> bytes:
    if chosen_database_url() is not None:
        # PostgreSQL's files are the server's: what a copy of the database holds is every row of every table.
        with raw_connection(data_dir) as conn:
            tables = [str(name) for name in metadata.tables]
            return "\n".join(
                str(row[0])
                for name in tables
                for row in conn.exec_driver_sql(f'SELECT t::text FROM "{name}" t')
            ).encode()
    # The WAL holds recent pages that the main file may not have yet; an attacker copies both.
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("reelhouse.db*")))


def test_database_holds_no_usable_token_code_or_password(running: RunningServer) -> None:
    secrets: list[str] = [PASSWORD]
    setup_code = running.server.services.accounts.issue_setup_code()
    assert setup_code is not None
    secrets.append(setup_code)
    owner_answer = running.anonymous().post(
        "/api/setup", {"code": setup_code, "username": "ann", "password": PASSWORD}
    )
    owner = Client(running.port, token=owner_answer.json()["token"])
    secrets.append(owner_answer.json()["token"])
    api = owner.post("/api/account/tokens", {"name": "s", "scopes": ["read"], "days": 3}).json()["token"]
    invite = owner.post("/api/invitations", {"max_uses": 2, "grants": {"libraries": "all"}}).json()["code"]
    redeemed = running.anonymous().post(
        "/api/invitations/redeem", {"code": invite, "username": "dee", "password": "a private passphrase"}
    )
    enrolment = owner.post("/api/account/2fa").json()
    recovery = owner.post("/api/account/2fa/confirm", {"code": pyotp.TOTP(enrolment["secret"]).now()}).json()
    running.server.services.accounts.create_user(
        system_actor(), "kid", Role.MANAGED, None, pin="4821", grants={"libraries": "all"}
    )
    secrets += [
        enrolment["secret"],
        api,
        invite,
        redeemed.json()["token"],
        "a private passphrase",
        *recovery["recovery_codes"],
    ]
    stored = _database_bytes(running.data_dir)
    found = [s for s in secrets if s.encode() in stored]
    assert found == []
    # PINs are short: look for the digits as a hashed column would never hold them, next to nothing else.
    assert sql(running.data_dir, "SELECT count(*) FROM users WHERE password_hash = '4821'") == [(0,)]
