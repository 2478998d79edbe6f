"""Server info, the user as apps see them, the runtime switch, the network gate, and tokens kept out of logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from reelhouse.domain.access import Role, system_actor
from reelhouse.domain.ratings import rank
from reelhouse.web.compat.jellyfin.ids import to_jellyfin
from tests.compat.jellyfin.conftest import authenticate_by_name, jellyfin_client
from tests.harness import Client, RunningServer

PUBLIC_PATHS = (
    "/jellyfin/System/Info/Public",
    "/jellyfin/System/Ping",
    "/jellyfin/Branding/Configuration",
    "/jellyfin/Users/Public",
    "/jellyfin/QuickConnect/Enabled",
)


def _settings(running: RunningServer, **values: object) -> None:
    running.server.services.settings.apply(system_actor("test"), values)


def test_public_info_names_the_server_and_the_address_the_app_used_nothing_more(
    running: RunningServer, tmp_path: Path
) -> None:
    _settings(running, server_name="Den")
    answer = jellyfin_client(running).get("/jellyfin/system/info/public")
    info = answer.json()
    assert info["ServerName"] == "Den" and info["ProductName"] == "Jellyfin Server"
    assert info["Version"].startswith("10.11.") and info["StartupWizardCompleted"] is True
    assert info["LocalAddress"] == f"http://127.0.0.1:{running.port}/jellyfin"
    assert len(info["Id"]) == 32 and int(info["Id"], 16) >= 0
    assert running.server.services.version not in answer.body.decode()
    assert str(tmp_path) not in answer.body.decode()
    assert answer.header("Date")


def test_the_server_id_is_the_same_everywhere_and_after_a_restart(tmp_path: Path) -> None:
    first = RunningServer(tmp_path / "data")
    try:
        first.create_user("alice")
        server_id = jellyfin_client(first).get("/jellyfin/System/Info/Public").json()["Id"]
        signed = authenticate_by_name(first, "alice").json()
        assert (
            signed["ServerId"] == signed["User"]["ServerId"] == signed["SessionInfo"]["ServerId"] == server_id
        )
        token = signed["AccessToken"]
        assert jellyfin_client(first, token).get("/jellyfin/System/Info").json()["Id"] == server_id
    finally:
        first.stop()
    again = RunningServer(tmp_path / "data")
    try:
        assert jellyfin_client(again).get("/jellyfin/System/Info/Public").json()["Id"] == server_id
    finally:
        again.stop()


def test_public_routes_answer_without_a_token(running: RunningServer) -> None:
    app = jellyfin_client(running)
    for path in PUBLIC_PATHS:
        assert app.get(path).status == 200, path
    assert app.get("/jellyfin/Users/Public").json() == []
    assert app.get("/jellyfin/Branding/Configuration").json()["SplashscreenEnabled"] is False
    css = app.get("/jellyfin/Branding/Css.css")
    assert css.body == b"" and (css.header("Content-Type") or "").startswith("text/css")
    assert app.post("/jellyfin/System/Ping").status == 200
    assert app.get("/jellyfin/System/Info").status == 401


def test_the_policy_follows_the_grants(
    running: RunningServer, tmp_path: Path, jellyfin_token: Callable[..., str]
) -> None:
    root = tmp_path / "films"
    root.mkdir()
    library = running.server.services.libraries.add(system_actor(), "Films", "movies", [str(root)]).id
    grants = {
        "libraries": [library],
        "max_rating": {"movies": rank("PG")},
        "blocked_labels": ["horror"],
        "may_download": False,
        "may_transcode": False,
        "may_connect_remotely": False,
        "max_streams": 2,
    }
    running.server.services.accounts.create_user(
        system_actor(), "kim", Role.MEMBER, "correct horse battery", grants=grants
    )
    me = jellyfin_client(running, jellyfin_token(running, "kim")).get("/jellyfin/Users/Me").json()
    policy = me["Policy"]
    assert me["Name"] == "kim" and len(me["Id"]) == 32
    assert policy["EnableAllFolders"] is False and policy["EnabledFolders"] == [to_jellyfin(library)]
    assert policy["MaxParentalRating"] == rank("PG") and policy["BlockedTags"] == ["horror"]
    assert policy["EnableContentDownloading"] is False
    assert (
        policy["EnableVideoPlaybackTranscoding"] is False
        and policy["EnableAudioPlaybackTranscoding"] is False
    )
    assert policy["EnableRemoteAccess"] is False and policy["IsAdministrator"] is False
    assert policy["MaxActiveSessions"] == 2
    running.create_user("boss", Role.ADMIN)
    boss = (
        jellyfin_client(running, jellyfin_token(running, "boss")).get("/jellyfin/Users/Me").json()["Policy"]
    )
    assert boss["IsAdministrator"] is True and boss["EnableAllFolders"] is True
    assert boss["EnableContentDownloading"] is True


def test_a_user_reads_themselves_an_admin_anyone_a_member_nobody_else(
    running: RunningServer, jellyfin_token: Callable[..., str]
) -> None:
    running.create_user("alice")
    running.create_user("bob")
    running.create_user("boss", Role.ADMIN)
    alice = jellyfin_client(running, jellyfin_token(running, "alice"))
    alice_id = alice.get("/jellyfin/Users/Me").json()["Id"]
    bob_id = jellyfin_client(running, jellyfin_token(running, "bob")).get("/jellyfin/Users/Me").json()["Id"]
    assert alice.get(f"/jellyfin/Users/{alice_id}").json()["Name"] == "alice"
    assert alice.get(f"/jellyfin/Users/{bob_id}").status == 404
    assert alice.get(f"/jellyfin/Users/{'0' * 32}").status == 404
    assert alice.get("/jellyfin/Users/not-an-id").status == 404
    boss = jellyfin_client(running, jellyfin_token(running, "boss"))
    assert boss.get(f"/jellyfin/Users/{bob_id}").json()["Name"] == "bob"


def test_turned_off_every_jellyfin_path_is_an_unknown_path(
    running: RunningServer, jellyfin_token: Callable[..., str]
) -> None:
    running.create_user("alice")
    token = jellyfin_token(running, "alice")
    web = running.sign_in("alice")
    # The Servers page names the address to type into the apps while the API is on, and not after.
    assert web.get("/api/server").json()["client_apis"]["jellyfin"] == "/jellyfin"
    unknown = Client(running.port).get("/no-such-thing/System/Info/Public")
    _settings(running, jellyfin_enabled=False)
    assert "jellyfin" not in web.get("/api/server").json()["client_apis"]
    app = jellyfin_client(running, token)
    for path in (*PUBLIC_PATHS, "/jellyfin/System/Info", "/jellyfin/Users/Me"):
        answer = app.get(path)
        assert (answer.status, answer.body) == (404, unknown.body), path
    assert authenticate_by_name(running, "alice").status == 404
    _settings(running, jellyfin_enabled=True)
    assert app.get("/jellyfin/Users/Me").status == 200


def test_a_remote_peer_gets_the_gates_bare_refusal_while_remote_access_is_off(running: RunningServer) -> None:
    _settings(running, lan_networks=["127.0.0.1/32"])
    answer = jellyfin_client(running, source="127.0.0.9").get("/jellyfin/System/Info/Public")
    assert (answer.status, answer.body) == (403, b"Forbidden\n")


def test_a_member_kept_home_is_refused_remotely_but_not_signed_out(
    running: RunningServer, jellyfin_token: Callable[..., str]
) -> None:
    running.server.services.accounts.create_user(
        system_actor(), "kim", Role.MEMBER, "correct horse battery", grants={"may_connect_remotely": False}
    )
    running.create_user("alice")
    kim, alice = jellyfin_token(running, "kim"), jellyfin_token(running, "alice")
    proxy = "127.0.0.9"
    _settings(running, trusted_proxies=[f"{proxy}/32"], remote_access=True)

    def remote(token: str) -> Client:
        headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Emby-Token": token}
        return Client(running.port, source=proxy, default_headers=headers)

    # 403, not 401: a 401 makes the apps throw the token away.
    assert remote(kim).get("/jellyfin/System/Info").status == 403
    assert remote(alice).get("/jellyfin/System/Info").status == 200
    assert jellyfin_client(running, kim).get("/jellyfin/System/Info").status == 200


def test_a_token_in_the_query_never_reaches_a_log(
    running: RunningServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "SECRETTOKENVALUE1234567890"
    caplog.set_level(logging.DEBUG)
    assert Client(running.port).get(f"/jellyfin/System/Info?api_key={secret}").status == 401
    assert Client(running.port).get(f"/jellyfin/No/Such/Path?ApiKey={secret}").status == 404

    def broken(token: str, address: str | None) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(running.server.services.accounts, "authenticate", broken)
    failed = Client(running.port).get(f"/jellyfin/System/Info?api_key={secret}")
    assert failed.status == 500
    assert "/jellyfin/System/Info" in caplog.text, "the failure is logged, by path"
    assert secret not in caplog.text
