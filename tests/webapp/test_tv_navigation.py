"""A TV remote's keys only (arrows, Enter, Back) at 1920x1080: from Home to an episode playing, and back again,
with the focus always drawn where the remote left it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from reelhouse.domain.access import Role
from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp import playermedia
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_player_journey import PLAYING_PAST, scanned

pytestmark = pytest.mark.browser

# What has the focus: its text (or label) and its outline as drawn.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    text: (el.getAttribute('aria-label') || el.textContent || '').trim(),
    tag: el.tagName,
    outline: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    visible: el.matches(':focus-visible'),
  };
}"""
# A remote has no more than this many presses to cross any one page here.
MOST_PRESSES = 12


@pytest.fixture
def tv(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport={"width": 1920, "height": 1080}, screen={"width": 1920, "height": 1080}
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def tv_media(media_kit: MediaKit, tmp_path: Path) -> dict[str, Path]:
    movies = tmp_path / "media" / "Films"
    for title in ["Amber Fields (2021)", "Night Harbour (2019)"]:
        media_kit.video_at(movies / title / f"{title}.mp4")
    shows = tmp_path / "media" / "Shows"
    # Episodes Chromium plays by itself (H.264 in MP4), long enough to be seen playing.
    episode = playermedia.h264_mp4(tmp_path / "masters", 6, "episode.mp4")
    for season, number in [(1, 1), (1, 2), (2, 1)]:
        playermedia.place(
            episode,
            shows
            / "Harbour Watch"
            / f"Season {season:02d}"
            / f"Harbour Watch - S{season:02d}E{number:02d}.mp4",
        )
    return {"Films": movies, "Shows": shows}


def focused(page: Page) -> dict[str, object]:
    found = page.evaluate(FOCUSED)
    assert found is not None, "nothing has the focus"
    return dict(found)


def assert_ring(page: Page) -> None:
    ring = focused(page)
    assert ring["visible"] and ring["outline"] != "none" and float(str(ring["width"])) >= 3, ring


def press_until(page: Page, key: str, wanted: re.Pattern[str], tags: tuple[str, ...] = ("A",)) -> None:
    """Presses `key` until the focus is on an element of `tags` whose text matches; each stop shows its ring."""
    seen = []
    for _ in range(MOST_PRESSES):
        page.keyboard.press(key)
        now = focused(page)
        seen.append(now["text"])
        assert_ring(page)
        if now["tag"] in tags and wanted.search(str(now["text"])):
            return
    raise AssertionError(f"{key} never reached {wanted.pattern!r}; the focus went {seen}")


def test_arrow_keys_and_enter_alone_go_from_home_to_a_playing_episode_and_back(
    server: RunningServer,
    tv: BrowserContext,
    camera: Camera,
    tv_media: dict[str, Path],
    errors_seen: list[str],
) -> None:
    scanned(server, "Films", "movies", tv_media["Films"])
    scanned(server, "Shows", "shows", tv_media["Shows"])
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    tv.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    page = watch(tv.new_page(), errors_seen)
    page.goto(f"{base}/")
    expect(page.get_by_role("list", name="Recently added in Shows")).to_be_visible()

    # Home: down into the shelves, then left out of the first card into the side navigation, down to Shows.
    press_until(page, "ArrowDown", re.compile("Amber Fields|Night Harbour|Harbour Watch"))
    press_until(page, "ArrowLeft", re.compile("^(Home|Playlists|Films|Shows)$"))
    # The nearest link leftwards is the lowest one, Shows being the last library; anything higher walks down.
    if focused(page)["text"] != "Shows":
        press_until(page, "ArrowDown", re.compile("^Shows$"))
    camera.shot(page, "home-side-nav")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Shows", level=1)).to_be_focused()
    expect(page.get_by_role("link", name=re.compile("^Harbour Watch"))).to_be_visible()

    # The library: past the sort and filter fields (arrows leave a closed list box alone) to the show's poster.
    press_until(page, "ArrowDown", re.compile("^Harbour Watch"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Harbour Watch", level=1)).to_be_focused()
    expect(page.get_by_role("list", name="Seasons")).to_be_visible()

    # The show, then the season, then the episode's own page.
    # Down lands on whichever season's poster is nearest below; the row goes left to the first season.
    press_until(page, "ArrowDown", re.compile("Season [12]"))
    if "Season 1" not in str(focused(page)["text"]):
        press_until(page, "ArrowLeft", re.compile("Season 1"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Season 1", level=1)).to_be_focused()
    expect(page.get_by_role("list", name="Episodes").get_by_role("listitem")).to_have_count(2)
    press_until(page, "ArrowDown", re.compile("S01E01"))
    camera.shot(page, "season")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Episode 1", level=1)).to_be_focused()

    # Play: the video plays.
    press_until(page, "ArrowDown", re.compile("^Play$"))
    page.keyboard.press("Enter")
    expect(page.locator("video")).to_be_visible()
    page.wait_for_function(PLAYING_PAST, arg=0.3, timeout=15_000)
    camera.shot(page, "playing")

    # Back (Escape) leaves the player for the episode's page, and again for the season.
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="Episode 1", level=1)).to_be_focused()
    assert "/play/" not in page.url
    page.keyboard.press("Backspace")
    expect(page.get_by_role("heading", name="Season 1", level=1)).to_be_focused()
    assert errors_seen == []


def test_the_focus_ring_shows_on_header_side_navigation_posters_and_buttons_at_1080p(
    server: RunningServer, tv: BrowserContext, tv_media: dict[str, Path], errors_seen: list[str]
) -> None:
    scanned(server, "Shows", "shows", tv_media["Shows"])
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    tv.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    page = watch(tv.new_page(), errors_seen)
    page.goto(f"{base}/")
    expect(page.get_by_role("list", name="Recently added in Shows")).to_be_visible()
    # A poster on a shelf, the side navigation, the header above it.
    press_until(page, "ArrowDown", re.compile("^Harbour Watch"))
    press_until(page, "ArrowLeft", re.compile("^Shows$"))
    press_until(page, "ArrowUp", re.compile("^Reelhouse$"))
    # Buttons: the item page's Play.
    press_until(page, "ArrowDown", re.compile("^Shows$"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Shows", level=1)).to_be_focused()
    press_until(page, "ArrowDown", re.compile("^Harbour Watch"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Harbour Watch", level=1)).to_be_focused()
    press_until(page, "ArrowDown", re.compile("^Play S01E01"))
    # Ten feet away the ring is thicker than a desktop's.
    assert float(str(focused(page)["width"])) >= 4
    assert errors_seen == []


# The 10-foot layout's class and the root font size (the 10-foot layout's is 150 % of 16 px, which any screen
# 1600 px wide has already).
LAYOUT = "() => [document.documentElement.classList.contains('tv'), getComputedStyle(document.documentElement).fontSize]"
TV_AGENT = "Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) Version/7.0 TV Safari/537.36"


def test_the_tv_layout_is_set_on_a_television_and_not_on_a_desktop_or_phone(
    server: RunningServer, browser: Browser, errors_seen: list[str]
) -> None:
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    full_hd = {"viewport": {"width": 1920, "height": 1080}, "screen": {"width": 1920, "height": 1080}}
    screens: list[tuple[str, dict[str, object], list[object]]] = [
        ("desktop with a mouse at 1080p", full_hd, [False, "24px"]),
        ("1080p screen with no mouse (a remote)", {**full_hd, "has_touch": True}, [True, "24px"]),
        # Many sets draw pages at 1280x720 and scale them up: only the user agent tells them from a laptop.
        (
            "a television's browser at 720p",
            {"viewport": {"width": 1280, "height": 720}, "user_agent": TV_AGENT},
            [True, "24px"],
        ),
        ("a laptop at 720p", {"viewport": {"width": 1280, "height": 720}}, [False, "16px"]),
        (
            "phone",
            {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
            [False, "16px"],
        ),
    ]
    for name, options, wanted in screens:
        context = browser.new_context(**options)  # type: ignore[arg-type]
        context.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
        page = watch(context.new_page(), errors_seen)
        page.goto(f"{base}/#/account")
        expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()
        assert page.evaluate(LAYOUT) == wanted, name
        if name.startswith("a television"):
            # A set taken for a desktop (or the reverse) is put right on the Account page, and stays so.
            page.get_by_label("Layout").select_option("Desktop and phone")
            assert page.evaluate(LAYOUT) == [False, "16px"]
            page.reload()
            expect(page.get_by_label("Layout")).to_have_value("off")
            assert page.evaluate(LAYOUT) == [False, "16px"]
            page.get_by_label("Layout").select_option("Automatic")
            assert page.evaluate(LAYOUT) == [True, "24px"]
        context.close()
    assert errors_seen == []


@pytest.fixture
def remote(browser: Browser) -> Iterator[BrowserContext]:
    """A 1080p set driven by a remote: no mouse, so the app takes it for a television."""
    context = browser.new_context(
        viewport={"width": 1920, "height": 1080}, screen={"width": 1920, "height": 1080}, has_touch=True
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


VIDEO = "document.querySelector('video')"


def test_a_remote_pauses_plays_seeks_and_leaves_the_player_with_arrows_enter_and_back(
    server: RunningServer,
    remote: BrowserContext,
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    shows = tmp_path / "media" / "Shows"
    # Long enough that a 10 s seek each way stays inside the episode.
    episode = playermedia.h264_mp4(tmp_path / "masters", 30, "long-episode.mp4")
    playermedia.place(episode, shows / "Harbour Watch" / "Season 01" / "Harbour Watch - S01E01.mp4")
    scanned(server, "Shows", "shows", shows)
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    remote.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    page = watch(remote.new_page(), errors_seen)
    page.goto(f"{base}/#/search?q=episode")
    page.get_by_role("link", name=re.compile("S01E01")).first.click()
    heading = page.get_by_role("heading", name="Episode 1", level=1)
    expect(heading).to_be_focused()
    assert page.evaluate("document.documentElement.classList.contains('tv')")

    # From here on, only the remote's keys.
    press_until(page, "ArrowDown", re.compile("^Play$"))
    page.keyboard.press("Enter")
    page.wait_for_function(PLAYING_PAST, arg=0.3, timeout=15_000)
    expect(heading).to_be_focused()

    # Our bar stands in for the <video>'s own controls, which a remote cannot reach: only one bar shows.
    assert page.evaluate(f"{VIDEO}.controls") is False
    # Down brings the focus to the player's controls (not the volume: the set has its own).
    page.keyboard.press("ArrowDown")
    assert focused(page)["text"] == "Pause" and focused(page)["tag"] == "BUTTON", focused(page)
    assert_ring(page)
    assert page.evaluate(f"{VIDEO}.volume") == 1
    camera.shot(page, "remote-controls")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {VIDEO}.paused")
    # The button's label follows the video's pause event, which comes just after `paused` turns true.
    deadline = time.monotonic() + 5
    while focused(page)["text"] != "Play" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert focused(page)["text"] == "Play"
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => !{VIDEO}.paused")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {VIDEO}.paused")

    # Right moves to the seek bar (it does not seek from the button); there Right and Left seek 10 s.
    before = float(page.evaluate(f"{VIDEO}.currentTime"))
    page.keyboard.press("ArrowRight")
    assert focused(page)["text"] == "Position" and focused(page)["tag"] == "INPUT", focused(page)
    assert_ring(page)
    assert abs(float(page.evaluate(f"{VIDEO}.currentTime")) - before) < 0.2
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - {before + 10}) < 0.3")
    # The label follows the position. Where playback was paused depends on how busy the machine was, so the
    # expected label is taken from it rather than written out.
    near = "|".join(f"{second:02d}" for second in range(int(before + 10) - 1, int(before + 10) + 2))
    expect(page.get_by_role("slider", name="Position")).to_have_attribute(
        "aria-valuetext", re.compile(f"^0:({near}) of 0:30$")
    )
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - {before}) < 0.3")
    camera.shot(page, "remote-seek")

    # Down and Up leave the seek bar and come back to the controls; they never move the position.
    page.keyboard.press("ArrowDown")
    assert focused(page)["text"] != "Position", focused(page)
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.closest('.transport') !== null")
    if focused(page)["text"] != "Position":
        page.keyboard.press("ArrowRight")
    assert focused(page)["text"] == "Position", focused(page)
    assert abs(float(page.evaluate(f"{VIDEO}.currentTime")) - before) < 0.3

    # The layout switched off under the playing film (as the Account page's choice does) brings them back.
    page.evaluate("import('/static/tv-mode.js').then((tv) => tv.choose('off'))")
    page.wait_for_function(f"() => {VIDEO}.controls")
    page.evaluate("import('/static/tv-mode.js').then((tv) => tv.choose('on'))")
    page.wait_for_function(f"() => !{VIDEO}.controls")
    # Back, even from the seek bar, leaves the player for the episode's page.
    page.keyboard.press("Escape")
    expect(heading).to_be_focused()
    assert "/play/" not in page.url
    assert errors_seen == []


def test_on_a_remote_up_next_takes_the_focus_so_enter_plays_the_next_episode(
    server: RunningServer,
    remote: BrowserContext,
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    shows = tmp_path / "media" / "Shows"
    short = playermedia.h264_mp4(tmp_path / "masters", 2, "short-episode.mp4")
    for number in (1, 2):
        playermedia.place(short, shows / "Harbour Watch" / "Season 01" / f"Harbour Watch - S01E0{number}.mp4")
    scanned(server, "Shows", "shows", shows)
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    remote.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    page = watch(remote.new_page(), errors_seen)
    page.goto(f"{base}/#/search?q=episode")
    page.get_by_role("link", name=re.compile("S01E01")).first.click()
    expect(page.get_by_role("heading", name="Episode 1", level=1)).to_be_focused()

    press_until(page, "ArrowDown", re.compile("^Play$"))
    page.keyboard.press("Enter")
    card = page.get_by_role("region", name=re.compile("^Up next"))
    expect(card).to_be_visible(timeout=15_000)
    expect(card.get_by_role("button", name="Play now")).to_be_focused()
    assert_ring(page)
    camera.shot(page, "remote-up-next")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Episode 2", level=1)).to_be_visible()
    assert errors_seen == []
