"""The main pages on a phone, a 1080p TV and a 4K TV: no sideways scrolling, readable text, a visible focus ring."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from reelhouse.domain.access import Role
from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_player_journey import scanned

pytestmark = pytest.mark.browser

# (name, viewport width, height, device scale factor, smallest readable text in CSS pixels)
SCREENS = [
    # A phone held at arm's length: 12 px is the floor of legible text.
    ("phone", 390, 844, 2, 12.0),
    # Across the room the floor grows with the screen: 1.6 % of its height, as a 1080p set shows 17 px.
    ("tv-1080p", 1920, 1080, 1, 1080 * 0.016),
    ("tv-4k", 3840, 2160, 1, 2160 * 0.016),
]

# The smallest font among elements that show text of their own (not just their children's).
SMALLEST_TEXT = """() => {
  let smallest = Infinity, where = '';
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.checkVisibility() || el.closest('.visually-hidden')) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < smallest) { smallest = size; where = el.tagName + '.' + el.className + ' ' + el.textContent.trim().slice(0, 30); }
  }
  return [smallest, where];
}"""
OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return [el.tagName, style.outlineStyle, parseFloat(style.outlineWidth), el.matches(':focus-visible')];
}"""


@pytest.fixture
def sized(browser: Browser) -> Iterator[Callable[[int, int, int], BrowserContext]]:
    """Contexts at a chosen screen size (the shared factory's are all 1280x800); closed after the test."""
    made: list[BrowserContext] = []

    def make(width: int, height: int, scale: int) -> BrowserContext:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            screen={"width": width, "height": height},
            device_scale_factor=scale,
        )
        context.set_default_timeout(10_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def check_page(page: Page, camera: Camera, name: str, floor: float) -> None:
    camera.shot(page, name)
    scroll_width, inner_width = page.evaluate(OVERFLOW)
    assert scroll_width <= inner_width, f"{name}: the page scrolls sideways ({scroll_width} > {inner_width})"
    smallest, where = page.evaluate(SMALLEST_TEXT)
    assert smallest >= floor, f"{name}: {where!r} is {smallest}px, under {floor:.1f}px"
    focused = 0
    for _ in range(4):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        if ring is None:
            continue  # past the page's last link, focus leaves for the browser's own controls
        tag, outline, width, visible = ring
        focused += 1
        if tag in ("VIDEO", "AUDIO") and not visible:
            continue  # focus is on a button of the browser's own player controls, which draw their own ring
        assert visible and outline != "none" and width >= 2, f"{name}: no visible focus on {tag}: {ring}"
    assert focused >= 2, f"{name}: Tab reached {focused} elements"


@pytest.mark.parametrize(
    ("screen", "width", "height", "scale", "floor"), SCREENS, ids=[s[0] for s in SCREENS]
)
def test_main_pages_fit_the_screen_with_readable_text_and_visible_focus(
    server: RunningServer,
    sized: Callable[[int, int, int], BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
    screen: str,
    width: int,
    height: int,
    scale: int,
    floor: float,
) -> None:
    root = tmp_path / "media" / "Movies"
    for title in ["A Rather Long Film Title That Has To Wrap Somewhere (2019)", "Amber Fields (2021)"]:
        media_kit.video_at(root / title / f"{title}.mp4")
    library_id = scanned(server, "Films", "movies", root)
    base = f"http://127.0.0.1:{server.port}"
    anonymous = watch(
        sized(width, height, scale).new_page(),
        errors_seen,
    )
    anonymous.goto(f"{base}/")
    expect(anonymous.get_by_role("heading", name="Set up Reelhouse")).to_be_visible()
    check_page(anonymous, camera, f"{screen}-setup", floor)
    server.create_user("owner", Role.OWNER)
    anonymous.goto(f"{base}/#/signin")
    # The app learned "not set up yet" when it loaded; a fresh load asks again.
    anonymous.reload()
    expect(anonymous.get_by_role("heading", name=re.compile("^Sign in"))).to_be_visible()
    check_page(anonymous, camera, f"{screen}-signin", floor)

    context = sized(width, height, scale)
    context.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    page = watch(context.new_page(), errors_seen)
    pages = [
        # (name, path, its heading, the last thing it draws)
        ("home", "/", "Home", "Recently added in Films"),
        ("library", f"/library/{library_id}", "Films", "Amber Fields"),
        ("search", "/search?q=amber", re.compile("Results for"), "Amber Fields"),
        ("account", "/account", re.compile("Account"), "Sessions"),
        ("servers", "/servers", "Servers", "Reachable"),
        ("settings-general", "/settings/general", "General", "Save Changes"),
        ("settings-users", "/settings/users", "Users & Sharing", "Managed profiles"),
        ("settings-network", "/settings/network", "Network", "Save Changes"),
        ("settings-links", "/settings/links", "Linked servers", "No linked servers yet."),
    ]
    for name, path, heading, last in pages:
        page.goto(f"{base}/#{path}")
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        expect(page.get_by_text(last).first).to_be_visible()
        check_page(page, camera, f"{screen}-{name}", floor)
    page.goto(f"{base}/#/search?q=rather")
    page.get_by_role("link", name=re.compile("A Rather Long")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("A Rather Long")
    check_page(page, camera, f"{screen}-item", floor)
    page.get_by_role("link", name="Play", exact=True).click()
    expect(page.locator("video")).to_be_visible()
    check_page(page, camera, f"{screen}-player", floor)
    assert errors_seen == []
