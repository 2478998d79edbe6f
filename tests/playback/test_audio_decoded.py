"""Opus and AAC tracks for gapless play: the server decodes them (which drops the encoder's priming, Opus's
pre-skip and its end trim) and encodes the samples losslessly as FLAC in fragmented MP4, offered with the exact
length the probe read from the file. Being an encode, it is the transcode permission's to allow."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from tests.harness import Client
from tests.mediagen import ffmpeg
from tests.playback.conftest import Stage, set_user

PROFILE = {"profile": {"containers": ["ogg", "mp4"], "audio_codecs": ["opus", "aac"]}}
# Cut off a frame (Opus's 960 samples, AAC's 1,024), so the file's own statement of its length is all there is.
TRACKS = {
    "opus": ("01 Tide.opus", 48_000, 2 * 48_000 + 1_234, ("-c:a", "libopus", "-b:a", "96k")),
    "aac": ("02 Foam.m4a", 44_100, 2 * 44_100 + 567, ("-c:a", "aac", "-b:a", "128k")),
}


@pytest.fixture
def songs(stage: Stage, tmp_path: Path) -> dict[str, tuple[str, Path]]:
    folder = tmp_path / "music" / "Shore" / "Tides"
    folder.mkdir(parents=True)
    made: dict[str, Path] = {}
    for codec, (name, rate, samples, encoder) in TRACKS.items():
        made[codec] = folder / name
        ffmpeg(
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={rate}:duration=3", "-ac", "2",
            "-af", f"atrim=end_sample={samples}", *encoder, "-metadata", f"title={codec}", str(made[codec]),
        )  # fmt: skip
    services = stage.server.server.services
    library = services.libraries.add(system_actor("test"), "Music", "music", [str(tmp_path / "music")])
    stage.server.server.scanner.scan(library)
    return {
        codec: (services.catalogue.search(system_actor("test"), codec)[0].id, path)
        for codec, path in made.items()
    }


def _pcm(path: Path) -> bytes:
    """The file decoded by ffmpeg as 16-bit stereo: what the server hands its FLAC encoder."""
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "2", "-"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout


def _offer(client: Client, item: str) -> dict[str, object] | None:
    answer = client.post(f"/api/items/{item}/playback", PROFILE)
    assert answer.status == 200, answer.body
    remux = answer.json()["remux"]
    return None if remux is None else dict(remux)


@pytest.mark.parametrize("codec", list(TRACKS))
def test_a_lossy_track_is_offered_decoded_to_flac_of_its_exact_length(
    stage: Stage, songs: dict[str, tuple[str, Path]], tmp_path: Path, codec: str
) -> None:
    item, source = songs[codec]
    _name, rate, samples, _encoder = TRACKS[codec]
    remux = _offer(stage.owner(), item)
    assert remux is not None
    # The length the file states past its priming and padding, to the sample (not the probe's duration, which
    # counts Opus's pre-skip, nor the edit list's milliseconds).
    assert (remux["content_type"], remux["samples"], remux["sample_rate"]) == (
        'audio/mp4; codecs="flac"',
        samples,
        rate,
    ), remux
    answer = stage.server.anonymous().get(str(remux["url"]))
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"] == "audio/mp4" and answer.body[4:8] == b"ftyp"
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(answer.body)
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_streams", str(copy)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    (stream,) = json.loads(probed.stdout)["streams"]
    assert (stream["codec_name"], int(stream["sample_rate"])) == ("flac", rate), stream
    # The copy starts on the track's first sample, not on the encoder's priming, and holds the decoded samples
    # unchanged: the first `samples` of it are ffmpeg's own decode of the file, bit for bit.
    decoded, original = _pcm(copy), _pcm(source)
    assert len(decoded) >= samples * 4, (len(decoded), samples)
    assert decoded[: samples * 4] == original[: samples * 4]


def test_a_viewer_who_may_not_transcode_is_neither_offered_nor_sent_the_decoded_copy(
    stage: Stage, songs: dict[str, tuple[str, Path]]
) -> None:
    member = stage.member()
    item, _source = songs["opus"]
    url = _offer(member, item)
    assert url is not None
    set_user(stage, "alice", may_transcode=False)
    stage.server.server.services.media.forget()
    assert _offer(member, item) is None
    refused = stage.server.anonymous().get(str(url["url"]))
    assert refused.status == 403, refused.body
    assert stage.server.server.services.media.encoders.audio_encoders() == []


def test_the_decoded_copy_must_fit_the_viewers_bitrate_cap_at_its_pcm_weight(
    stage: Stage, songs: dict[str, tuple[str, Path]]
) -> None:
    member = stage.member()
    item, _source = songs["aac"]
    offered = _offer(member, item)
    assert offered is not None
    # The file is 128 kbit/s, but its FLAC copy may weigh up to 16-bit stereo PCM: 1,411 kbit/s at 44.1 kHz.
    set_user(stage, "alice", max_bitrate_kbps=1000)
    stage.server.server.services.media.forget()
    refused = stage.server.anonymous().get(str(offered["url"]))
    assert refused.status == 403, refused.body
    set_user(stage, "alice", max_bitrate_kbps=1500)
    stage.server.server.services.media.forget()
    assert stage.server.anonymous().get(str(offered["url"])).status == 200
