"""A FLAC track copied into fragmented MP4 for gapless play: offered by the playback decision with its exact
length, sent through the media access decision with the stream permission, counted as an encoder, and cut or
refused like any audio stream when the viewer's access changes."""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from tests.harness import Client
from tests.playback import media
from tests.playback.conftest import Stage, set_user

PROFILE = {"profile": {"containers": ["flac"], "audio_codecs": ["flac"]}}


@pytest.fixture
def song(stage: Stage, tmp_path: Path) -> str:
    """A ten-minute FLAC track, far more than a socket holds, scanned into a music library."""
    folder = tmp_path / "music" / "Artist" / "Album"
    media.flac_track(folder / "01 - Long.flac", seconds=600)
    services = stage.server.server.services
    library = services.libraries.add(system_actor("test"), "Music", "music", [str(tmp_path / "music")])
    stage.server.server.scanner.scan(library)
    return services.catalogue.search(system_actor("test"), "Long")[0].id


@pytest.fixture
def held() -> Iterator[list[http.client.HTTPConnection]]:
    connections: list[http.client.HTTPConnection] = []
    yield connections
    for connection in connections:
        connection.close()


def _remux(client: Client, item: str) -> dict[str, object]:
    answer = client.post(f"/api/items/{item}/playback", PROFILE)
    assert answer.status == 200, answer.body
    remux = answer.json()["remux"]
    assert remux is not None, answer.json()
    return dict(remux)


def _encoders(stage: Stage) -> int:
    return len(stage.server.server.services.media.encoders.audio_encoders())


def _until(check: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def _open(stage: Stage, url: str, held: list[http.client.HTTPConnection]) -> http.client.HTTPResponse:
    """A player that reads the first 64 KiB of the copy and then waits."""
    connection = http.client.HTTPConnection("127.0.0.1", stage.server.port, timeout=20)
    held.append(connection)
    connection.request("GET", url)
    response = connection.getresponse()
    assert response.status == 200, response.read()
    assert len(response.read(65536)) == 65536
    return response


def test_a_flac_track_is_offered_as_an_mp4_copy_of_its_exact_length(
    stage: Stage, song: str, tmp_path: Path
) -> None:
    member = stage.member()
    # A member who may not transcode may still have the copy: nothing is encoded, so the stream permission does.
    set_user(stage, "alice", may_transcode=False)
    remux = _remux(member, song)
    assert remux["content_type"] == 'audio/mp4; codecs="flac"'
    assert (remux["samples"], remux["sample_rate"]) == (600 * 44_100, 44_100), remux
    answer = stage.server.anonymous().get(str(remux["url"]))
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"] == "audio/mp4"
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(answer.body)
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_streams", str(copy)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    (stream,) = json.loads(probed.stdout)["streams"]
    # The samples themselves, copied: the same codec and the same count.
    assert (stream["codec_name"], stream["duration_ts"]) == ("flac", 600 * 44_100), stream
    # An MP4 (which a MediaSource takes), not the FLAC file's own bytes.
    assert answer.body[4:8] == b"ftyp"


def test_a_viewer_without_the_library_gets_the_404_of_an_unknown_item(stage: Stage, song: str) -> None:
    member = stage.member()
    url = str(_remux(member, song)["url"])
    set_user(stage, "alice", libraries=[])
    stage.server.server.services.media.forget()
    hidden = stage.server.anonymous().get(url)
    grant = url.split("grant=", 1)[1].split("&", 1)[0]
    user_id, session = _grant_owner(stage, grant)
    unknown_item = "0" * 32
    forged = stage.server.server.services.media.grants.issue(unknown_item, user_id, "remux:fmp4", session)
    unknown = stage.server.anonymous().get(f"/api/items/{unknown_item}/audio?grant={forged}&remux=fmp4")
    assert unknown.status == 404, unknown.body
    assert (hidden.status, hidden.body) == (404, unknown.body), hidden.body
    # And a playback request for it answers the same as for the unknown item.
    assert member.post(f"/api/items/{song}/playback", PROFILE).status == 404


def _grant_owner(stage: Stage, grant: str) -> tuple[str, str]:
    from reelhouse.services.media_grants import MediaGrants

    grants: MediaGrants = stage.server.server.services.media.grants
    item = grants.item_of(grant)
    checked = grants.verify(grant, item, "remux:fmp4")
    return checked.user_id, checked.session_id


def test_the_copy_counts_as_an_encoder_and_is_cut_when_the_library_is_taken_away(
    stage: Stage, song: str, held: list[http.client.HTTPConnection]
) -> None:
    stage.server.server.services.settings.apply(system_actor("test"), {"max_transcodes": 1})
    member = stage.member()
    url = str(_remux(member, song)["url"])
    response = _open(stage, url, held)
    assert _until(lambda: _encoders(stage) == 1)
    # The one encoder slot is taken: a video transcode is refused meanwhile.
    assert stage.owner().post(f"/api/items/{stage.items['hevc.mkv']}/playback", {}).status == 503
    owner = stage.owner()
    alice = next(u["id"] for u in owner.get("/api/users").json() if u["username"] == "alice")
    answer = owner.request("PATCH", f"/api/users/{alice}", {"grants": {"libraries": []}})
    assert answer.status == 200, answer.body
    assert _until(lambda: _encoders(stage) == 0), "the copy outlived the viewer's access"
    received = 0
    try:
        while chunk := response.read1(1 << 20):
            received += len(chunk)
    except (ConnectionError, http.client.IncompleteRead):
        pass
    assert stage.server.anonymous().get(url).status == 404
