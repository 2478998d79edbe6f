"""Transcode slots come back: a reload replaces its session, a session nobody fetches from gives its slot back,
and a lone viewer is never told the server is busy because of their own earlier page loads."""

from __future__ import annotations

import time

from reelhouse.domain.access import system_actor
from tests.harness import Client
from tests.playback.conftest import Stage

DEVICE = "browser-0123456789abcdef"


def _play(stage: Stage, client: Client, device: str | None = DEVICE) -> tuple[int, dict[str, object]]:
    body: dict[str, object] = {"device_id": device} if device else {}
    answer = client.post(f"/api/items/{stage.items['hevc.mkv']}/playback", body)
    return answer.status, answer.json()


def _first_segment(stage: Stage, url: str) -> int:
    base, grant = url.split("master.m3u8?grant=")
    return stage.server.anonymous().get(f"{base}0.ts?grant={grant}").status


def _limit(stage: Stage, slots: int) -> None:
    stage.server.server.services.settings.apply(system_actor("test"), {"max_transcodes": slots})


def test_five_reloads_in_a_row_never_hear_the_server_is_busy(stage: Stage) -> None:
    _limit(stage, 2)
    member = stage.member()
    for reload in range(5):
        status, decision = _play(stage, member)
        assert status == 200, (reload, decision)
        assert _first_segment(stage, str(decision["url"])) == 200
    sessions = stage.server.server.services.media.encoders.active()
    assert [s.id for s in sessions] == [decision["session_id"]]


def test_another_device_is_another_session(stage: Stage) -> None:
    _limit(stage, 2)
    member = stage.member()
    assert _play(stage, member, "phone-0123456789abcdef")[0] == 200
    assert _play(stage, member, "tv-0123456789abcdef")[0] == 200
    assert _play(stage, member, "tablet-0123456789abcdef")[0] == 503


def test_a_device_id_must_look_like_one(stage: Stage) -> None:
    status, _ = _play(stage, stage.member(), "x; DROP TABLE")
    assert status == 422


def test_a_session_nobody_fetches_from_gives_its_slot_back_and_can_take_it_again(stage: Stage) -> None:
    _limit(stage, 1)
    encoders = stage.server.server.services.media.encoders
    encoders.release_seconds = 0.6
    member = stage.member()
    status, decision = _play(stage, member, None)
    assert status == 200
    url = str(decision["url"])
    assert _first_segment(stage, url) == 200
    # Three segment lengths (here shortened) without a segment request: the encoder is ended, the slot freed.
    deadline = time.monotonic() + 10
    while any(s.holds_slot for s in encoders.active()) and time.monotonic() < deadline:
        time.sleep(0.05)
    (session,) = encoders.active()
    assert not session.holds_slot and session.process is None
    # The player comes back from pause and asks for a segment not written yet (the cache trimmed it): encoding
    # it takes the free slot again.
    for written in session.folder.glob("seg*.ts"):
        written.unlink()
    base, grant = url.split("master.m3u8?grant=")
    assert stage.server.anonymous().get(f"{base}3.ts?grant={grant}").status == 200
    assert session.holds_slot
    # While it holds the only slot, another viewer is told the server is busy.
    assert _play(stage, stage.owner(), None)[0] == 503


def test_a_released_slot_lets_someone_else_in(stage: Stage) -> None:
    _limit(stage, 1)
    encoders = stage.server.server.services.media.encoders
    encoders.release_seconds = 0.6
    status, decision = _play(stage, stage.member(), None)
    assert status == 200 and _first_segment(stage, str(decision["url"])) == 200
    deadline = time.monotonic() + 10
    while any(s.holds_slot for s in encoders.active()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _play(stage, stage.owner(), None)[0] == 200


def test_a_poster_frame_waits_for_a_slot_instead_of_failing(stage: Stage) -> None:
    import threading

    _limit(stage, 1)
    owner = stage.owner()
    assert _play(stage, owner, None)[0] == 200
    encoders = stage.server.server.services.media.encoders
    (session,) = encoders.active()
    # The only slot is held; it is freed a second from now, while the poster's frame grab waits.
    threading.Timer(1.0, encoders.end, (session.id, session.user_id)).start()
    answer = owner.get(f"/api/items/{stage.items['direct.mp4']}/artwork/poster?width=160")
    assert answer.status == 200
    assert answer.header("Content-Type") == "image/jpeg"
