"""Home videos carry the date their camera recorded them (the container's creation_time), for sorting by it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from reelhouse.domain.library import LibraryKind
from tests.mediagen import ffmpeg
from tests.scanner.rows import items, settled


def recorded(master: Path, target: Path, when: str | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = ["-metadata", f"creation_time={when}"] if when else []
    ffmpeg("-i", str(master), "-map", "0", "-c", "copy", *stamp, str(target))
    settled(target)


def test_a_home_video_is_dated_by_its_recording_and_a_clockless_one_is_undated(
    db, scanner, library_factory, media_kit
):
    library = library_factory(LibraryKind.HOME_VIDEOS)
    root = Path(library.roots[0])
    recorded(media_kit.master("video.mp4"), root / "party.mp4", "2021-06-01T10:00:00.000000Z")
    recorded(media_kit.master("video.mkv"), root / "beach.mkv", "2019-08-15T16:30:00Z")
    # QuickTime's epoch, what a camera without a clock writes: no date, not 1970.
    recorded(media_kit.master("video.mp4"), root / "old.mp4", "1970-01-01T00:00:00Z")
    scanner.scan(library)
    taken = {v["title"]: v["taken_at"] for v in items(db, "video")}
    assert taken == {
        "party": datetime(2021, 6, 1, 10, tzinfo=UTC).timestamp(),
        "beach": datetime(2019, 8, 15, 16, 30, tzinfo=UTC).timestamp(),
        "old": None,
    }
