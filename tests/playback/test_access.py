"""Who gets media: grants instead of session tokens, stream and download permissions, hidden items."""

from __future__ import annotations

import time

from reelhouse.services.media_access import RECHECK_SECONDS
from tests.playback.conftest import Stage, grant_for, set_user


def _direct_url(stage: Stage, client_name: str = "alice") -> tuple[str, str]:
    member = stage.member(client_name)
    item = stage.items["direct.mp4"]
    answer = member.post(f"/api/items/{item}/playback", {})
    assert answer.status == 200, answer.body
    return item, answer.json()["url"]


def test_media_url_carries_a_grant_and_not_the_session_token(stage: Stage) -> None:
    member = stage.member()
    answer = member.post(f"/api/items/{stage.items['direct.mp4']}/playback", {})
    assert "grant=" in answer.json()["url"]
    assert member.token is not None and member.token not in answer.json()["url"]


def test_stream_without_grant_is_refused(stage: Stage) -> None:
    item, _ = _direct_url(stage)
    assert stage.server.anonymous().get(f"/api/items/{item}/stream").status in (401, 422)


def test_tampered_grant_is_refused(stage: Stage) -> None:
    _, url = _direct_url(stage)
    assert stage.server.anonymous().get(url[:-2] + ("AA" if not url.endswith("AA") else "BB")).status == 401


def test_grant_for_one_item_does_not_open_another(stage: Stage) -> None:
    _, url = _direct_url(stage)
    grant = url.split("grant=")[1]
    other = stage.items["hevc.mkv"]
    assert stage.server.anonymous().get(f"/api/items/{other}/stream?grant={grant}").status == 401


def test_expired_grant_is_refused(stage: Stage) -> None:
    stage.member()
    item = stage.items["direct.mp4"]
    grant = grant_for(stage, item, seconds=-1)
    assert stage.server.anonymous().get(f"/api/items/{item}/stream?grant={grant}").status == 401


def test_disabled_user_loses_a_grant_within_a_second(stage: Stage) -> None:
    _, url = _direct_url(stage)
    assert stage.server.anonymous().get(url, headers={"Range": "bytes=0-0"}).status == 206
    set_user(stage, "alice", disabled=True)
    time.sleep(RECHECK_SECONDS)
    assert stage.server.anonymous().get(url, headers={"Range": "bytes=0-0"}).status == 401


def test_time_limited_friend_loses_a_grant_at_the_end_date(stage: Stage) -> None:
    _, url = _direct_url(stage)
    assert stage.server.anonymous().get(url, headers={"Range": "bytes=0-0"}).status == 206
    set_user(stage, "alice", expires_at=time.time() - 1)
    time.sleep(RECHECK_SECONDS)
    assert stage.server.anonymous().get(url, headers={"Range": "bytes=0-0"}).status == 401


def test_user_moved_out_of_the_library_loses_a_grant(stage: Stage) -> None:
    _, url = _direct_url(stage)
    set_user(stage, "alice", libraries=[])
    time.sleep(RECHECK_SECONDS)
    assert stage.server.anonymous().get(url).status == 404


def test_hidden_item_answers_like_a_missing_one(stage: Stage) -> None:
    member = stage.member()
    set_user(stage, "alice", libraries=[])
    hidden = member.post(f"/api/items/{stage.items['direct.mp4']}/playback", {})
    missing = member.post("/api/items/doesnotexist0000000000/playback", {})
    assert hidden.status == missing.status == 404
    assert hidden.json() == missing.json()


def test_download_needs_the_download_permission(stage: Stage) -> None:
    member = stage.member()
    assert member.get(f"/api/items/{stage.items['direct.mp4']}/download").status == 403


def test_download_with_permission_is_an_attachment_with_ranges(stage: Stage) -> None:
    member = stage.member()
    set_user(stage, "alice", may_download=True)
    answer = member.get(f"/api/items/{stage.items['direct.mp4']}/download", headers={"Range": "bytes=0-9"})
    assert answer.status == 206
    assert (answer.header("Content-Disposition") or "").startswith("attachment;")
    assert answer.body == (stage.root / "direct" / "direct.mp4").read_bytes()[:10]


def test_grant_key_file_is_private(stage: Stage) -> None:
    key = stage.server.data_dir / "grant.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes()) == 32


def test_grant_survives_a_restart_of_the_service_objects(stage: Stage) -> None:
    from reelhouse.services.media_grants import MediaGrants, load_secret

    _, url = _direct_url(stage)
    item = stage.items["direct.mp4"]
    again = MediaGrants(load_secret(stage.server.data_dir / "grant.key"))
    assert again.verify(url.split("grant=")[1], item, "stream")
