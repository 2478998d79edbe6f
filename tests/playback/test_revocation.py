"""An admin who disables, deletes or narrows a user cuts that user's streams already open, at once."""

from __future__ import annotations

import http.client
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from tests.playback.conftest import Stage, grant_for
from tests.playback.test_hls import ffmpeg_children, start

# Far more than loopback's socket buffers hold (a few MB each way), so the body is still being sent when
# the admin acts, as with a player reading a film through one long Range request.
BIG_BYTES = 40_000_000


@pytest.fixture
def big(stage: Stage) -> str:
    """A rawvideo MKV of ~41 MB, scanned into the stage's library; returns its item id."""
    target = stage.root / "big" / "big.mkv"
    target.parent.mkdir()
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=1280x720:r=10", "-t", "3"),
            *("-c:v", "rawvideo", "-pix_fmt", "yuv420p", str(target)),
        ],
        check=True,
        timeout=60,
    )
    assert target.stat().st_size > BIG_BYTES
    services = stage.server.server.services
    stage.server.server.scanner.scan(services.libraries.get(system_actor("test"), stage.library_id))
    (found,) = services.catalogue.search(system_actor("test"), "big")
    return found.id


@pytest.fixture
def opened() -> Iterator[list[http.client.HTTPConnection]]:
    """The test's own client connections, closed however the test ends."""
    connections: list[http.client.HTTPConnection] = []
    yield connections
    for connection in connections:
        connection.close()


def _user_id(stage: Stage, username: str) -> str:
    return next(u["id"] for u in stage.owner().get("/api/users").json() if u["username"] == username)


def _open_stream(
    stage: Stage, item: str, opened: list[http.client.HTTPConnection]
) -> tuple[http.client.HTTPResponse, int, str]:
    """The member's player asks for the whole file and reads its first 64 KiB, then waits. (Raw video is
    never the server's direct-play choice, so the test issues the direct-stream grant itself.)"""
    if not any(u["username"] == "alice" for u in stage.owner().get("/api/users").json()):
        stage.member()
    grant = grant_for(stage, item)
    url = f"/api/items/{item}/stream?grant={grant}"
    connection = http.client.HTTPConnection("127.0.0.1", stage.server.port, timeout=20)
    opened.append(connection)
    connection.request("GET", url)
    response = connection.getresponse()
    opened.append(response)  # type: ignore[arg-type]  # closed the same way
    assert response.status == 200
    size = int(response.headers["Content-Length"])
    assert len(response.read(65536)) == 65536
    return response, size, url


def _rest(response: http.client.HTTPResponse) -> int:
    """How many more bytes arrive before the connection ends."""
    received = 0
    try:
        while chunk := response.read1(1 << 20):
            received += len(chunk)
    except (ConnectionError, http.client.IncompleteRead):
        pass
    return received


def _patch(stage: Stage, username: str, body: dict[str, object]) -> None:
    answer = stage.owner().request("PATCH", f"/api/users/{_user_id(stage, username)}", body)
    assert answer.status == 200, answer.body


def test_disabling_a_user_cuts_the_stream_they_have_open(
    stage: Stage, big: str, opened: list[http.client.HTTPConnection]
) -> None:
    response, size, _ = _open_stream(stage, big, opened)
    _patch(stage, "alice", {"disabled": True})
    assert 65536 + _rest(response) < size
    assert stage.server.server.services.media.open.of(_user_id(stage, "alice")) == []


def test_deleting_a_user_cuts_the_stream_they_have_open(
    stage: Stage, big: str, opened: list[http.client.HTTPConnection]
) -> None:
    response, size, _ = _open_stream(stage, big, opened)
    answer = stage.owner().request("DELETE", f"/api/users/{_user_id(stage, 'alice')}")
    assert answer.status == 204, answer.body
    assert 65536 + _rest(response) < size


def test_taking_the_library_away_cuts_the_stream_and_refuses_the_next_request(
    stage: Stage, big: str, opened: list[http.client.HTTPConnection]
) -> None:
    response, size, url = _open_stream(stage, big, opened)
    _patch(stage, "alice", {"grants": {"libraries": []}})
    assert 65536 + _rest(response) < size
    # The item is now hidden from her, so her grant answers as for an item that does not exist.
    assert stage.server.anonymous().get(url, headers={"Range": "bytes=0-0"}).status == 404


def test_a_change_that_still_allows_the_item_leaves_the_stream_alone(
    stage: Stage, big: str, opened: list[http.client.HTTPConnection]
) -> None:
    response, size, _ = _open_stream(stage, big, opened)
    _patch(stage, "alice", {"grants": {"max_bitrate_kbps": 900_000}})
    assert 65536 + _rest(response) == size


def test_the_very_next_request_after_disabling_is_refused(stage: Stage) -> None:
    member = stage.member()
    answer = member.post(f"/api/items/{stage.items['direct.mp4']}/playback", {})
    url = answer.json()["url"]
    anonymous = stage.server.anonymous()
    assert anonymous.get(url, headers={"Range": "bytes=0-0"}).status == 206
    _patch(stage, "alice", {"disabled": True})
    # No pause: the check cached for this grant is forgotten when the admin's change is saved.
    assert anonymous.get(url, headers={"Range": "bytes=0-0"}).status == 401


def test_disabling_a_user_ends_their_transcode_session_and_its_encoder(stage: Stage) -> None:
    member = stage.member()
    hls, session_id = start(stage, member)
    hls.segment(0)
    _patch(stage, "alice", {"disabled": True})
    sessions = stage.server.server.services.media.encoders.active()
    assert session_id not in {s.id for s in sessions}
    deadline = time.monotonic() + 5
    while ffmpeg_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ffmpeg_children() == []
    assert stage.server.anonymous().get(f"{hls.base}/{hls.segments[1]}").status in (401, 404)


def test_the_cut_stream_left_no_file_open(
    stage: Stage, big: str, opened: list[http.client.HTTPConnection]
) -> None:
    response, _, _ = _open_stream(stage, big, opened)
    _patch(stage, "alice", {"disabled": True})
    _rest(response)
    deadline = time.monotonic() + 5
    target = str(stage.root / "big" / "big.mkv")
    while time.monotonic() < deadline:
        fds = Path("/proc/self/fd")
        held = [p for p in fds.iterdir() if _points_to(p, target)]
        if not held:
            break
        time.sleep(0.05)
    assert held == []


def _points_to(link: Path, target: str) -> bool:
    try:
        return str(link.readlink()) == target
    except OSError:
        return False


def test_a_stream_sent_in_full_leaves_the_connection_ready_for_the_next_request(
    stage: Stage, opened: list[http.client.HTTPConnection]
) -> None:
    # Regression: once the handler sent the file itself, aiohttp's own prepare sent it a second time.
    item = stage.items["direct.mp4"]
    stage.member()
    grant = grant_for(stage, item)
    expected = (stage.root / "direct" / "direct.mp4").read_bytes()
    connection = http.client.HTTPConnection("127.0.0.1", stage.server.port, timeout=20)
    opened.append(connection)
    for _ in range(3):
        connection.request("GET", f"/api/items/{item}/stream?grant={grant}")
        response = connection.getresponse()
        assert response.status == 200
        assert response.read() == expected
    connection.request("GET", f"/api/items/{item}/stream?grant={grant}", headers={"Range": "bytes=0-9"})
    response = connection.getresponse()
    assert (response.status, response.read()) == (206, expected[:10])


def _wait_until_closed(stage: Stage) -> None:
    deadline = time.monotonic() + 5
    while len(stage.server.server.services.media.open) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(stage.server.server.services.media.open) == 0


def test_stream_limit_counts_a_direct_stream_being_sent(
    stage: Stage, big: str, opened: list[http.client.HTTPConnection]
) -> None:
    _, _, url = _open_stream(stage, big, opened)
    _patch(stage, "alice", {"grants": {"max_streams": 1}})
    member = stage.server.sign_in("alice")
    refused = member.post(f"/api/items/{stage.items['direct.mp4']}/playback", {})
    assert refused.status == 429, refused.body
    assert refused.header("Retry-After") is not None
    assert "1 stream at once" in refused.json()["message"]
    # A second Range request for the film already playing is the same stream.
    again = stage.server.anonymous().get(url, headers={"Range": "bytes=0-99"})
    assert again.status == 206
    for connection in opened:
        connection.close()  # the player stops
    _wait_until_closed(stage)
    assert member.post(f"/api/items/{stage.items['direct.mp4']}/playback", {}).status == 200


def test_grants_fetched_one_at_a_time_cannot_all_be_played_together(
    stage: Stage, big: str, opened: list[http.client.HTTPConnection]
) -> None:
    member = stage.member()
    _patch(stage, "alice", {"grants": {"max_streams": 1}})
    early = member.post(f"/api/items/{stage.items['direct.mp4']}/playback", {})
    assert early.status == 200
    _open_stream(stage, big, opened)
    refused = stage.server.anonymous().get(early.json()["url"], headers={"Range": "bytes=0-0"})
    assert refused.status == 429


def test_signing_out_everywhere_cuts_the_stream_a_session_opened(
    stage: Stage, big: str, opened: list[http.client.HTTPConnection]
) -> None:
    alice = stage.member()
    response, size, url = _open_stream(stage, big, opened)
    assert alice.post("/api/account/sessions/revoke-all", {}).status in (200, 204)
    assert 65536 + _rest(response) < size
    assert stage.server.anonymous().get(url, headers={"Range": "bytes=0-0"}).status == 401


def test_signing_out_one_other_session_leaves_the_stream_alone(
    stage: Stage, big: str, opened: list[http.client.HTTPConnection]
) -> None:
    stage.member()
    response, size, _ = _open_stream(stage, big, opened)
    other = stage.server.sign_in("alice")
    assert other.post("/api/auth/logout", {}).status in (200, 204)
    assert 65536 + _rest(response) == size
