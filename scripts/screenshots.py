"""Regenerate the screenshots in docs/screenshots/ from a real server and Debian's Chromium: the README's few,
and every page of the app (the tour in tests/webapp/tour.py) at phone, desktop and TV sizes in phone/, desktop/
and tv/ beside them.

Run: .venv/bin/python scripts/screenshots.py   (needs ffmpeg and /usr/bin/chromium; takes about a minute)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402
from tests.harness import RunningServer  # noqa: E402
from tests.mediagen import MediaKit  # noqa: E402
from tests.webapp.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.webapp.tour import tour, world  # noqa: E402

from reelhouse.domain.access import system_actor  # noqa: E402
from reelhouse.domain.library import LibraryKind  # noqa: E402
from reelhouse.media.demo import generate_demo_library  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PASSWORD = "screenshot passphrase"  # noqa: S105 - a throwaway server in a temporary folder
FILMS = [
    ("Night Harbour", 2019),
    ("Amber Fields", 2021),
    ("The Quiet Lake", 2008),
    ("Paper Lanterns", 2015),
    ("North Of Tomorrow", 2023),
    ("Salt And Iron", 1998),
]
# (folder, width, height): a phone held upright, a laptop, a 1080p television.
SIZES = [("phone", 390, 844), ("desktop", 1440, 900), ("tv", 1920, 1080)]


def make_media(folder: Path) -> Path:
    kit = MediaKit(folder / "masters")
    root = folder / "Movies"
    for title, year in FILMS:
        kit.video_at(root / f"{title} ({year})" / f"{title} ({year}).mp4")
    return root


# Every picture on the page has arrived and decoded: a broken thumbnail has no natural width.
PICTURES_LOADED = """() => {
  const pictures = [...document.querySelectorAll('main img')];
  return pictures.length > 0 && pictures.every((img) => img.complete && img.naturalWidth > 0);
}"""


def shoot(page: Page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    # Let toasts fade out of the picture.
    page.evaluate("() => { document.getElementById('status').textContent = ''; }")
    page.screenshot(path=str(OUT / f"{name}.png"))
    print(f"wrote docs/screenshots/{name}.png")


def every_page(browser: Browser, kit: MediaKit, folder: Path) -> None:
    """The tour at each size, each on a fresh server, since the tour starts at first setup."""
    for size, width, height in SIZES:
        server = RunningServer(folder / size / "data")
        try:
            ids = world(server, kit, folder / size)
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            out = OUT / size
            out.mkdir(parents=True, exist_ok=True)
            for name in tour(page, server, ids):
                page.wait_for_load_state("networkidle")
                # A toast from the page before (such as "Resuming at 0:09.") does not belong in this one's picture.
                page.evaluate(
                    "() => { const s = document.getElementById('status'); if (s) s.textContent = ''; }"
                )
                page.screenshot(path=str(out / f"{name}.png"))
                print(f"wrote docs/screenshots/{size}/{name}.png")
            context.close()
        finally:
            server.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as name, sync_playwright() as pw:
        tmp = Path(name)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        readme(browser, tmp)
        every_page(browser, MediaKit(tmp / "masters"), tmp / "tour")
        browser.close()


def readme(browser: Browser, tmp: Path) -> None:
    """The README's pictures: first setup through the pages, and Home with the demo library's photos."""
    movies = make_media(tmp / "media")
    server = RunningServer(tmp / "data")
    base = f"http://127.0.0.1:{server.port}"
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        code = server.server.services.accounts.issue_setup_code()
        assert code is not None
        page.goto(f"{base}/")
        expect(page.get_by_label("Setup code")).to_be_visible()
        shoot(page, "setup")
        page.get_by_label("Setup code").fill(code)
        page.get_by_label("Your username").fill("owner")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Password again").fill(PASSWORD)
        page.get_by_role("button", name="Create owner").click()
        expect(page.get_by_role("heading", name="Your server is ready")).to_be_visible()
        page.get_by_label("Name", exact=True).fill("Films")
        page.get_by_label("Folder on this server").fill(str(movies))
        page.get_by_role("button", name="Add library").click()
        expect(page.locator(".scan")).to_have_attribute("data-state", "done", timeout=60_000)
        page.get_by_role("link", name="Open Films").click()
        expect(page.locator(".grid li")).to_have_count(len(FILMS))
        shoot(page, "library")
        page.get_by_role("link", name="Night Harbour").click()
        expect(page.get_by_role("heading", name="Night Harbour", level=1)).to_be_visible()
        shoot(page, "item")
        page.goto(f"{base}/#/settings/remote")
        expect(page.get_by_role("heading", name="Remote Access", level=1)).to_be_visible()
        shoot(page, "remote-access")
        page.goto(f"{base}/#/settings/users")
        expect(page.get_by_role("heading", name="Invite Friend")).to_be_visible()
        shoot(page, "users-and-sharing")
        # The demo library's camera photos (EXIF sub-IFDs, GPS, a sideways one) on the Home page.
        demo = generate_demo_library(tmp / "demo")
        photos = server.server.services.libraries.add(
            system_actor("screenshots"), "Photos", "photos", [str(demo[LibraryKind.PHOTOS])]
        )
        server.server.scanner.scan(photos)
        server.server.services.catalogue.catalogue_changed()
        # The library was added behind the page's back: load the page afresh to see it.
        page.goto(f"{base}/#/")
        page.reload()
        expect(page.get_by_role("heading", name="Home")).to_be_visible()
        page.wait_for_function(PICTURES_LOADED, timeout=30_000)
        shoot(page, "home")
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        phone.context.add_cookies(page.context.cookies())
        phone.goto(page.url.split("#")[0] + "#/")
        expect(phone.get_by_role("heading", name="Home")).to_be_visible()
        shoot(phone, "home-phone")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
