"""Two-factor sign-in: enrolment with a QR code, codes at sign-in, recovery codes, admins required."""

from __future__ import annotations

import time

import pyotp

from reelhouse.domain.access import Role, system_actor
from tests.accounts.conftest import PASSWORD
from tests.harness import Client, RunningServer


def _enrol(client: Client) -> tuple[str, list[str]]:
    enrolment = client.post("/api/account/2fa").json()
    secret = enrolment["secret"]
    confirmed = client.post("/api/account/2fa/confirm", {"code": pyotp.TOTP(secret).now()})
    assert confirmed.status == 200, confirmed.body
    return secret, confirmed.json()["recovery_codes"]


def _login(running: RunningServer, totp: str | None = None, username: str = "bob") -> Client | int:
    body = {"username": username, "password": PASSWORD}
    if totp is not None:
        body["totp"] = totp
    answer = running.anonymous().post("/api/auth/login", body)
    return Client(running.port, token=answer.json()["token"]) if answer.status == 200 else answer.status


def _next_code(secret: str) -> str:
    """A code for the next 30-second step: the current one was spent by enrolment."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_enrolment_shows_the_secret_and_a_qr_code(running: RunningServer) -> None:
    running.create_user("bob")
    enrolment = running.sign_in("bob").post("/api/account/2fa").json()
    assert enrolment["qr_svg"].startswith("<svg")
    assert enrolment["uri"].startswith("otpauth://totp/") and enrolment["secret"] in enrolment["uri"]


def test_enrolment_is_off_until_confirmed(running: RunningServer) -> None:
    running.create_user("bob")
    running.sign_in("bob").post("/api/account/2fa")
    assert isinstance(_login(running), Client)


def test_wrong_confirmation_code_is_refused(running: RunningServer) -> None:
    running.create_user("bob")
    bob = running.sign_in("bob")
    bob.post("/api/account/2fa")
    answer = bob.post("/api/account/2fa/confirm", {"code": "000000"})
    assert answer.status == 422 and answer.json()["fields"] == {
        "code": "That code is not right; check the time on your device."
    }


def test_sign_in_asks_for_the_code_once_enrolled(running: RunningServer) -> None:
    running.create_user("bob")
    _enrol(running.sign_in("bob"))
    answer = running.anonymous().post("/api/auth/login", {"username": "bob", "password": PASSWORD})
    assert answer.status == 422 and answer.json()["fields"] == {
        "totp": "Enter the code from your authenticator app."
    }


def test_sign_in_with_the_right_code_works_and_a_wrong_one_does_not(running: RunningServer) -> None:
    running.create_user("bob")
    secret, _codes = _enrol(running.sign_in("bob"))
    assert _login(running, "123456") == 422
    assert isinstance(_login(running, _next_code(secret)), Client)


def test_a_code_cannot_be_used_twice(running: RunningServer) -> None:
    running.create_user("bob")
    secret, _codes = _enrol(running.sign_in("bob"))
    code = _next_code(secret)
    assert isinstance(_login(running, code), Client)
    assert _login(running, code) == 422


def test_recovery_code_works_once(running: RunningServer) -> None:
    running.create_user("bob")
    _secret, codes = _enrol(running.sign_in("bob"))
    assert len(codes) == 10 and len(set(codes)) == 10
    client = _login(running, codes[0])
    assert isinstance(client, Client)
    assert client.get("/api/account").json()["recovery_codes_left"] == 9
    assert _login(running, codes[0]) == 422


def test_disabling_two_factor_needs_the_password(running: RunningServer) -> None:
    running.create_user("bob")
    bob = running.sign_in("bob")
    _enrol(bob)
    assert bob.post("/api/account/2fa/disable", {"password": "not it at all"}).status == 422
    assert bob.post("/api/account/2fa/disable", {"password": PASSWORD}).status == 204
    assert isinstance(_login(running), Client)


def test_admins_without_two_factor_cannot_administer_when_it_is_required(running: RunningServer) -> None:
    running.create_user("adm", Role.ADMIN)
    admin = running.sign_in("adm")
    running.server.services.settings.apply(system_actor(), {"require_2fa_for_admins": True})
    assert admin.get("/api/users").status == 403
    assert admin.get("/api/account").json()["two_factor_required"] is True
    assert admin.get("/api/libraries").status == 200


def test_admin_who_enrols_administers_again(running: RunningServer) -> None:
    running.create_user("adm", Role.ADMIN)
    running.server.services.settings.apply(system_actor(), {"require_2fa_for_admins": True})
    admin = running.sign_in("adm")
    _enrol(admin)
    assert admin.get("/api/users").status == 200


def test_enrolment_is_audited(running: RunningServer) -> None:
    running.create_user("bob")
    _enrol(running.sign_in("bob"))
    entries = running.server.services.audit.entries(system_actor(), "user.2fa")
    assert [e.action for e in entries] == ["user.2fa_enabled"]
