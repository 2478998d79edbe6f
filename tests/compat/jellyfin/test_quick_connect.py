"""Quick Connect: the app shows a code, a person signed in on the web page approves it, the app collects a
device token once. It is how an account with two-factor sign-in reaches an app."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import time

import pyotp
import pytest
from jellyfin_apiclient_python import JellyfinClient

from reelhouse.domain.access import system_actor
from reelhouse.errors import PermissionDenied
from reelhouse.services.quick_connect import PENDING_PER_ADDRESS
from reelhouse.services.throttle import Throttle
from tests.compat.jellyfin.conftest import (
    APP,
    DEVICE,
    PASSWORD,
    authenticate_by_name,
    jellyfin_client,
    jellyfin_url,
)
from tests.harness import Client, RunningServer


def _app() -> JellyfinClient:
    client = JellyfinClient()
    client.config.app(APP, "1.0.0", DEVICE, "qc-device")
    client.config.data["auth.ssl"] = False
    return client


def _enrol_two_factor(web: Client) -> None:
    secret = web.post("/api/account/2fa").json()["secret"]
    assert web.post("/api/account/2fa/confirm", {"code": pyotp.TOTP(secret).now()}).status == 200


def _initiate(running: RunningServer, source: str | None = None) -> dict[str, object]:
    answer = jellyfin_client(running, source=source).post("/jellyfin/QuickConnect/Initiate")
    assert answer.status == 200, answer.body
    found: dict[str, object] = answer.json()
    return found


def test_an_account_with_two_factor_is_sent_to_quick_connect_and_signs_in_through_it(
    running: RunningServer,
) -> None:
    running.create_user("alice")
    web = running.sign_in("alice")
    _enrol_two_factor(web)
    refused = authenticate_by_name(running, "alice")
    assert refused.status == 401 and "Quick Connect" in refused.json()["detail"], refused.body
    # The library's own Quick Connect calls.
    url, app = jellyfin_url(running), _app()
    app.auth.connect_to_address(url)
    assert app.auth.API.quick_connect_enabled(url) is True
    started = app.auth.API.quick_connect_initiate(url)
    code, secret = started["Code"], started["Secret"]
    assert len(code) == 6 and code.isdigit() and not started["Authenticated"]
    assert app.auth.API.quick_connect_state(url, secret)["Authenticated"] is False
    approved = web.post("/api/account/quick-connect", {"code": code})
    assert approved.status == 200, approved.body
    assert approved.json() == {"client": APP, "device": DEVICE}
    assert app.auth.API.quick_connect_state(url, secret)["Authenticated"] is True
    result = app.auth.login_with_quick_connect(url, secret)
    assert result["User"]["Name"] == "alice" and result["ServerId"] == app.auth.server_id
    token = result["AccessToken"]
    assert jellyfin_client(running, token).get("/jellyfin/Users/Me").json()["Name"] == "alice"
    # Used once: the secret collects nothing more.
    again = jellyfin_client(running).post("/jellyfin/Users/AuthenticateWithQuickConnect", {"Secret": secret})
    assert again.status == 401
    # The app is a device on the Account page, like one signed in by password.
    listed = [s for s in web.get("/api/account/sessions").json() if s["kind"] == "device"]
    assert [(s["name"], s["app"]) for s in listed] == [(DEVICE, APP)]


def test_an_unapproved_request_collects_nothing(running: RunningServer) -> None:
    started = _initiate(running)
    answer = jellyfin_client(running).post("/jellyfin/Users/AuthenticateWithQuickConnect", started)
    assert answer.status == 401


def test_approving_is_audited_and_codes_are_stored_hashed(running: RunningServer) -> None:
    running.create_user("alice")
    web = running.sign_in("alice")
    started = _initiate(running)
    assert web.post("/api/account/quick-connect", {"code": started["Code"]}).status == 200
    audited = running.server.services.audit.entries(system_actor(), "quick_connect.")
    assert [(e.action, e.actor) for e in audited] == [("quick_connect.approve", "alice")]
    assert DEVICE in audited[0].detail and APP in audited[0].detail
    with sqlite3.connect(running.data_dir / "reelhouse.db") as conn:
        stored = repr(list(conn.execute("SELECT * FROM quick_connect")))
    assert str(started["Code"]) not in stored and str(started["Secret"]) not in stored


def test_a_copy_of_the_database_alone_names_no_pending_code(running: RunningServer) -> None:
    """Six digits are a million guesses: a bare hash of the code falls to trying them all, so it is keyed
    with quick-connect.key, which lives beside the database, not in it."""
    started = _initiate(running)
    with sqlite3.connect(running.data_dir / "reelhouse.db") as conn:
        (stored,) = conn.execute("SELECT code_hash FROM quick_connect").fetchone()
    code = str(started["Code"])
    assert not any(
        hashlib.sha256(f"{guess:06d}".encode()).hexdigest() == stored for guess in range(1_000_000)
    )
    key = (running.data_dir / "quick-connect.key").read_bytes()
    assert stored == hmac.new(key, code.encode(), hashlib.sha256).hexdigest()
    assert (running.data_dir / "quick-connect.key").stat().st_mode & 0o777 == 0o600


def test_a_code_works_once_and_only_for_five_minutes(running: RunningServer) -> None:
    running.create_user("alice")
    web = running.sign_in("alice")
    first = _initiate(running)
    assert web.post("/api/account/quick-connect", {"code": first["Code"]}).status == 200
    assert web.post("/api/account/quick-connect", {"code": first["Code"]}).status == 422
    late = _initiate(running)
    with sqlite3.connect(running.data_dir / "reelhouse.db") as conn:
        conn.execute("UPDATE quick_connect SET expires_at = ? WHERE user_id IS NULL", (time.time() - 1,))
    assert web.post("/api/account/quick-connect", {"code": late["Code"]}).status == 422
    assert (
        jellyfin_client(running).get(f"/jellyfin/QuickConnect/Connect?secret={late['Secret']}").status == 404
    )


def test_wrong_codes_are_throttled_per_address(running: RunningServer) -> None:
    running.create_user("alice")
    web = running.sign_in("alice", source="127.0.0.45")
    for guess in range(Throttle.FREE_PER_PAIR):
        assert web.post("/api/account/quick-connect", {"code": f"{guess:06d}"}).status == 422
    started = _initiate(running)
    # Even the right code waits once the allowance is spent.
    assert web.post("/api/account/quick-connect", {"code": started["Code"]}).status == 429


def test_one_address_cannot_fill_the_table_with_requests(running: RunningServer) -> None:
    for _ in range(PENDING_PER_ADDRESS):
        _initiate(running, source="127.0.0.46")
    assert jellyfin_client(running, source="127.0.0.46").post("/jellyfin/QuickConnect/Initiate").status == 429
    assert jellyfin_client(running, source="127.0.0.47").post("/jellyfin/QuickConnect/Initiate").status == 200


def test_only_a_password_session_approves(running: RunningServer) -> None:
    running.create_user("alice")
    web = running.sign_in("alice")
    api_token = web.post("/api/account/tokens", {"name": "t", "scopes": ["read", "stream"], "days": 1}).json()
    started = _initiate(running)
    assert (
        Client(running.port, token=api_token["token"])
        .post("/api/account/quick-connect", {"code": started["Code"]})
        .status
        == 403
    )
    assert (
        jellyfin_client(running)
        .get(f"/jellyfin/QuickConnect/Connect?secret={started['Secret']}")
        .json()["Authenticated"]
        is False
    )


def test_the_service_itself_refuses_a_token_that_is_not_a_password_session(running: RunningServer) -> None:
    running.create_user("alice")
    web = running.sign_in("alice")
    api_token = web.post("/api/account/tokens", {"name": "t", "scopes": ["read"], "days": 1}).json()["token"]
    caller = running.server.services.accounts.authenticate(api_token, None)
    assert caller is not None
    started = _initiate(running)
    service = running.server.services.quick_connect
    assert service is not None
    with pytest.raises(PermissionDenied):
        service.approve(caller, str(started["Code"]), None)


def test_a_password_still_signs_in_an_account_without_two_factor(running: RunningServer) -> None:
    running.create_user("bob")
    assert authenticate_by_name(running, "bob", PASSWORD).status == 200
