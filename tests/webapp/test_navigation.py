"""Navigation with twenty libraries: on a phone the header stays one row and the libraries open as a drawer from
a button that says whether it is open; on a desktop the side navigation lists every library."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from reelhouse.domain.access import Role, system_actor
from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch

pytestmark = pytest.mark.browser

NAMES = [f"Library number {n:02d}" for n in range(1, 21)]


def twenty_libraries(server: RunningServer, tmp_path: Path) -> None:
    for name in NAMES:
        folder = tmp_path / "media" / name
        folder.mkdir(parents=True)
        server.server.services.libraries.add(system_actor("test"), name, "movies", [str(folder)])


def owner_page(
    server: RunningServer, contexts: Callable[..., BrowserContext], width: int, height: int, errors: list[str]
) -> Page:
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    context = contexts()
    context.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    page = watch(context.new_page(), errors)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()
    return page


# The visible things in the header and how tall it is: one row means every one of them starts on the same line.
HEADER = """() => {
  const top = document.getElementById('top');
  const boxes = [...top.querySelectorAll('a, button, input')].filter((el) => el.checkVisibility()
    && !el.closest('#side-nav')).map((el) => el.getBoundingClientRect());
  return [top.getBoundingClientRect().height, boxes.map((b) => b.top), boxes.map((b) => b.bottom)];
}"""


def test_on_a_phone_twenty_libraries_leave_the_header_one_row_and_open_as_a_drawer(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    twenty_libraries(server, tmp_path)
    page = owner_page(server, context_factory, 390, 844, errors_seen)
    height, tops, bottoms = page.evaluate(HEADER)
    assert height <= 64, f"the header is {height}px tall"
    assert len(tops) >= 4 and max(bottoms) <= height and min(tops) >= 0, (tops, bottoms)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    camera.shot(page, "phone-closed")

    toggle = page.get_by_role("button", name="Libraries")
    libraries = page.get_by_role("list", name="Libraries")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(libraries).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(libraries.get_by_role("link", name="Home")).to_be_focused()
    links = libraries.get_by_role("link")
    expect(links).to_have_count(22)  # Home, Playlists and the twenty
    last = libraries.get_by_role("link", name=NAMES[-1])
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()
    camera.shot(page, "phone-drawer")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    toggle.click()
    last.click()
    expect(page.get_by_role("heading", name=NAMES[-1], level=1)).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(libraries).to_be_hidden()

    # Servers, Settings and the account sit behind the account button in the same row.
    account = page.get_by_role("button", name="Account menu for owner")
    expect(page.get_by_role("link", name="Settings")).to_be_hidden()
    account.click()
    expect(account).to_have_attribute("aria-expanded", "true")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="General", level=1)).to_be_visible()
    assert errors_seen == []


def test_on_a_desktop_the_side_navigation_lists_all_twenty_libraries(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    twenty_libraries(server, tmp_path)
    page = owner_page(server, context_factory, 1280, 800, errors_seen)
    expect(page.get_by_role("button", name="Libraries")).to_be_hidden()
    # Twenty empty libraries make no twenty empty shelves on Home.
    expect(page.get_by_text("Nothing has been added to your libraries yet.")).to_be_visible()
    expect(page.get_by_role("heading", name="Recently added", exact=False)).to_have_count(0)
    libraries = page.get_by_role("navigation", name="Main").get_by_role("list", name="Libraries")
    expect(libraries.get_by_role("link")).to_have_text(["Home", "Playlists", *NAMES])
    for name in (NAMES[0], NAMES[-1]):
        link = libraries.get_by_role("link", name=name)
        link.scroll_into_view_if_needed()
        expect(link).to_be_in_viewport()
    height = page.evaluate("() => document.getElementById('top').getBoundingClientRect().height")
    assert height <= 64, f"the header is {height}px tall"
    for name in ("Servers", "Settings", "owner"):
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=name)).to_be_visible()
    # The side navigation never covers the page: the heading starts to its right.
    side = libraries.bounding_box()
    heading = page.get_by_role("heading", name="Home", level=1).bounding_box()
    assert side is not None and heading is not None and heading["x"] >= side["x"] + side["width"]
    camera.shot(page, "desktop")
    libraries.get_by_role("link", name=NAMES[-1]).click()
    expect(page.get_by_role("heading", name=NAMES[-1], level=1)).to_be_visible()
    expect(libraries.get_by_role("link", name=NAMES[-1])).to_have_attribute("aria-current", "page")
    assert errors_seen == []


def home_still_loading(
    server: RunningServer,
    contexts: Callable[..., BrowserContext],
    folder: Path,
    errors: list[str],
    width: int,
) -> tuple[Page, Route]:
    """Home with one library, its heading drawn and its shelves request held: the page has not finished loading."""
    (folder / "films").mkdir()
    server.server.services.libraries.add(system_actor("test"), "Films", "movies", [str(folder / "films")])
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    context = contexts()
    context.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    page = watch(context.new_page(), errors)
    page.set_viewport_size({"width": width, "height": 844})
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/api/home/shelves", hold)
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()
    for _ in range(250):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "Home asked for its shelves"
    return page, held[0]


def finish_loading(page: Page, shelves: Route) -> None:
    shelves.continue_()
    page.wait_for_function("() => performance.getEntriesByName('reelhouse:rendered').length > 0")


def test_a_drawer_opened_while_home_is_still_loading_keeps_its_focus(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    page, shelves = home_still_loading(server, context_factory, tmp_path, errors_seen, 390)
    page.get_by_role("button", name="Libraries").click()
    home = page.get_by_role("list", name="Libraries").get_by_role("link", name="Home")
    expect(home).to_be_focused()
    # The page finishes loading after the drawer opened: focus stays where the user put it.
    finish_loading(page, shelves)
    expect(home).to_be_focused()
    assert errors_seen == []


def test_a_link_reached_by_keyboard_while_home_loads_keeps_its_focus(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    page, shelves = home_still_loading(server, context_factory, tmp_path, errors_seen, 1280)
    # On a desktop no drawer opens: the user simply moved to a link of the side navigation before Home finished.
    playlists = page.get_by_role("navigation", name="Main").get_by_role("link", name="Playlists")
    playlists.focus()
    expect(playlists).to_be_focused()
    finish_loading(page, shelves)
    expect(playlists).to_be_focused()
    assert errors_seen == []
