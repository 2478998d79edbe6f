"""Photos as a timeline in a real browser: month headings by date taken, the full-screen viewer (arrow keys, swipe,
Escape back to the same place), the slideshow, and the year, month and camera filters, on JPEGs with real EXIF;
and home videos, newest recorded first."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.scanner.test_home_video_recorded import recorded
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_owner_journey import set_up_owner
from tests.webapp.test_sharing_journey import add_library

pytestmark = pytest.mark.browser

IMAGE_LOADED = "() => { const i = document.querySelector('.photo-stage img'); return i && i.complete && i.naturalWidth > 0; }"
# Newest first, then the photo without a date.
SHOTS = [
    ("beach", "2024:05:01 10:00:00", "Z9", 1),
    ("harbour", "2024:03:10 09:00:00", "Z9", 1),
    # Stored landscape and turned by EXIF Orientation 6, as phones save portraits.
    ("kite", "2024:03:02 15:30:00", "P7", 6),
    ("tree", "2023:12:25 08:00:00", "Z9", 1),
    ("scan", None, None, 1),
]


def shoot(folder: Path) -> None:
    folder.mkdir(parents=True)
    for number, (name, taken, model, orientation) in enumerate(SHOTS):
        exif = Image.Exif()
        exif[274] = orientation
        if model:
            exif[271], exif[272] = "Acme", model
        if taken:
            exif.get_ifd(0x8769)[36867] = taken
        colour = (40 + number * 40, 120, 200 - number * 30)
        Image.new("RGB", (96, 64), colour).save(folder / f"{name}.jpg", "JPEG", quality=85, exif=exif)


@pytest.fixture
def photos_page(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> Page:
    folder = tmp_path / "media" / "Family"
    shoot(folder)
    page = watch(context_factory(locale="en-GB").new_page(), errors_seen)
    set_up_owner(page, server, camera)
    add_library(page, "Family", "photos", folder)
    page.get_by_role("link", name="Open Family").click()
    expect(page.locator(".timeline-month")).to_have_count(4)
    return page


def months(page: Page) -> list[tuple[str, list[str]]]:
    found = []
    for section in page.locator(".timeline-month").all():
        titles = section.locator(".title").all_inner_texts()
        found.append((section.get_by_role("heading", level=2).inner_text(), titles))
    return found


def viewing(page: Page, title: str, position: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".photo-facts")).to_contain_text(position)


def test_timeline_groups_by_month_and_the_viewer_moves_by_key_and_swipe(
    photos_page: Page, camera: Camera, errors_seen: list[str]
) -> None:
    page = photos_page
    assert months(page) == [
        ("May 2024", ["beach"]),
        ("March 2024", ["harbour", "kite"]),
        ("December 2023", ["tree"]),
        ("Undated", ["scan"]),
    ]
    camera.shot(page, "timeline")
    page.get_by_role("link", name=re.compile("^harbour")).click()
    viewing(page, "harbour", "2 of 5")
    expect(page.locator(".photo-facts")).to_contain_text("Acme Z9")
    page.wait_for_function(IMAGE_LOADED)
    page.keyboard.press("ArrowRight")
    viewing(page, "kite", "3 of 5")
    page.wait_for_function(IMAGE_LOADED)
    # The portrait is shown upright: taller than wide, though its pixels are stored sideways.
    width, height = page.locator(".photo-stage img").evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert height > width, (width, height)
    camera.shot(page, "viewer-portrait")
    page.keyboard.press("ArrowLeft")
    viewing(page, "harbour", "2 of 5")
    stage = page.locator(".photo-stage").bounding_box()
    assert stage is not None
    x, y = stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2
    for dx, title, position in ((-200, "kite", "3 of 5"), (-200, "tree", "4 of 5"), (200, "kite", "3 of 5")):
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + dx, y + 10, steps=6)
        page.mouse.up()
        viewing(page, title, position)
    page.keyboard.press("Escape")
    expect(page.locator(".timeline-month")).to_have_count(4)
    # Back on the timeline where the viewer was: the photo it last showed has the focus.
    expect(page.locator('.timeline a[data-at="2"]')).to_be_focused()
    expect(page.locator('.timeline a[data-at="2"] .title')).to_have_text("kite")
    assert errors_seen == []


def test_slideshow_advances_and_space_pauses_it(photos_page: Page, errors_seen: list[str]) -> None:
    page = photos_page
    # The slides' timer runs on Playwright's clock, moved on by hand past each four-second slide.
    page.clock.install()
    page.get_by_role("link", name=re.compile("^beach")).click()
    viewing(page, "beach", "1 of 5")
    page.get_by_role("button", name="Slideshow").click()
    expect(page.get_by_role("button", name="Pause slideshow")).to_be_visible()
    page.clock.run_for(4_000)
    viewing(page, "harbour", "2 of 5")
    expect(page.get_by_role("button", name="Pause slideshow")).to_be_visible()
    page.keyboard.press("Space")
    expect(page.get_by_role("status").filter(has_text="Slideshow paused")).to_have_count(1)
    page.clock.run_for(5_500)
    # A slide timer left running would now be opening the next photo: give it a real second.
    page.wait_for_timeout(1_000)
    viewing(page, "harbour", "2 of 5")
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Pause slideshow")).to_be_visible()
    page.clock.run_for(4_000)
    viewing(page, "kite", "3 of 5")
    assert errors_seen == []


def test_year_month_and_camera_filters_narrow_the_timeline(photos_page: Page, errors_seen: list[str]) -> None:
    page = photos_page
    page.get_by_label("Year").select_option("2023")
    expect(page.locator(".timeline-month")).to_have_count(1)
    assert months(page) == [("December 2023", ["tree"])]
    page.get_by_label("Year").select_option("2024")
    expect(page.locator(".timeline-month")).to_have_count(2)
    page.get_by_label("Month").select_option(label="March")
    expect(page.locator(".timeline-month")).to_have_count(1)
    assert months(page) == [("March 2024", ["harbour", "kite"])]
    page.get_by_label("Camera").select_option("Acme P7")
    expect(page.locator(".timeline .title")).to_have_text(["kite"])
    # The filters go with the viewer: its next and previous stay inside them.
    page.get_by_role("link", name=re.compile("^kite")).click()
    viewing(page, "kite", "1 of 1")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    assert errors_seen == []


def test_home_videos_open_newest_recorded_first(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    media_kit: MediaKit,
    errors_seen: list[str],
) -> None:
    folder = tmp_path / "media" / "Clips"
    for name, when in (
        ("beach", "2019-08-15T16:30:00Z"),
        ("aquarium", "2023-02-01T11:00:00Z"),
        ("zoo", "2021-06-01T10:00:00Z"),
    ):
        recorded(media_kit.master("video.mp4"), folder / f"{name}.mp4", when)
    page = watch(context_factory().new_page(), errors_seen)
    set_up_owner(page, server, camera)
    add_library(page, "Clips", "home_videos", folder)
    page.get_by_role("link", name="Open Clips").click()
    expect(page.locator(".grid .title")).to_have_text(["aquarium", "zoo", "beach"])
    expect(page.get_by_label("Sort by")).to_have_value("taken")
    page.get_by_label("Sort by").select_option("title")
    expect(page.locator(".grid .title")).to_have_text(["aquarium", "beach", "zoo"])
    assert errors_seen == []
