"""Browser fixtures: Debian's Chromium driven by Playwright, a real server, and a screenshot of every page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.harness import RunningServer
from tests.mediagen import MediaKit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as pw:
        # Never a downloaded browser: Playwright drives the system's Chromium.
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path / "data")
    yield running
    running.stop()


@pytest.fixture
def context_factory(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    made: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, **options)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


class Camera:
    """Saves a screenshot of each page a test visits, numbered in visiting order."""

    def __init__(self, test_name: str) -> None:
        self.prefix = re.sub(r"[^A-Za-z0-9_-]+", "_", test_name)
        self.count = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(self, page: Page, name: str) -> Path:
        self.count += 1
        path = SCREENSHOTS / f"{self.prefix}-{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def camera(request: pytest.FixtureRequest) -> Camera:
    return Camera(request.node.name)


@pytest.fixture
def errors_seen() -> list[str]:
    """Console errors and page exceptions; a journey fails if the app itself throws."""
    return []


def watch(page: Page, errors: list[str]) -> Page:
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console: {msg.text}")
            if msg.type == "error" and "status of 4" not in msg.text
            else None
        ),
    )
    return page


@pytest.fixture
def movies(media_kit: MediaKit, tmp_path: Path) -> Path:
    """A movies folder with three tiny films made by ffmpeg."""
    root = tmp_path / "media" / "Movies"
    for title, year in [("Night Harbour", 2019), ("Amber Fields", 2021), ("The Quiet Lake", 2008)]:
        media_kit.video_at(root / f"{title} ({year})" / f"{title} ({year}).mp4")
    return root
