"""Seek preview thumbnails: made in the background after a scan from the file the media access decision opens,
cached by that file's identity, served through the decision, never made for a library its owner excluded."""

from __future__ import annotations

import dataclasses
import io
import os
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from reelhouse.domain.access import system_actor
from reelhouse.errors import InvalidInput
from reelhouse.media.ffmpeg import Input as ffmpeg_input
from reelhouse.media.ffmpeg import SpriteJob, sprite_argv
from reelhouse.services.media_files import OpenedFile
from reelhouse.services.transcoding import TranscodeService
from tests.harness import Client
from tests.playback import media
from tests.playback.conftest import Stage, set_user

REMOTE = "127.0.0.9"


def _scan(stage: Stage, library_id: str) -> None:
    """A scan through the server's scan service, as the schedule, the watcher and the API run one; returns once
    the scan thread (which queues the previews when it ends) is gone."""
    services = stage.server.server.services
    library = services.libraries.get(system_actor("test"), library_id)
    services.scanning.start_for_system(library)
    deadline = time.monotonic() + 60
    while any(t.name == f"scan-{library_id}" and t.is_alive() for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the scan did not end"
        time.sleep(0.05)


def _settle(stage: Stage) -> None:
    previews = stage.server.server.services.seek_previews
    assert previews is not None
    assert previews.wait_idle(120), "the seek preview queue did not empty"


def _manifests(stage: Stage) -> list[Path]:
    return sorted((stage.server.data_dir / "cache" / "previews").glob("*/*/manifest.json"))


def test_a_scan_makes_seek_previews_served_by_the_decision(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    # The fixture scanned without the scan service: nothing is made yet, and that is a 404, not a 500.
    assert owner.get(f"/api/items/{item}/seek-previews").status == 404
    _scan(stage, stage.library_id)
    _settle(stage)
    answer = owner.get(f"/api/items/{item}/seek-previews")
    assert answer.status == 200, answer.body
    made = answer.json()
    # An 8-second 320x240 film: a frame a second (a short video still gets about ten), 160x120 tiles.
    assert (made["interval"], made["tile_width"], made["tile_height"]) == (1, 160, 120)
    assert (made["columns"], made["rows"], made["count"]) == (10, 10, 8)
    assert made["sheets"] == [f"/api/items/{item}/seek-previews/0.jpg"]
    sheet = owner.get(made["sheets"][0])
    assert sheet.status == 200
    assert sheet.header("Content-Type") == "image/jpeg"
    with Image.open(io.BytesIO(sheet.body)) as image:
        assert image.format == "JPEG"
        assert image.size == (1600, 1200)
        # The second tile holds a frame of the film, not the tile filter's black padding.
        assert max(image.crop((160, 0, 320, 120)).convert("L").getextrema()) > 40
    assert owner.get(f"/api/items/{item}/seek-previews/1.jpg").status == 404
    # Both films of the library were queued; a second scan makes nothing again.
    previews = stage.server.server.services.seek_previews
    assert previews is not None and previews.made == 2
    _scan(stage, stage.library_id)
    _settle(stage)
    assert previews.made == 2 and len(_manifests(stage)) == 2


def test_a_viewer_without_the_library_gets_the_unknown_item_404(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    _scan(stage, stage.library_id)
    _settle(stage)
    sheet_url = owner.get(f"/api/items/{item}/seek-previews").json()["sheets"][0]
    alice = stage.member()
    assert alice.get(f"/api/items/{item}/seek-previews").status == 200
    set_user(stage, "alice", libraries=[])
    unknown = alice.get("/api/items/0123456789abcdef0123456789abcdef/seek-previews")
    assert unknown.status == 404
    for url in (f"/api/items/{item}/seek-previews", sheet_url):
        answer = alice.get(url)
        assert (answer.status, answer.json()) == (404, unknown.json()), url


def test_a_library_its_owner_excludes_gets_none_until_turned_on(stage: Stage, tmp_path: Path) -> None:
    owner = stage.owner()
    folder = tmp_path / "clips"
    media.h264_mp4(folder / "Clip" / "Clip.mp4", seconds=3)
    created = owner.post(
        "/api/libraries",
        {"name": "Clips", "kind": "movies", "paths": [str(folder)], "seek_previews": False},
    )
    assert created.status == 201, created.body
    assert created.json()["seek_previews"] is False
    library_id = created.json()["id"]
    _scan(stage, library_id)
    _settle(stage)
    services = stage.server.server.services
    (clip,) = services.catalogue.search(system_actor("test"), "Clip")
    assert owner.get(f"/api/items/{clip.id}/seek-previews").status == 404
    assert _manifests(stage) == []
    # Neither the queue nor the worker takes it, each on its own.
    previews = services.seek_previews
    assert previews is not None
    assert previews.queue_library(library_id) == 0
    assert previews.make(clip.id) is False
    assert _manifests(stage) == []
    # A music library is off by default; a movie library on.
    (tmp_path / "tunes").mkdir()
    music = owner.post(
        "/api/libraries", {"name": "Tunes", "kind": "music", "paths": [str(tmp_path / "tunes")]}
    )
    assert (music.status, music.json()["seek_previews"]) == (201, False)
    assert owner.get(f"/api/libraries/{stage.library_id}").json()["seek_previews"] is True
    # Members may not change it; the owner turning it on queues what the last scan found.
    alice = stage.member()
    assert alice.request("PATCH", f"/api/libraries/{library_id}", body={"seek_previews": True}).status == 403
    turned = owner.request("PATCH", f"/api/libraries/{library_id}", body={"seek_previews": True})
    assert (turned.status, turned.json()["seek_previews"]) == (200, True)
    _settle(stage)
    assert owner.get(f"/api/items/{clip.id}/seek-previews").status == 200
    # Turned off again, what was made is no longer served.
    assert owner.request("PATCH", f"/api/libraries/{library_id}", body={"seek_previews": False}).status == 200
    assert owner.get(f"/api/items/{clip.id}/seek-previews").status == 404
    assert owner.get(f"/api/items/{clip.id}/seek-previews/0.jpg").status == 404


def test_a_file_replaced_under_the_same_name_gets_new_sheets(stage: Stage, tmp_path: Path) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    _scan(stage, stage.library_id)
    _settle(stage)
    before = owner.get(f"/api/items/{item}/seek-previews").json()
    assert before["tile_height"] == 120
    # The same name, another picture: a 16:9 film whose tiles are 160x90.
    wide = media.h264_mp4(tmp_path / "wide.mp4", seconds=6, size="320x180")
    target = stage.root / "direct" / "direct.mp4"
    target.write_bytes(wide.read_bytes())
    # The old sheets are not served for the new file while it waits for its scan.
    assert owner.get(f"/api/items/{item}/seek-previews").status == 404
    _scan(stage, stage.library_id)
    _settle(stage)
    after = owner.get(f"/api/items/{item}/seek-previews")
    assert after.status == 200, after.body
    assert (after.json()["tile_height"], after.json()["count"]) == (90, 6)
    with Image.open(io.BytesIO(owner.get(after.json()["sheets"][0]).body)) as image:
        assert image.size == (1600, 900)
    # The old file's sheets are gone: one set per video (the other film's and this one's).
    assert len(_manifests(stage)) == 2


def test_a_corrupt_video_is_skipped_and_reported(stage: Stage) -> None:
    services = stage.server.server.services
    previews = services.seek_previews
    assert previews is not None
    item = stage.items["hevc.mkv"]
    target = stage.root / "hevc" / "hevc.mkv"
    # Same size and time as scanned, so the decision opens it, but the frames are gone.
    stat = target.stat()
    with target.open("r+b") as f:
        f.seek(4096)
        f.write(b"\0" * (stat.st_size - 4096))
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert previews.make(item) is False
    report = services.scanning.state_of(stage.library_id).last_report
    assert report is not None and any("Seek previews" in e.reason for e in report.errors)
    assert stage.owner().get(f"/api/items/{item}/seek-previews").status == 404


def test_previews_leave_an_encoder_slot_for_viewers(tmp_path: Path, masters: Path) -> None:
    """With two encoders allowed and one viewer's encode running, a preview waits: the second slot stays free
    for another viewer until the first encode ends."""
    encoders = TranscodeService(tmp_path / "cache", lambda name: {"max_transcodes": 2}.get(name, 2048))
    film = masters / "direct.mp4"

    def opened() -> OpenedFile:
        st = film.stat()
        return OpenedFile(os.open(film, os.O_RDONLY), str(film), st.st_size, st.st_mtime_ns)

    with opened() as source:
        playing = encoders.audio("u", "i", "grant", source, 1, "opus", 64)
    out = tmp_path / "sheets"
    out.mkdir()
    with opened() as source:
        job = SpriteJob(source.ffmpeg_input(), out, 1, 160, 120, 10, 10)
        worker = threading.Thread(target=encoders.sprites, args=(job,))
        worker.start()
        time.sleep(1.0)
        assert worker.is_alive() and not list(out.glob("sheet*.jpg"))
        encoders.stop(playing)
        worker.join(30)
    assert not worker.is_alive() and list(out.glob("sheet*.jpg"))
    encoders.close()


@pytest.mark.parametrize(
    "field", ["interval", "width", "height", "columns", "rows"], ids=lambda name: f"smuggled-{name}"
)
@pytest.mark.parametrize("value", ["10,drawtext", "1 -y", True, 0, 10**6, 1.5])
def test_sprite_layout_takes_only_bounded_integers(tmp_path: Path, field: str, value: object) -> None:
    """The sheets' filter chain is built from numbers alone: no value can add a filter or an option."""
    job = SpriteJob(ffmpeg_input(3), tmp_path, 10, 160, 90, 10, 10)
    assert "fps=1/10:round=up,scale=160:90,tile=10x10" in sprite_argv(job)
    with pytest.raises(InvalidInput):
        sprite_argv(dataclasses.replace(job, **{field: value}))


def test_from_outside_previews_follow_the_zone_rules(tls_stage: Stage) -> None:
    """A remote peer gets nothing while remote access is off, and a member who may not connect remotely gets
    a refusal from outside, while the same member at home sees the previews."""
    stage = tls_stage
    previews = stage.server.server.services.seek_previews
    assert previews is not None
    item = stage.items["direct.mp4"]
    assert previews.make(item)
    stage.member()
    token = stage.server.sign_in("alice").token
    home = Client(stage.server.port, token=token)
    outside = stage.server.over_tls(Client(stage.server.port, token=token, source=REMOTE))
    urls = (f"/api/items/{item}/seek-previews", f"/api/items/{item}/seek-previews/0.jpg")

    def zones(remote_access: bool) -> None:
        # Home is 127.0.0.1 alone; 127.0.0.9 is outside.
        stage.server.server.services.settings.apply(
            system_actor("test"),
            {
                "lan_networks": ["127.0.0.1/32"],
                "remote_access": remote_access,
                "secure_connections": "preferred",
            },
        )

    zones(remote_access=False)
    assert [home.get(url).status for url in urls] == [200, 200]
    for url in urls:
        # Remote access off: the gate cuts the connection before any route, so not even a status leaves.
        with pytest.raises(OSError):
            outside.get(url)
    zones(remote_access=True)
    assert [outside.get(url).status for url in urls] == [200, 200]
    set_user(stage, "alice", may_connect_remotely=False)
    assert [home.get(url).status for url in urls] == [200, 200]
    assert [outside.get(url).status for url in urls] == [403, 403]


def _old_set(root: Path, name: str, size: int, age: float) -> Path:
    """A set of sheets made ``age`` seconds ago, of ``size`` bytes, as an earlier run left it."""
    folder = root / name[:2] / name
    folder.mkdir(parents=True)
    (folder / "sheet0.jpg").write_bytes(os.urandom(size))
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    then = time.time() - age
    for path in folder.iterdir():
        os.utime(path, (then, then))
    return folder


def test_the_cache_keeps_to_its_cap_oldest_first_and_a_sheet_being_sent_still_reads(
    stage: Stage, tmp_path: Path
) -> None:
    services = stage.server.server.services
    previews = services.seek_previews
    assert previews is not None
    _scan(stage, stage.library_id)
    _settle(stage)
    # A viewer's request has opened the other film's first sheet and is sending it.
    other = stage.items["hevc.mkv"]
    sending = previews.sheet(system_actor("test"), other, 0, None)
    sent = Path(sending.path).read_bytes()
    # That film's set is the oldest; two sets of 700 KiB from earlier runs, one older than the other.
    (other_manifest,) = [m for m in _manifests(stage) if Path(sending.path).parent == m.parent]
    then = time.time() - 5000
    os.utime(other_manifest, (then, then))
    root = stage.server.data_dir / "cache" / "previews"
    older = _old_set(root, "a" * 64, 700 * 1024, 3000)
    newer = _old_set(root, "b" * 64, 700 * 1024, 100)
    services.settings.apply(system_actor("test"), {"seek_previews_cache_mb": 1})
    # A file replaced under its name gets a new set, which takes the cache past one MiB.
    wide = media.h264_mp4(tmp_path / "wide.mp4", seconds=6, size="320x180")
    (stage.root / "direct" / "direct.mp4").write_bytes(wide.read_bytes())
    _scan(stage, stage.library_id)
    _settle(stage)
    # The oldest sets went, whole, until the cache fitted: the other film's (the sheet being sent is unlinked; the
    # film may get a new set if the scan reaches it after), then the older one of the earlier runs; the newer one
    # and the set just made stay.
    assert os.fstat(sending.fd).st_nlink == 0
    assert not older.exists() and newer.exists(), _manifests(stage)
    total = sum(f.stat().st_size for f in root.rglob("*") if f.is_file() and f.parent != root / "items")
    assert total <= 1024 * 1024, total
    assert stage.owner().get(f"/api/items/{stage.items['direct.mp4']}/seek-previews").status == 200
    # The sheet being sent still reads to its end through its descriptor.
    with sending:
        assert os.pread(sending.fd, len(sent) + 1, 0) == sent
    with Image.open(io.BytesIO(sent)) as image:
        assert image.format == "JPEG"
