"""Photos in a real browser: the grid opens the viewer, and Next/Previous (buttons and arrow keys) move through it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, expect

from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_owner_journey import set_up_owner
from tests.webapp.test_sharing_journey import add_library

pytestmark = pytest.mark.browser

IMAGE_LOADED = "() => { const i = document.querySelector('.photo-viewer img'); return i && i.complete && i.naturalWidth > 0; }"


def test_photo_viewer_moves_to_the_next_and_previous_photo(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    folder = tmp_path / "media" / "Photos" / "Beach Day"
    folder.mkdir(parents=True)
    for name, colour in [
        ("a-shore", (30, 120, 200)),
        ("b-dunes", (220, 190, 120)),
        ("c-sunset", (240, 110, 40)),
    ]:
        Image.new("RGB", (64, 48), colour).save(folder / f"{name}.jpg", quality=80)
    page = watch(context_factory().new_page(), errors_seen)
    set_up_owner(page, server, camera)
    add_library(page, "Photos", "photos", folder.parent)
    page.get_by_role("link", name="Open Photos").click()
    grid = page.locator(".grid li a")
    expect(grid).to_have_count(3)
    camera.shot(page, "photos")
    grid.first.click()
    expect(page.get_by_text("1 of 3")).to_be_visible()
    page.wait_for_function(IMAGE_LOADED)
    first = page.get_by_role("heading", level=1).inner_text()
    camera.shot(page, "viewer")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("2 of 3")).to_be_visible()
    page.wait_for_function(IMAGE_LOADED)
    assert page.get_by_role("heading", level=1).inner_text() != first
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_text("1 of 3")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(first)
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    assert errors_seen == []
