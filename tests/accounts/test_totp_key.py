"""A lost or replaced totp.key: enrolled users are told what happened and how to recover, never given a 500."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pyotp
import pytest

from tests.accounts.conftest import PASSWORD
from tests.harness import RunningServer


@pytest.mark.parametrize("change", ["missing", "replaced"])
def test_sign_in_after_the_key_file_changed_names_the_fix_and_recovery_codes_still_work(
    tmp_path: Path, change: str
) -> None:
    data = tmp_path / "data"
    first = RunningServer(data)
    try:
        first.create_user("bob")
        bob = first.sign_in("bob")
        secret = bob.post("/api/account/2fa").json()["secret"]
        confirmed = bob.post("/api/account/2fa/confirm", {"code": pyotp.TOTP(secret).now()})
        assert confirmed.status == 200, confirmed.body
        recovery = confirmed.json()["recovery_codes"][0]
    finally:
        first.stop()
        first.server.close()
    key = data / "totp.key"
    if change == "missing":
        key.unlink()
    else:
        key.write_bytes(secrets.token_bytes(32))
    second = RunningServer(data)
    try:
        body = {"username": "bob", "password": PASSWORD, "totp": pyotp.TOTP(secret).at(time.time() + 30)}
        answer = second.anonymous().post("/api/auth/login", body)
        assert answer.status == 503, answer.body
        message = answer.json()["message"]
        assert "totp.key" in message and "missing" in message
        assert "recovery code" in message and "reelhouse user reset-password" in message
        # The recovery codes are hashed, not sealed with the key: they still let bob in to enrol again.
        answer = second.anonymous().post(
            "/api/auth/login", {"username": "bob", "password": PASSWORD, "totp": recovery}
        )
        assert answer.status == 200, answer.body
    finally:
        second.stop()
        second.server.close()
