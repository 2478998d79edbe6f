"""The video player's own controls in a real browser: keyboard shortcuts, chapter skip, Up next, and the reason
the server gives for converting a file."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.harness import RunningServer
from tests.mediagen import ffmpeg
from tests.webapp import playermedia
from tests.webapp.conftest import Camera
from tests.webapp.test_player_journey import HLS_JS, PLAYING_PAST, open_item, scanned, signed_in

pytestmark = pytest.mark.browser

VIDEO = "document.querySelector('video')"


@pytest.fixture(scope="session")
def control_masters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("control-masters")


def video(page: Page, expression: str) -> object:
    return page.evaluate(f"() => {{ const v = {VIDEO}; return {expression}; }}")


def showing(page: Page) -> list[str]:
    return page.evaluate(f"() => [...{VIDEO}.textTracks].map((t) => t.mode)")  # type: ignore[no-any-return]


def test_keys_play_pause_seek_change_volume_mute_and_cycle_subtitles(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    control_masters: Path,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    folder = tmp_path / "media" / "Movies" / "Long Walk (2011)"
    playermedia.place(playermedia.h264_mp4(control_masters, 30, "long.mp4"), folder / "Long Walk (2011).mp4")
    for language, line in (("en", "Good evening"), ("fr", "Bonsoir")):
        (folder / f"Long Walk (2011).{language}.srt").write_text(
            f"1\n00:00:00,000 --> 00:00:30,000\n{line}\n", encoding="utf-8"
        )
    scanned(server, "Films", "movies", folder.parent)
    page = signed_in(server, context_factory, errors_seen)
    open_item(page, server, "Long Walk")
    page.get_by_role("link", name="Play", exact=True).click()
    page.wait_for_function(PLAYING_PAST, arg=0.3, timeout=15_000)
    # Off a TV, the <video>'s own controls stay beside the page's bar.
    assert video(page, "v.controls") is True

    page.keyboard.press("k")
    page.wait_for_function(f"() => {VIDEO}.paused")
    page.keyboard.press("Space")
    page.wait_for_function(f"() => !{VIDEO}.paused")
    page.keyboard.press("k")
    page.wait_for_function(f"() => {VIDEO}.paused")
    before = float(video(page, "v.currentTime"))  # type: ignore[arg-type]
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - {before + 10}) < 0.2")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - {before}) < 0.2")

    page.keyboard.press("ArrowDown")
    assert video(page, "v.volume") == pytest.approx(0.9)
    page.keyboard.press("ArrowUp")
    assert video(page, "v.volume") == pytest.approx(1.0)
    page.keyboard.press("m")
    assert video(page, "v.muted") is True
    page.keyboard.press("m")
    assert video(page, "v.muted") is False
    # Full screen holds the whole player, so the chapter marks and Up next show there too.
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement?.matches('.player') === true")
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement === null")

    # Off, then each track in turn, then off again.
    assert showing(page) == ["disabled", "disabled"]
    page.keyboard.press("c")
    assert showing(page) == ["showing", "disabled"]
    page.keyboard.press("c")
    assert showing(page) == ["disabled", "showing"]
    expect(page.get_by_label("Subtitles")).to_have_value("1")
    page.keyboard.press("c")
    assert showing(page) == ["disabled", "disabled"]

    # A key pressed in a field belongs to the field, not to the player.
    page.get_by_label("Subtitles").press("m")
    assert video(page, "v.muted") is False

    # "?" opens the list of keys; Escape closes it.
    page.locator("main h1").click()
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Next episode")
    camera.shot(page, "shortcuts")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(help_dialog).to_be_visible()
    help_dialog.get_by_role("button", name="Close").click()
    expect(help_dialog).to_be_hidden()
    assert errors_seen == []


def test_chapter_marks_and_chapter_skip(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    control_masters: Path,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    root = tmp_path / "media" / "Movies"
    chaptered = playermedia.chaptered_mp4(
        control_masters / "chapters", [(0, "Opening"), (4, "Middle"), (8, "Ending")], 12
    )
    playermedia.place(chaptered, root / "Three Acts (2015).mp4")
    scanned(server, "Films", "movies", root)
    page = signed_in(server, context_factory, errors_seen)
    open_item(page, server, "Three Acts")
    page.get_by_role("link", name="Play", exact=True).click()
    page.wait_for_function(PLAYING_PAST, arg=0.2, timeout=15_000)
    # Paused, so a seek lands exactly where it was sent.
    page.evaluate(f"() => {VIDEO}.pause()")

    # Direct play has nothing to explain.
    expect(page.locator("#playback-reason")).to_be_hidden()
    marks = page.get_by_role("group", name="Chapters").get_by_role("button")
    expect(marks).to_have_count(3)
    expect(marks.nth(1)).to_have_accessible_name("Chapter 2: Middle, at 0:04")
    # Each mark sits at its chapter's share of the track.
    lefts = page.eval_on_selector_all(".chapter-mark", "(ms) => ms.map((m) => m.style.left)")
    assert [round(float(left.rstrip("%"))) for left in lefts] == [0, 33, 67]
    camera.shot(page, "chapters")

    page.get_by_role("button", name="Next chapter").click()
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - 4) < 0.05")
    expect(page.locator(".chapter-now")).to_have_text("Chapter 2 of 3: Middle")
    page.locator("main h1").click()
    page.keyboard.press("PageDown")
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - 8) < 0.05")
    page.keyboard.press("PageUp")
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - 4) < 0.05")
    page.get_by_role("button", name="Previous chapter").click()
    page.wait_for_function(f"() => {VIDEO}.currentTime < 0.05")
    marks.nth(2).click()
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - 8) < 0.05")
    assert errors_seen == []


def test_up_next_counts_down_to_the_next_episode_and_cancel_stops_it(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    control_masters: Path,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    season = tmp_path / "media" / "Shows" / "Harbour Watch" / "Season 01"
    short = playermedia.h264_mp4(control_masters, 2, "short.mp4")
    for number in (1, 2, 3):
        playermedia.place(short, season / f"Harbour Watch - S01E0{number}.mp4")
    scanned(server, "Shows", "shows", season.parent.parent)
    page = signed_in(server, context_factory, errors_seen)
    # The page's timers run on Playwright's clock: real time until the test moves it on, so the countdown's ten
    # seconds and the wait after a cancel take none. The videos still play in real time.
    page.clock.install()
    open_item(page, server, "Harbour Watch")
    page.get_by_role("link", name=re.compile("Season 1")).click()
    page.get_by_role("list", name="Episodes").get_by_role("listitem").first.get_by_role(
        "link", name=re.compile("^Play")
    ).click()
    first_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Episode 1")

    card = page.get_by_role("region", name=re.compile("^Up next"))
    expect(card).to_have_accessible_name("Up next: S01E02 · Episode 2", timeout=15_000)
    expect(card).to_contain_text(re.compile(r"Plays in (9|10) s"))
    camera.shot(page, "up-next")
    page.clock.run_for(4_000)
    expect(card).to_contain_text(re.compile(r"Plays in [1-7] s"))
    page.clock.run_for(7_000)
    page.wait_for_url(lambda url: url != first_url, timeout=10_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Episode 2")
    page.wait_for_function(PLAYING_PAST, arg=0.3, timeout=15_000)

    # At the end of episode 2 the viewer cancels: the card goes and episode 2 stays.
    expect(card).to_have_accessible_name("Up next: S01E03 · Episode 3", timeout=15_000)
    second_url = page.url
    card.get_by_role("button", name="Cancel").click()
    expect(card).to_have_count(0)
    page.clock.run_for(11_000)
    # A countdown left running would now be fetching the next episode to go to it: give it a real second.
    page.wait_for_timeout(1_000)
    assert page.url == second_url
    expect(page.get_by_role("heading", level=1)).to_have_text("Episode 2")

    # Escape cancels too, and "n" plays the next episode at once.
    page.evaluate(f"() => {{ {VIDEO}.play(); }}")
    expect(card).to_be_visible(timeout=15_000)
    page.keyboard.press("Escape")
    expect(card).to_have_count(0)
    page.keyboard.press("n")
    expect(page.get_by_role("heading", level=1)).to_have_text("Episode 3")
    assert errors_seen == []


def test_the_player_says_why_the_server_converts_a_file(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    control_masters: Path,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    assert HLS_JS.exists(), "scripts/bootstrap.sh fetches hls.js into web/static/vendor"
    root = tmp_path / "media" / "Movies"
    playermedia.place(
        playermedia.mpeg4_avi(control_masters), root / "Old Tape (1999)" / "Old Tape (1999).avi"
    )
    # The same H.264 and AAC in Matroska: the streams suit the browser, the container does not.
    matroska = root / "Same Tape (2001).mkv"
    ffmpeg("-i", str(playermedia.h264_mp4(control_masters, 4, "short-4.mp4")), "-c", "copy", str(matroska))
    scanned(server, "Films", "movies", root)
    page = signed_in(server, context_factory, errors_seen)
    open_item(page, server, "Old Tape")
    page.get_by_role("link", name="Play", exact=True).click()
    reason = page.locator("#playback-reason")
    expect(reason).to_be_visible()
    expect(reason).to_have_text("Your browser cannot play MPEG-4 Part 2 video or AVI files; converting.")
    page.wait_for_function(PLAYING_PAST, arg=0.5, timeout=30_000)
    camera.shot(page, "reason")

    open_item(page, server, "Same Tape")
    page.get_by_role("link", name="Play", exact=True).click()
    expect(reason).to_have_text(
        "Your browser cannot play MKV files; repackaging for this browser without re-encoding."
    )
    page.wait_for_function(PLAYING_PAST, arg=0.5, timeout=30_000)
    assert errors_seen == []
