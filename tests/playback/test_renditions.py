"""Derived media: subtitles as WebVTT, photos upright without GPS, resized artwork, video frames, music."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from reelhouse.domain.access import system_actor
from tests.playback.conftest import Stage, set_user


def test_sidecar_srt_is_served_as_webvtt(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    (sub,) = owner.post(f"/api/items/{item}/playback", {}).json()["subtitles"]
    assert sub["language"] == "en"
    answer = owner.get(sub["url"])
    assert answer.status == 200
    assert answer.header(
        "Content-Type",
    ) is not None and answer.header("Content-Type").startswith("text/vtt")
    text = answer.body.decode()
    assert text.startswith("WEBVTT")
    assert "00:00:01.000 --> 00:00:02.500" in text
    assert "Hello there &amp; welcome" in text


def test_subtitle_of_a_hidden_item_answers_404(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    url = owner.post(f"/api/items/{item}/playback", {}).json()["subtitles"][0]["url"]
    alice = stage.member()
    set_user(stage, "alice", libraries=[])
    assert alice.get(url).status == 404


def test_ass_dialogue_converts_to_cues() -> None:
    from reelhouse.media.subtitles import ass_to_vtt

    script = (
        "[Script Info]\nTitle: x\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, "
        "MarginV, Effect, Text\nDialogue: 0,0:00:01.50,0:00:03.00,Default,,0,0,0,,{\\i1}Hi{\\i0}, you\\Nthere\n"
    )
    assert ass_to_vtt(script) == "WEBVTT\n\n00:00:01.500 --> 00:00:03.000\nHi, you\nthere\n\n"


def test_video_without_poster_gets_a_grabbed_frame_resized(stage: Stage) -> None:
    owner = stage.owner()
    answer = owner.get(f"/api/items/{stage.items['direct.mp4']}/artwork/poster?width=160")
    assert answer.status == 200
    with Image.open(io.BytesIO(answer.body)) as image:
        assert image.format == "JPEG"
        assert image.width <= 160


def test_artwork_has_an_etag_and_answers_304(stage: Stage) -> None:
    owner = stage.owner()
    url = f"/api/items/{stage.items['direct.mp4']}/artwork/poster?width=320"
    etag = owner.get(url).header("ETag")
    assert etag is not None
    assert owner.get(url, headers={"If-None-Match": etag}).status == 304


def test_artwork_width_outside_the_allowlist_is_refused(stage: Stage) -> None:
    owner = stage.owner()
    assert owner.get(f"/api/items/{stage.items['direct.mp4']}/artwork/poster?width=333").status == 422


def _photo_library(stage: Stage, tmp_path: Path) -> str:
    folder = tmp_path / "photos"
    folder.mkdir()
    image = Image.new("RGB", (400, 200), (200, 30, 30))
    exif = Image.Exif()
    exif[274] = 6  # rotate 90° clockwise to display
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    image.save(folder / "holiday.jpg", "JPEG", exif=exif)
    services = stage.server.server.services
    library = services.libraries.add(system_actor("test"), "Photos", "photos", [str(folder)])
    stage.server.server.scanner.scan(library)
    return services.catalogue.search(system_actor("test"), "holiday")[0].id


def _gps_of(body: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(body)) as image:
        return dict(image.getexif().get_ifd(0x8825))


def test_photo_is_upright_and_without_gps_for_members(stage: Stage, tmp_path: Path) -> None:
    item = _photo_library(stage, tmp_path)
    answer = stage.member().get(f"/api/items/{item}/photo?width=160")
    assert answer.status == 200
    with Image.open(io.BytesIO(answer.body)) as image:
        assert image.height > image.width  # the EXIF rotation was applied to the pixels
        assert 274 not in image.getexif()
    assert _gps_of(answer.body) == {}


def test_photo_keeps_gps_for_admins(stage: Stage, tmp_path: Path) -> None:
    item = _photo_library(stage, tmp_path)
    answer = stage.owner().get(f"/api/items/{item}/photo?width=320")
    assert _gps_of(answer.body) != {}


def test_photo_original_needs_download_permission(stage: Stage, tmp_path: Path) -> None:
    item = _photo_library(stage, tmp_path)
    member = stage.member()
    assert member.get(f"/api/items/{item}/download").status == 403
    set_user(stage, "alice", may_download=True, may_see_location=True)
    answer = member.get(f"/api/items/{item}/download")
    assert answer.status == 200
    assert answer.body == (tmp_path / "photos" / "holiday.jpg").read_bytes()


def test_flac_track_streams_as_transcoded_audio(stage: Stage, tmp_path: Path) -> None:
    from tests.playback.media import flac_track

    folder = tmp_path / "music" / "Artist" / "Album"
    flac_track(folder / "01 Song.flac")
    services = stage.server.server.services
    library = services.libraries.add(system_actor("test"), "Music", "music", [str(tmp_path / "music")])
    stage.server.server.scanner.scan(library)
    track = next(
        r for r in services.catalogue.search(system_actor("test"), "song") if r.kind.value == "track"
    )
    owner = stage.owner()
    answer = owner.post(f"/api/items/{track.id}/playback", {"profile": {"audio_codecs": ["opus", "aac"]}})
    assert answer.json()["method"] == "transcode"
    got = stage.server.anonymous().get(answer.json()["url"])
    assert got.status == 200
    assert got.header("Content-Type") == "audio/aac"
    assert len(got.body) > 10_000


def test_a_photo_that_cannot_be_rendered_gets_a_placeholder_and_a_scan_error(
    stage: Stage, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    whole = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 200, 30)).save(whole, "JPEG", quality=90)
    # The header and EXIF read fine (the scan takes it in); the picture itself is cut short.
    (folder / "cut.jpg").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 3])
    services = stage.server.server.services
    library = services.libraries.add(system_actor("test"), "Broken", "photos", [str(folder)])
    stage.server.server.scanner.scan(library)
    item = services.catalogue.search(system_actor("test"), "cut")[0].id
    member = stage.member()
    for path in (f"/api/items/{item}/photo?width=320", f"/api/items/{item}/photo?width=1080"):
        answer = member.get(path)
        assert answer.status == 200, answer.body[:200]
        assert answer.header("Content-Type") == "image/png"
        with Image.open(io.BytesIO(answer.body)) as image:
            image.load()
    report = stage.owner().get(f"/api/libraries/{library.id}/scan").json()
    assert [e["path"] for e in report["errors"]] == [str(folder / "cut.jpg")]
    # Members learn nothing of it.
    assert "cut.jpg" not in member.get(f"/api/libraries/{library.id}/scan").body.decode()
