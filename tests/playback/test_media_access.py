"""The media access decision against an attacker: files swapped under the server between the scan and the
request, media URLs used from another zone, grants that outlive their session, encoders a client holds open,
and media parameters edited in the URL. Real files, a real server, real sockets."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from reelhouse.domain.access import Role, system_actor
from reelhouse.services.media_access import RECHECK_SECONDS
from tests.harness import Client
from tests.playback.conftest import Stage, grant_for, set_user

REMOTE = "127.0.0.9"
RANGE = {"Range": "bytes=0-99"}


def _direct(stage: Stage, client: Client) -> str:
    answer = client.post(f"/api/items/{stage.items['direct.mp4']}/playback", {})
    assert answer.status == 200, answer.body
    assert answer.json()["method"] == "direct"
    return str(answer.json()["url"])


def _fetch(stage: Stage, url: str, source: str | None = None) -> int:
    player = stage.server.anonymous(source)
    # Outside the home network only HTTPS is served (secure connections "preferred").
    if source is not None:
        player = stage.server.over_tls(player)
    return player.get(url, headers=RANGE).status


def _film(stage: Stage) -> Path:
    return stage.root / "direct" / "direct.mp4"


def _remote_allowed(stage: Stage) -> None:
    # Home is 127.0.0.1 alone; 127.0.0.9 is outside and let in over HTTPS, so only the rules below refuse.
    stage.server.server.services.settings.apply(
        system_actor("test"),
        {"lan_networks": ["127.0.0.1/32"], "remote_access": True, "secure_connections": "preferred"},
    )


def _wait_for_scan(stage: Stage) -> None:
    scanning = stage.server.server.services.scanning
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        state = scanning.state_of(stage.library_id)
        if state.started_at is not None and not state.running:
            return
        time.sleep(0.05)
    raise AssertionError("no rescan followed the mismatch")


# 1. What is served is what was scanned --------------------------------------------------------------------
@pytest.mark.parametrize(
    "swap", ["symlink_to_grant_key", "hard_link_to_grant_key", "symlink_out", "renamed_in"]
)
def test_a_file_swapped_after_the_scan_is_refused_and_rescanned(
    stage: Stage, swap: str, tmp_path: Path
) -> None:
    member = stage.member()
    url = _direct(stage, member)
    assert _fetch(stage, url) == 206
    film = _film(stage)
    film.unlink()
    if swap == "symlink_to_grant_key":
        film.symlink_to(stage.server.data_dir / "grant.key")
    elif swap == "hard_link_to_grant_key":
        os.link(stage.server.data_dir / "grant.key", film)
    elif swap == "symlink_out":
        outside = tmp_path / "elsewhere.mp4"
        outside.write_bytes(b"\0" * 4096)
        film.symlink_to(outside)
    else:
        other = stage.root / "hevc" / "hevc.mkv"
        shutil.copy(other, stage.root / "impostor.mp4")
        os.rename(stage.root / "impostor.mp4", film)
    time.sleep(RECHECK_SECONDS)
    answer = stage.server.anonymous().get(url, headers=RANGE)
    assert answer.status == 404, answer.status
    assert (stage.server.data_dir / "grant.key").read_bytes()[:16] not in answer.body
    _wait_for_scan(stage)


def test_a_copy_with_the_same_size_and_mtime_is_told_apart_by_its_inode(stage: Stage) -> None:
    member = stage.member()
    url = _direct(stage, member)
    film = _film(stage)
    st = film.stat()
    data = bytearray(film.read_bytes())
    data[-1] ^= 0xFF  # other bytes, same length
    replacement = film.with_name("replacement.tmp")
    replacement.write_bytes(bytes(data))
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replacement, film)
    time.sleep(RECHECK_SECONDS)
    assert _fetch(stage, url) == 404


def test_a_fifo_swapped_in_answers_at_once_instead_of_holding_a_thread(stage: Stage) -> None:
    member = stage.member()
    url = _direct(stage, member)
    film = _film(stage)
    film.unlink()
    os.mkfifo(film)
    time.sleep(RECHECK_SECONDS)
    started = time.monotonic()
    assert _fetch(stage, url) == 404
    assert time.monotonic() - started < 5


def test_a_running_hls_session_keeps_reading_the_file_it_checked(stage: Stage) -> None:
    owner = stage.owner()
    answer = owner.post(f"/api/items/{stage.items['hevc.mkv']}/playback", {})
    assert answer.json()["method"] == "transcode"
    base = answer.json()["url"].split("master.m3u8")[0]
    grant = answer.json()["url"].split("grant=")[1]
    source = stage.root / "hevc" / "hevc.mkv"
    source.unlink()
    source.write_bytes(b"not a film at all" * 1000)
    # A far segment restarts the encoder; it must read the checked file, not what the path names now.
    segment = stage.server.anonymous().get(f"{base}3.ts?grant={grant}")
    assert segment.status == 200
    assert segment.body[:1] == b"\x47"  # an MPEG-TS sync byte: encoded from the real film


def test_a_sidecar_subtitle_hard_linked_to_a_server_secret_is_refused(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    (sub,) = owner.get(f"/api/items/{item}").json()["subtitles"]
    sidecar = stage.root / "direct" / "direct.en.srt"
    sidecar.unlink()
    os.link(stage.server.data_dir / "grant.key", sidecar)
    answer = owner.get(f"/api/items/{item}/subtitles/{sub['id']}.vtt")
    assert answer.status == 404
    sidecar.unlink()
    sidecar.symlink_to(stage.server.data_dir / "grant.key")
    assert owner.get(f"/api/items/{item}/subtitles/{sub['id']}.vtt").status == 404


def test_a_poster_linked_to_a_server_secret_is_refused(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    poster = stage.root / "direct" / "poster.jpg"
    os.link(stage.server.data_dir / "grant.key", poster)
    stage.server.server.scanner.scan(stage.server.server.services.libraries.all_for_system()[0], full=True)
    answer = owner.get(f"/api/items/{item}/artwork/poster")
    assert answer.status == 404
    assert (stage.server.data_dir / "grant.key").read_bytes() not in answer.body


# 3. Zone rules hold on every use, not only at playback start ------------------------------------------------
def test_a_member_who_may_not_connect_remotely_cannot_use_a_home_url_from_outside(tls_stage: Stage) -> None:
    stage = tls_stage
    _remote_allowed(stage)
    member = stage.member()
    url = _direct(stage, member)
    assert _fetch(stage, url, REMOTE) == 206  # the control: the same URL from outside, while allowed
    set_user(stage, "alice", may_connect_remotely=False)
    time.sleep(RECHECK_SECONDS)
    assert _fetch(stage, url) == 206
    assert _fetch(stage, url, REMOTE) == 403


def test_a_managed_profile_url_works_at_home_only(tls_stage: Stage) -> None:
    stage = tls_stage
    _remote_allowed(stage)
    kid_id = stage.server.server.services.accounts.create_user(
        system_actor("test"), "kid", Role.MANAGED, None, grants={"libraries": "all"}
    )
    token = stage.server.anonymous().post("/api/auth/profile", {"user_id": kid_id}).json()["token"]
    url = _direct(stage, Client(stage.server.port, token=token))
    assert _fetch(stage, url) == 206
    assert _fetch(stage, url, REMOTE) == 403


def test_the_remote_bitrate_cap_applies_to_a_url_fetched_at_home(tls_stage: Stage) -> None:
    stage = tls_stage
    _remote_allowed(stage)
    member = stage.member()
    url = _direct(stage, member)
    assert _fetch(stage, url, REMOTE) == 206  # the control: no cap yet
    stage.server.server.services.settings.apply(system_actor("test"), {"remote_max_bitrate_kbps": 100})
    time.sleep(RECHECK_SECONDS)
    assert _fetch(stage, url) == 206
    assert _fetch(stage, url, REMOTE) == 403


# 4. Grants end with the session that obtained them --------------------------------------------------------
def test_signing_out_everywhere_ends_every_media_url(stage: Stage) -> None:
    member = stage.member()
    url = _direct(stage, member)
    assert _fetch(stage, url) == 206
    assert member.post("/api/account/sessions/revoke-all", {}).status in (200, 204)
    time.sleep(RECHECK_SECONDS)
    assert _fetch(stage, url) == 401


def test_a_password_change_ends_every_media_url(stage: Stage) -> None:
    member = stage.member()
    url = _direct(stage, member)
    other = stage.server.sign_in("alice")
    changed = other.post(
        "/api/account/password",
        {"current_password": "correct horse battery", "new_password": "a completely new passphrase"},
    )
    assert changed.status in (200, 204), changed.body
    time.sleep(RECHECK_SECONDS)
    assert _fetch(stage, url) == 401


def test_disable_then_enable_does_not_bring_old_urls_back(stage: Stage) -> None:
    member = stage.member()
    url = _direct(stage, member)
    owner = stage.owner()
    alice = next(u["id"] for u in owner.get("/api/users").json() if u["username"] == "alice")
    assert owner.request("PATCH", f"/api/users/{alice}", body={"disabled": True}).status == 200
    assert owner.request("PATCH", f"/api/users/{alice}", body={"disabled": False}).status == 200
    assert _fetch(stage, url) == 401


def test_a_grant_for_a_session_that_never_existed_is_refused(stage: Stage) -> None:
    stage.member()
    item = stage.items["direct.mp4"]
    good = grant_for(stage, item)
    assert _fetch(stage, f"/api/items/{item}/stream?grant={good}") == 206
    user_id = next(
        u["id"] for u in stage.server.server.services.accounts.list_users() if u["username"] == "alice"
    )
    forged = stage.server.server.services.media.grants.issue(item, user_id, "stream", "nosuchsession")
    assert _fetch(stage, f"/api/items/{item}/stream?grant={forged}") == 401


# 5 and 6. Encoders are counted, bounded, and their parameters are signed ---------------------------------
@pytest.fixture
def song(stage: Stage, tmp_path: Path) -> str:
    from tests.playback import media

    folder = tmp_path / "music" / "Artist" / "Album"
    folder.mkdir(parents=True)
    media.flac_track(folder / "01 - Long.flac", seconds=600)
    services = stage.server.server.services
    library = services.libraries.add(system_actor("test"), "Music", "music", [str(tmp_path / "music")])
    stage.server.server.scanner.scan(library)
    return services.catalogue.search(system_actor("test"), "Long")[0].id


def _audio_url(stage: Stage, client: Client, item: str) -> str:
    answer = client.post(
        f"/api/items/{item}/playback", {"profile": {"containers": ["ogg"], "audio_codecs": ["opus"]}}
    )
    assert answer.status == 200, answer.body
    assert "/audio?" in answer.json()["url"], answer.json()
    return str(answer.json()["url"])


def _hold(stage: Stage, url: str) -> socket.socket:
    """A client that asks for the audio and then never reads."""
    sock = socket.create_connection(("127.0.0.1", stage.server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return sock


def _encoders(stage: Stage) -> int:
    return len(stage.server.server.services.media.encoders.audio_encoders())


def _until(check: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_one_audio_grant_runs_one_encoder_at_a_time(stage: Stage, song: str) -> None:
    member = stage.member()
    url = _audio_url(stage, member, song)
    held = [_hold(stage, url) for _ in range(4)]
    try:
        assert _until(lambda: _encoders(stage) >= 1)
        time.sleep(0.5)
        assert _encoders(stage) == 1
    finally:
        for sock in held:
            sock.close()
    assert _until(lambda: _encoders(stage) == 0)


def test_audio_encoders_count_against_max_transcodes(stage: Stage, song: str) -> None:
    stage.server.server.services.settings.apply(system_actor("test"), {"max_transcodes": 1})
    owner = stage.owner()
    held = _hold(stage, _audio_url(stage, owner, song))
    try:
        assert _until(lambda: _encoders(stage) == 1)
        answer = owner.post(f"/api/items/{stage.items['hevc.mkv']}/playback", {})
        assert answer.status == 503, answer.body
    finally:
        held.close()


def test_an_encoder_whose_client_stops_reading_is_ended(
    stage: Stage, song: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reelhouse.web.api import media_answer

    monkeypatch.setattr(media_answer, "WRITE_TIMEOUT_SECONDS", 1.0)
    member = stage.member()
    held = _hold(stage, _audio_url(stage, member, song))
    try:
        assert _until(lambda: _encoders(stage) == 1)
        assert _until(lambda: _encoders(stage) == 0, seconds=20), "the stalled client kept its encoder"
    finally:
        held.close()


@pytest.mark.parametrize(("name", "value"), [("bitrate", "320"), ("codec", "mp3")])
def test_audio_parameters_edited_in_the_url_void_the_grant(
    stage: Stage, song: str, name: str, value: str
) -> None:
    member = stage.member()
    url = _audio_url(stage, member, song)
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    assert query[name] != value
    query[name] = value
    edited = url.split("?", 1)[0] + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    assert stage.server.anonymous().get(edited).status == 401
