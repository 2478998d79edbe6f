"""The mini-player in a real browser: music plays on across pages, and its queue moves, shrinks and repeats."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from reelhouse.domain.access import Role
from tests.harness import RunningServer
from tests.mediagen import ffmpeg
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_player_journey import scanned

pytestmark = pytest.mark.browser

TRACKS = ["Morning Fog", "Gulls", "Last Ferry"]
# Long enough to browse three pages while one plays; the tests seek near the end instead of waiting for it.
SECONDS = 8

PLAYING = """() => { const a = document.querySelector('#mini-player audio');
  return a && !a.paused && a.currentTime > 0.2; }"""
POSITION = "() => document.querySelector('#mini-player audio').currentTime"


def album(root: Path) -> Path:
    """Three tagged MP3 tracks of an album, each its own tone so each file is its own."""
    folder = root / "Harbour Lights" / "Low Tide"
    folder.mkdir(parents=True)
    for number, title in enumerate(TRACKS, start=1):
        tags = {
            "title": title,
            "artist": "Harbour Lights",
            "album_artist": "Harbour Lights",
            "album": "Low Tide",
            "track": str(number),
            "date": "2020",
        }
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={220 * number}:duration={SECONDS}",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "32k",
            "-id3v2_version",
            "3",
            *[arg for key, value in tags.items() for arg in ("-metadata", f"{key}={value}")],
            str(folder / f"{number:02d} {title}.mp3"),
        )
    return root


def signed_in_page(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    errors_seen: list[str],
    tmp_path: Path,
    width: int = 1280,
) -> tuple[Page, str]:
    library_id = scanned(server, "Music", "music", album(tmp_path / "media" / "Music"))
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    context = context_factory()
    context.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    page = watch(context.new_page(), errors_seen)
    page.set_viewport_size({"width": width, "height": 844 if width < 800 else 800})
    page.goto(f"{base}/#/library/{library_id}")
    page.get_by_role("link", name=re.compile("Harbour Lights")).first.click()
    page.get_by_role("link", name=re.compile("Low Tide")).first.click()
    expect(page.get_by_role("list", name="Tracks").get_by_role("listitem")).to_have_count(3)
    return page, library_id


def bar_of(page: Page) -> Locator:
    return page.get_by_role("region", name="Music player")


def playing(page: Page, title: str) -> None:
    expect(bar_of(page).locator(".mp-title")).to_have_text(title)
    page.wait_for_function(PLAYING, timeout=15_000)


def queue_titles(page: Page) -> list[str]:
    return [t.strip() for t in bar_of(page).locator(".mp-list .mp-item-title").all_text_contents()]


def seek_near_end(page: Page) -> None:
    # The seek bar, as a listener drags it: a second before the end.
    bar_of(page).get_by_role("slider", name="Seek").fill(str(SECONDS - 1))


def test_music_plays_on_while_the_listener_browses_three_other_pages(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    page, library_id = signed_in_page(server, context_factory, errors_seen, tmp_path)
    page.get_by_role("link", name="Play Gulls").click()
    playing(page, "Gulls")
    # A track played from its album queues the whole album, in order, from that track.
    assert queue_titles(page) == TRACKS
    expect(bar_of(page).locator('.mp-list li[aria-current="true"] .mp-item-title')).to_have_text("Gulls")
    expect(bar_of(page).locator(".mp-sub")).to_have_text("Low Tide · Harbour Lights")
    # The very element that plays is marked, so each page after can tell it is the same one, not a new one.
    source = page.evaluate(
        "() => { const a = document.querySelector('#mini-player audio'); a.dataset.mark = 'first'; return a.src; }"
    )
    camera.shot(page, "playing")
    before = page.evaluate(POSITION)
    side = page.get_by_role("navigation", name="Main")
    visits = [
        (lambda: side.get_by_role("link", name="Home").click(), "Home"),
        (lambda: side.get_by_role("link", name="Music", exact=True).click(), "Music"),
        (lambda: side.get_by_role("link", name="owner").click(), re.compile("Account")),
    ]
    for go, heading in visits:
        go()
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        page.wait_for_function(
            f"() => document.querySelector('#mini-player audio').currentTime > {before} + 0.3"
        )
        after = page.evaluate(POSITION)
        assert page.evaluate("() => document.querySelectorAll('audio').length") == 1
        assert page.evaluate("() => document.querySelector('#mini-player audio').dataset.mark") == "first"
        assert page.evaluate("() => document.querySelector('#mini-player audio').src") == source
        assert page.evaluate("() => document.querySelector('#mini-player audio').paused") is False
        expect(bar_of(page).locator(".mp-title")).to_have_text("Gulls")
        before = after
    # The page ends above the bar, not under it.
    bar_top, main_bottom = page.evaluate(
        """() => { window.scrollTo(0, document.body.scrollHeight);
          const main = document.getElementById('main');
          const last = main.lastElementChild.getBoundingClientRect().bottom;
          return [document.querySelector('.mp-bar').getBoundingClientRect().top, last]; }"""
    )
    assert main_bottom <= bar_top
    camera.shot(page, "account-still-playing")
    # Pause and play again from the bar, a real button each.
    bar_of(page).get_by_role("button", name="Pause").click()
    page.wait_for_function("() => document.querySelector('#mini-player audio').paused")
    bar_of(page).get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(PLAYING)
    assert page.url.endswith("#/account")
    assert library_id
    assert errors_seen == []


def test_next_previous_and_the_automatic_advance_report_progress(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    page, _ = signed_in_page(server, context_factory, errors_seen, tmp_path)
    page.get_by_role("link", name="Play album").click()
    playing(page, "Morning Fog")
    first_id = page.evaluate("() => location.hash.match(/play\\/([^?]+)/)[1]")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()
    bar = bar_of(page)
    bar.get_by_role("button", name="Next track").click()
    playing(page, "Gulls")
    # Early in a track, Previous goes back one track, as in every music player.
    bar.get_by_role("button", name="Previous track").click()
    playing(page, "Morning Fog")
    camera.shot(page, "back-to-first")
    seek_near_end(page)
    # The end of a track starts the next queued one by itself, still on Home.
    playing(page, "Gulls")
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()
    # The finished track was reported to the server as the player page reports it: played to the end.
    state = page.request.get(f"http://127.0.0.1:{server.port}/api/items/{first_id}/playstate").json()
    assert state["watched"] is True, state
    assert errors_seen == []


def test_the_queue_reorders_removes_repeats_one_and_survives_a_reload(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    page, _ = signed_in_page(server, context_factory, errors_seen, tmp_path)
    page.get_by_role("link", name="Play album").click()
    playing(page, "Morning Fog")
    bar = bar_of(page)
    bar.get_by_role("button", name="Queue").click()
    expect(bar.get_by_role("heading", name="Queue")).to_be_visible()
    assert queue_titles(page) == TRACKS
    # Shuffle keeps the playing track first; turning it off puts back the album's order.
    shuffle = bar.get_by_role("button", name="Shuffle")
    shuffle.click()
    expect(shuffle).to_have_attribute("aria-pressed", "true")
    shuffled = queue_titles(page)
    assert shuffled[0] == "Morning Fog" and sorted(shuffled) == sorted(TRACKS)
    shuffle.click()
    expect(shuffle).to_have_attribute("aria-pressed", "false")
    assert queue_titles(page) == TRACKS
    # By keyboard: Enter on "Move up", and focus stays with the moved track's button.
    bar.get_by_role("button", name="Move Last Ferry up").focus()
    page.keyboard.press("Enter")
    expect(bar.get_by_role("button", name="Move Last Ferry up")).to_be_focused()
    assert queue_titles(page) == ["Morning Fog", "Last Ferry", "Gulls"]
    bar.get_by_role("button", name="Remove Gulls from the queue").click()
    assert queue_titles(page) == ["Morning Fog", "Last Ferry"]
    camera.shot(page, "queue")
    # The queue's order is what plays: Last Ferry comes after Morning Fog now.
    seek_near_end(page)
    playing(page, "Last Ferry")
    expect(bar.locator('.mp-list li[aria-current="true"] .mp-item-title')).to_have_text("Last Ferry")
    # Repeat one: the last track of the queue starts again instead of the music stopping.
    repeat = bar.get_by_role("button", name="Repeat: off").first
    repeat.click()
    bar.get_by_role("button", name="Repeat: all").first.click()
    expect(bar.get_by_role("button", name="Repeat: one").first).to_be_visible()
    page.evaluate(
        "() => { const a = document.querySelector('#mini-player audio'); window.ends = 0;"
        " a.addEventListener('ended', () => { window.ends += 1; }); }"
    )
    seek_near_end(page)
    page.wait_for_function("() => window.ends >= 1", timeout=15_000)
    page.wait_for_function(
        "() => { const a = document.querySelector('#mini-player audio'); return !a.paused && a.currentTime > 0.2 && a.currentTime < 4; }",
        timeout=15_000,
    )
    expect(bar.locator(".mp-title")).to_have_text("Last Ferry")
    # A reload keeps the queue (ids only, asked for again): an id the user cannot see is dropped.
    page.evaluate(
        """() => { const saved = JSON.parse(sessionStorage.getItem('reelhouse.queue'));
          saved.ids.push('no-such-track'); sessionStorage.setItem('reelhouse.queue', JSON.stringify(saved)); }"""
    )
    saved = json.loads(page.evaluate("() => sessionStorage.getItem('reelhouse.queue')"))
    assert len(saved["ids"]) == 3 and saved["repeat"] == "one"
    page.goto(f"http://127.0.0.1:{server.port}/#/")
    page.reload()
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()
    expect(bar.locator(".mp-title")).to_have_text("Last Ferry")
    bar.get_by_role("button", name="Queue").click()
    expect(bar.get_by_role("list", name="Queued tracks").get_by_role("listitem")).to_have_count(2)
    assert queue_titles(page) == ["Morning Fog", "Last Ferry"]
    bar.get_by_role("button", name="Play", exact=True).click()
    playing(page, "Last Ferry")
    assert errors_seen == []


def test_on_a_phone_the_bar_fits_and_leaves_the_page_readable(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    page, _ = signed_in_page(server, context_factory, errors_seen, tmp_path, width=390)
    page.get_by_role("link", name="Play album").click()
    playing(page, "Morning Fog")
    camera.shot(page, "phone-playing")
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width
    bar = bar_of(page)
    for name in ["Previous track", "Pause", "Next track", "Queue"]:
        box = bar.get_by_role("button", name=name, exact=True).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner_width, name
    padding, height = page.evaluate(
        "() => [parseFloat(getComputedStyle(document.getElementById('main')).paddingBottom),"
        " document.querySelector('.mp-bar').offsetHeight]"
    )
    assert padding >= height
    # Tab reaches the bar's buttons with a visible ring.
    bar.get_by_role("button", name="Next track").focus()
    page.keyboard.press("Shift+Tab")
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, document.activeElement.matches(':focus-visible')]; }"
    )
    assert ring[0] != "none" and ring[1]
    assert errors_seen == []
