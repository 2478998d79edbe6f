"""Music in a real browser: artist → album → tracks, and the queue plays on to the next track by itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_owner_journey import set_up_owner
from tests.webapp.test_sharing_journey import add_library

pytestmark = pytest.mark.browser


def test_album_plays_its_tracks_one_after_another(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    album = tmp_path / "media" / "Music" / "Harbour Lights" / "Low Tide"
    for number, title in [(1, "Morning Fog"), (2, "Gulls"), (3, "Last Ferry")]:
        media_kit.audio_at(
            album / f"{number:02d} {title}.mp3",
            title=title,
            artist="Harbour Lights",
            album_artist="Harbour Lights",
            album="Low Tide",
            track=number,
            year=2020,
        )
    page = watch(context_factory().new_page(), errors_seen)
    set_up_owner(page, server, camera)
    add_library(page, "Music", "music", album.parent.parent)
    page.get_by_role("link", name="Open Music").click()
    page.get_by_role("link", name=re.compile("Harbour Lights")).click()
    expect(page.get_by_role("heading", name="Albums")).to_be_visible()
    camera.shot(page, "artist")
    page.get_by_role("link", name=re.compile("Low Tide")).click()
    tracks = page.get_by_role("list", name="Tracks").get_by_role("listitem")
    expect(tracks).to_have_count(3)
    camera.shot(page, "album")
    page.get_by_role("link", name="Play album").click()
    queue = page.get_by_role("list").filter(has=page.locator("li[aria-current]"))
    expect(queue.locator('li[aria-current="true"]')).to_have_text("Morning Fog")
    page.wait_for_function(
        "() => { const a = document.querySelector('audio'); return a && a.currentTime > 0.2; }",
        timeout=15_000,
    )
    camera.shot(page, "playing")
    # Each track is a second long: the queue moves on without anyone touching it.
    expect(page.locator('.queue li[aria-current="true"]')).to_have_text("Gulls", timeout=15_000)
    expect(page.get_by_role("heading", name="Gulls", level=1)).to_be_visible()
    assert errors_seen == []
