"""The mini-player's lyrics panel (synced lines follow and seek the music) and its hand-over to the next queued
track, whose stream is loaded in a second element before the first one ends: what plays tracks whose files do not
say how long their music is (true gapless play through one element is in test_gapless_album.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from reelhouse.domain.access import Role
from tests.harness import RunningServer
from tests.mediagen import ffmpeg
from tests.webapp.conftest import watch
from tests.webapp.test_accessibility import ALWAYS, AUDIT, AXE, TAGS
from tests.webapp.test_player_journey import scanned

pytestmark = pytest.mark.browser

SECONDS = 6
LYRICS = [
    (0.0, "Cast off the line"),
    (1.5, "Salt on the rope"),
    (3.0, "Gulls over the quay"),
    (4.5, "Home with the tide"),
]

# Every <audio> the page makes is kept, and at each `ended` the state of all of them is written down: which
# stream each held and how far it had loaded, before the app's own `ended` listener runs.
RECORD_AUDIO = """(() => {
  window.audios = []; window.endings = [];
  const make = Document.prototype.createElement;
  Document.prototype.createElement = function (tag, ...rest) {
    const el = make.call(this, tag, ...rest);
    if (String(tag).toLowerCase() === 'audio') {
      const n = window.audios.push(el) - 1;
      el.addEventListener('ended', () => window.endings.push({ ended: n, at: performance.now(),
        all: window.audios.map((a, i) => ({ i, src: a.src, ready: a.readyState })) }));
      el.addEventListener('playing', () => { el.dataset.playingAt = String(performance.now()); });
    }
    return el;
  };
})();"""


def album(root: Path, info_header: bool = True) -> Path:
    """Two tagged MP3 tracks; the first has a synced .lrc beside it, the second no lyrics at all. Without the
    Info header an MP3 does not say its encoder's delay and padding, so it cannot be chained gaplessly."""
    folder = root / "Quay" / "Tide Tables"
    folder.mkdir(parents=True)
    for number, title in enumerate(["Anchor", "Buoy"], start=1):
        tags = {
            "title": title,
            "artist": "Quay",
            "album_artist": "Quay",
            "album": "Tide Tables",
            "track": str(number),
        }
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={330 * number}:duration={SECONDS}",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "32k",
            *([] if info_header else ["-write_xing", "0"]),
            *[arg for key, value in tags.items() for arg in ("-metadata", f"{key}={value}")],
            str(folder / f"{number:02d} {title}.mp3"),
        )
    lrc = "".join(f"[00:{int(at):02d}.{int(at * 100) % 100:02d}]{text}\n" for at, text in LYRICS)
    (folder / "01 Anchor.lrc").write_text("[ti:Anchor]\n" + lrc)
    return root


def playing_album(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    errors_seen: list[str],
    tmp_path: Path,
    init_script: str | None = None,
    axe: bool = False,
    info_header: bool = True,
) -> Page:
    library_id = scanned(server, "Music", "music", album(tmp_path / "media" / "Music", info_header))
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    context = context_factory()
    context.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    if init_script:
        context.add_init_script(init_script)
    if axe:
        # The CSP refuses an inline <script>, so axe comes in as an init script, as the accessibility test does.
        context.add_init_script(path=str(AXE))
    page = watch(context.new_page(), errors_seen)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{base}/#/library/{library_id}")
    page.get_by_role("link", name=re.compile("Quay")).first.click()
    page.get_by_role("link", name=re.compile("Tide Tables")).first.click()
    page.get_by_role("link", name="Play album").click()
    playing(page, "Anchor")
    return page


def bar_of(page: Page) -> Locator:
    return page.get_by_role("region", name="Music player")


def playing(page: Page, title: str) -> None:
    expect(bar_of(page).locator(".mp-title")).to_have_text(title)
    page.wait_for_function(
        "() => { const a = document.querySelector('#mini-player audio'); return a && !a.paused && a.currentTime > 0.2; }",
        timeout=15_000,
    )


def position(page: Page) -> float:
    return float(page.evaluate("() => document.querySelector('#mini-player audio').currentTime"))


def test_synced_lyrics_follow_the_music_and_a_line_seeks_there(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    page = playing_album(server, context_factory, errors_seen, tmp_path, axe=True)
    bar = bar_of(page)
    bar.get_by_role("button", name="Pause").click()
    page.wait_for_function("() => document.querySelector('#mini-player audio').paused")
    toggle = bar.get_by_role("button", name="Lyrics")
    # On a phone the extra button still fits: nothing of the bar leaves the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    for name in ["Next track", "Lyrics", "Queue"]:
        box = bar.get_by_role("button", name=name, exact=True).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 800})
    toggle.click()
    panel = page.get_by_role("region", name="Lyrics")
    expect(panel).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    lines = panel.get_by_role("button", name=re.compile("the"))
    expect(lines).to_have_count(4)
    # The open panel passes axe as every page does: no serious or critical finding.
    assert page.evaluate(AUDIT, [TAGS, ALWAYS]) == []
    # The audio moves to 3.2 s: the line that started at 3.0 s is the current one, and only it.
    page.evaluate("() => { document.querySelector('#mini-player audio').currentTime = 3.2; }")
    current = panel.locator('[aria-current="true"]')
    expect(current).to_have_count(1)
    expect(current).to_have_text("Gulls over the quay")
    # A click on a line plays from its time, and that line becomes the current one.
    panel.get_by_role("button", name="Salt on the rope").click()
    expect(current).to_have_text("Salt on the rope")
    assert 1.4 <= position(page) < 2.5
    # The same by keyboard: a line is a button, and Enter on it seeks.
    panel.get_by_role("button", name="Home with the tide").focus()
    page.keyboard.press("Enter")
    expect(current).to_have_text("Home with the tide")
    assert 4.4 <= position(page) < 5.5
    # Escape closes the panel and gives focus back to its button.
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    # The next track has no lyrics: no button for them.
    bar.get_by_role("button", name="Next track").click()
    playing(page, "Buoy")
    expect(toggle).to_be_hidden()
    assert errors_seen == []


def test_the_next_track_is_loaded_before_the_end_and_starts_at_it(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    page = playing_album(server, context_factory, errors_seen, tmp_path, RECORD_AUDIO, info_header=False)
    first_id = page.evaluate("() => location.hash.match(/play\\/([^?]+)/)[1]")
    bar = bar_of(page)
    # Give the next track time to be readied, then jump to a second before the end.
    page.wait_for_timeout(1_500)
    bar.get_by_role("slider", name="Seek").fill(str(SECONDS - 1))
    playing(page, "Buoy")
    page.wait_for_function("() => window.endings.length >= 1")
    ending, now_src, now_index, gap = page.evaluate(
        """() => { const e = window.endings[0]; const a = document.querySelector('#mini-player audio');
          return [e, a.src, window.audios.indexOf(a), Number(a.dataset.playingAt) - e.at]; }"""
    )
    # When the first element ended, another element already held the stream that plays now, loaded enough to play.
    assert now_index != ending["ended"], ending
    held = [a for a in ending["all"] if a["i"] == now_index]
    assert held and held[0]["src"] == now_src and held[0]["ready"] >= 3, (ending, now_src)
    print(f"hand-over: {gap:.0f} ms from ended to playing")
    # Still one element in the page, the queue marks the new track, and the finished one was reported played.
    assert page.evaluate("() => document.querySelectorAll('audio').length") == 1
    bar.get_by_role("button", name="Queue").click()
    expect(bar.locator('.mp-list li[aria-current="true"] .mp-item-title')).to_have_text("Buoy")
    state = page.request.get(f"http://127.0.0.1:{server.port}/api/items/{first_id}/playstate").json()
    assert state["watched"] is True, state
    # The bar follows the new element: pausing it from the bar pauses what plays.
    bar.get_by_role("button", name="Pause").click()
    page.wait_for_function("() => document.querySelector('#mini-player audio').paused")
    expect(bar.get_by_role("button", name="Play", exact=True)).to_be_visible()
    assert errors_seen == []
