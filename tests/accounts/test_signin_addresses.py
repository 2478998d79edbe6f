"""Where a user signs in from is kept apart from their tokens: ending every session does not hand home over to
a stranger's lock-out, and an owner made with the CLI is never locked out on the home network."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reelhouse.domain.access import Role, system_actor
from reelhouse.services.throttle import Throttle
from tests.accounts.conftest import PASSWORD, behind_proxy, cli, login, via_proxy
from tests.harness import Client, RunningServer
from tests.postgres import exec_sql

NEW_PASSWORD = "another horse battery"
# A remote address the user signs in from (their office, say): only remembering it keeps it open for them.
OFFICE = "203.0.113.7"


def _strangers_guess(running: RunningServer, username: str) -> None:
    for i in range(Throttle.FREE_PER_ACCOUNT):
        login(via_proxy(running, f"198.51.100.{i + 1}"), username, f"guess number {i}")
    # The account is now closed to addresses it has never signed in from, even with the right password.
    assert login(via_proxy(running, "198.51.100.200"), username).status == 429


def _change_password(running: RunningServer, bob: Client) -> str:
    answer = bob.post("/api/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert answer.status == 204, answer.body
    return NEW_PASSWORD


def _reset_by_an_admin(running: RunningServer, bob: Client) -> str:
    bob_id = bob.get("/api/me").json()["id"]
    answer = running.owner().post(f"/api/users/{bob_id}/password", {"password": NEW_PASSWORD})
    assert answer.status == 204, answer.body
    return NEW_PASSWORD


def _sign_out_everywhere(running: RunningServer, bob: Client) -> str:
    answer = bob.post("/api/account/sessions/revoke-all", {"keep_current": False})
    assert answer.status == 200, answer.body
    return PASSWORD


@pytest.mark.parametrize("end_sessions", [_change_password, _reset_by_an_admin, _sign_out_everywhere])
def test_ending_every_session_keeps_the_addresses_a_user_signed_in_from(
    running: RunningServer, end_sessions: Callable[[RunningServer, Client], str]
) -> None:
    running.create_user("bob")
    behind_proxy(running)
    signed = login(via_proxy(running, OFFICE), "bob")
    assert signed.status == 200
    bob = via_proxy(running, OFFICE, token=signed.json()["token"])
    password = end_sessions(running, bob)
    assert bob.get("/api/me").status == 401
    _strangers_guess(running, "bob")
    assert login(via_proxy(running, OFFICE), "bob", password).status == 200


def test_an_owner_made_with_the_cli_is_never_locked_out_at_home(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    made = cli(data_dir, "user", "create", "ann", "--owner", "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    running = RunningServer(data_dir)
    try:
        behind_proxy(running)
        _strangers_guess(running, "ann")
        # Neither has ever signed in: a peer on the home network and one on this machine.
        assert login(via_proxy(running, "192.168.1.20"), "ann").status == 200
        assert login(running.anonymous("127.0.0.5"), "ann").status == 200
    finally:
        running.stop()


def test_an_account_kept_home_cannot_sign_in_from_outside_and_leaves_no_address(
    running: RunningServer,
) -> None:
    running.server.services.accounts.create_user(
        system_actor("test"), "kim", Role.MEMBER, PASSWORD, grants={"may_connect_remotely": False}
    )
    behind_proxy(running)
    refused = login(via_proxy(running, OFFICE), "kim")
    assert refused.status == 403, refused.body
    # Had the address been remembered, it would be exempt from the per-account counter from then on.
    with running.server.db.read() as conn:
        kept = conn.exec_driver_sql("SELECT address FROM sign_in_addresses").scalars().all()
    assert OFFICE not in kept
    assert login(via_proxy(running, "192.168.1.20"), "kim").status == 200


def _seen_at(running: RunningServer, address: str) -> float:
    with running.server.db.read() as conn:
        found = exec_sql(
            conn, "SELECT last_at FROM sign_in_addresses WHERE address = ?", address
        ).scalar_one()
    return float(found)


def test_an_address_seen_within_the_hour_is_not_rewritten_and_an_older_one_is(running: RunningServer) -> None:
    """The address write is on every sign-in's path, so a current one is left alone; an older one still moves
    to now, since its time decides which addresses are forgotten first."""
    running.create_user("bob")
    behind_proxy(running)
    assert login(via_proxy(running, OFFICE), "bob").status == 200
    first = _seen_at(running, OFFICE)
    assert login(via_proxy(running, OFFICE), "bob").status == 200
    assert _seen_at(running, OFFICE) == first
    with running.server.db.begin() as conn:
        conn.exec_driver_sql("UPDATE sign_in_addresses SET last_at = last_at - 7200")
    assert login(via_proxy(running, OFFICE), "bob").status == 200
    assert _seen_at(running, OFFICE) > first
