"""HLS sessions on a real server: playlists, on-demand segments, seeks, limits, and cleanup."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.services.transcoding import SEGMENT_SECONDS
from tests.harness import Client
from tests.playback.conftest import Stage, set_user
from tests.playback.media import FFMPEG

FFPROBE = FFMPEG.replace("ffmpeg", "ffprobe")


class Hls:
    """What a player does with a playback answer: the master, then the media playlist, then segments."""

    def __init__(self, client: Client, url: str) -> None:
        self.client = client
        self.base = url.rsplit("/", 1)[0]
        master = client.get(url)
        assert master.status == 200, master.body
        self.master = master.body.decode()
        media = client.get(f"{self.base}/{self.master.strip().splitlines()[-1]}")
        assert media.status == 200
        self.media = media.body.decode()
        self.segments = [line for line in self.media.splitlines() if ".ts?" in line]

    def segment(self, n: int) -> bytes:
        answer = self.client.get(f"{self.base}/{self.segments[n]}")
        assert answer.status == 200, answer.body
        return answer.body


def start(stage: Stage, client: Client | None = None) -> tuple[Hls, str]:
    who = client or stage.owner()
    answer = who.post(f"/api/items/{stage.items['hevc.mkv']}/playback", {})
    assert answer.status == 200, answer.body
    assert answer.json()["method"] == "transcode"
    return Hls(stage.server.anonymous(), answer.json()["url"]), answer.json()["session_id"]


def ffmpeg_children() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() == str(os.getpid()) and fields.get("Name", "").strip() == "ffmpeg":
            found.append(int(entry.name))
    return found


def probe(data: bytes, tmp: Path) -> dict[str, object]:
    path = tmp / "segment.ts"
    path.write_bytes(data)
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    return dict(json.loads(out))


def test_playlists_cover_the_whole_title(stage: Stage) -> None:
    hls, _ = start(stage)
    assert "#EXT-X-STREAM-INF" in hls.master
    assert "#EXT-X-ENDLIST" in hls.media
    assert len(hls.segments) == 12 // SEGMENT_SECONDS


def test_first_segment_is_h264_aac_mpegts(stage: Stage, tmp_path: Path) -> None:
    hls, _ = start(stage)
    data = hls.segment(0)
    assert data[0] == 0x47
    codecs = {s["codec_name"] for s in probe(data, tmp_path)["streams"]}  # type: ignore[union-attr]
    assert codecs == {"h264", "aac"}


def test_seek_starts_the_encoder_at_that_segment(stage: Stage, tmp_path: Path) -> None:
    hls, _session_id = start(stage)
    data = hls.segment(2)
    (session,) = stage.server.server.services.media.encoders.active()
    last = session.argv_history[-1]
    assert last[last.index("-ss") + 1] == str(2 * SEGMENT_SECONDS)
    assert last[last.index("-start_number") + 1] == "2"
    start_time = float(probe(data, tmp_path)["format"]["start_time"])  # type: ignore[index]
    assert 2 * SEGMENT_SECONDS - 0.5 <= start_time <= 2 * SEGMENT_SECONDS + 2.0


def test_seek_back_restarts_the_encoder_from_there(stage: Stage, tmp_path: Path) -> None:
    hls, _session_id = start(stage)
    hls.segment(2)
    data = hls.segment(1)
    (session,) = stage.server.server.services.media.encoders.active()
    assert len(session.argv_history) == 2
    last = session.argv_history[-1]
    assert last[last.index("-start_number") + 1] == "1"
    start_time = float(probe(data, tmp_path)["format"]["start_time"])  # type: ignore[index]
    assert SEGMENT_SECONDS - 0.5 <= start_time <= SEGMENT_SECONDS + 2.0


def test_segments_need_the_sessions_grant(stage: Stage) -> None:
    hls, _ = start(stage)
    other, _ = start(stage)
    grant = other.segments[0].split("grant=")[1]
    stolen = hls.segments[0].split("?")[0] + f"?grant={grant}"
    assert stage.server.anonymous().get(f"{hls.base}/{stolen}").status == 401
    assert stage.server.anonymous().get(f"{hls.base}/0.ts").status in (401, 422)


def test_ending_a_session_kills_its_encoder(stage: Stage) -> None:
    owner = stage.owner()
    hls, session_id = start(stage, owner)
    hls.segment(0)
    assert owner.request("DELETE", f"/api/hls/{session_id}").status == 204
    assert ffmpeg_children() == []
    assert stage.server.anonymous().get(f"{hls.base}/{hls.segments[1]}").status == 404


def test_global_transcode_limit_answers_503_with_retry_after(stage: Stage) -> None:
    services = stage.server.server.services
    services.settings.apply(system_actor("test"), {"max_transcodes": 1})
    start(stage)
    answer = stage.owner().post(f"/api/items/{stage.items['hevc.mkv']}/playback", {})
    assert answer.status == 503
    assert answer.header("Retry-After") is not None


def test_per_user_stream_limit_answers_429_with_retry_after(stage: Stage) -> None:
    member = stage.member()
    set_user(stage, "alice", max_streams=1)
    start(stage, member)
    answer = member.post(f"/api/items/{stage.items['hevc.mkv']}/playback", {})
    assert answer.status == 429
    assert answer.header("Retry-After") is not None


def test_user_bitrate_cap_forces_a_lower_transcode(stage: Stage) -> None:
    member = stage.member()
    set_user(stage, "alice", max_bitrate_kbps=500)
    answer = member.post(f"/api/items/{stage.items['direct.mp4']}/playback", {})
    assert answer.json()["method"] == "transcode"
    assert any("cap" in reason for reason in answer.json()["reasons"])


def test_transcode_permission_is_enforced(stage: Stage) -> None:
    member = stage.member()
    set_user(stage, "alice", may_transcode=False)
    assert member.post(f"/api/items/{stage.items['hevc.mkv']}/playback", {}).status == 403


def test_abandoned_sessions_are_ended_and_leave_nothing_behind(stage: Stage) -> None:
    transcoding = stage.server.server.services.media.encoders
    stage.server.server.services.settings.apply(system_actor("test"), {"max_transcodes": 64})
    transcoding.idle_seconds = 1.0
    owner = stage.owner()
    for _ in range(20):
        hls, _ = start(stage, owner)
        hls.client.get(f"{hls.base}/{hls.segments[0]}")
    deadline = time.monotonic() + 20
    while transcoding.active() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert transcoding.active() == []
    assert ffmpeg_children() == []
    assert list((stage.server.data_dir / "cache" / "transcode").iterdir()) == []


def _open_fds() -> list[str]:
    """What this process has open, less the database: the connection pool may open another connection (two
    descriptors each) on a thread it has not served before, which is growth with a bound, not a leak."""
    held = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the descriptor listing the folder, or one closed meanwhile
        if not Path(target).name.startswith("reelhouse.db"):
            held.append(target)
    return held


def test_aborted_streams_leave_no_open_files(stage: Stage) -> None:
    big = stage.root / "direct" / "direct.mp4"
    with open(big, "ab") as handle:
        handle.write(os.urandom(8 * 1024 * 1024))
    url = stage.owner().post(f"/api/items/{stage.items['direct.mp4']}/playback", {}).json()["url"]
    Client(stage.server.port).get(url, headers={"Range": "bytes=0-0"})
    before = _open_fds()
    for i in range(200):
        with socket.create_connection(("127.0.0.1", stage.server.port), timeout=10) as sock:
            start_at = (i * 7919) % 1_000_000
            sock.sendall(
                f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes={start_at}-\r\n\r\n".encode()
            )
            sock.recv(4096)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        held = _open_fds()
        if len(held) <= len(before) + 2 and held.count(str(big)) <= before.count(str(big)):
            break
        time.sleep(0.1)
    assert len(_open_fds()) <= len(before) + 2, (before, _open_fds())
    # Another test's transcode session may still hold the file; none of these requests does.
    assert _open_fds().count(str(big)) <= before.count(str(big))
    assert ffmpeg_children() == []


def test_cache_is_trimmed_to_its_cap(stage: Stage) -> None:
    transcoding = stage.server.server.services.media.encoders
    hls, _ = start(stage)
    for n in range(3):
        hls.segment(n)
    stage.server.server.services.settings.apply(system_actor("test"), {"transcode_cache_mb": 64})
    (session,) = transcoding.active()
    filler = session.folder / "seg99.ts"
    filler.write_bytes(b"\0" * (65 * 1024 * 1024))
    os.utime(filler, (1, 1))
    transcoding.reap()
    assert not filler.exists()


def test_a_session_disposed_of_while_the_cache_is_trimmed_is_skipped(
    stage: Stage, monkeypatch: pytest.MonkeyPatch
) -> None:
    transcoding = stage.server.server.services.media.encoders
    hls, _ = start(stage)
    hls.segment(0)
    (session,) = transcoding.active()
    listing = os.scandir

    def racing(path: str | int) -> Iterator[os.DirEntry[str]]:
        # The reaper lists the sessions, then one is disposed of before its folder is read.
        if isinstance(path, str) and Path(path) == session.folder:
            shutil.rmtree(session.folder)
        return listing(path)

    monkeypatch.setattr("reelhouse.services.transcode_cache.os.scandir", racing)
    transcoding.reap()
    assert not session.folder.exists()


def test_text_subtitles_are_webvtt_renditions_of_the_session(stage: Stage) -> None:
    owner = stage.owner()
    answer = owner.post(
        f"/api/items/{stage.items['direct.mp4']}/playback", {"profile": {"max_bitrate_kbps": 200}}
    )
    assert answer.json()["method"] == "transcode"
    client = stage.server.anonymous()
    base = answer.json()["url"].rsplit("/", 1)[0]
    master = client.get(answer.json()["url"]).body.decode()
    media_line = next(line for line in master.splitlines() if line.startswith("#EXT-X-MEDIA:TYPE=SUBTITLES"))
    assert 'LANGUAGE="en"' in media_line
    uri = media_line.split('URI="')[1].rstrip('"')
    playlist = client.get(f"{base}/{uri}").body.decode()
    vtt_line = next(line for line in playlist.splitlines() if ".vtt?" in line)
    vtt = client.get(f"{base}/subtitles/{vtt_line}")
    assert vtt.status == 200
    text = vtt.body.decode()
    assert text.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n")
    assert "Hello there &amp; welcome" in text
