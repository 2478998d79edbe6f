"""Seek preview thumbnails in a real browser: hovering the player's seek slider shows the tile of that moment,
drawn from the sheet the server made in the background; the owner turns them off per library in Settings."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.harness import RunningServer
from tests.webapp import playermedia
from tests.webapp.conftest import Camera
from tests.webapp.test_player_journey import LOADED, open_item, scanned, signed_in

pytestmark = pytest.mark.browser

PICTURE = ".seek-preview-picture"


def test_hovering_the_seek_slider_shows_the_preview_of_that_moment(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    folder = tmp_path / "media" / "Movies" / "Tide Line (2019)"
    playermedia.place(
        playermedia.h264_mp4(tmp_path / "masters", 30, "tide.mp4"), folder / "Tide Line (2019).mp4"
    )
    library_id = scanned(server, "Films", "movies", folder.parent)
    previews = server.server.services.seek_previews
    assert previews is not None
    previews.queue_library(library_id)
    assert previews.wait_idle(120)
    page = signed_in(server, context_factory, errors_seen)
    open_item(page, server, "Tide Line")
    page.get_by_role("link", name="Play", exact=True).click()
    page.wait_for_function(LOADED, timeout=15_000)
    page.evaluate("() => document.querySelector('video').pause()")
    slider = page.get_by_role("slider", name="Position")
    expect(slider).to_have_attribute("max", "30")
    preview = page.locator(".seek-preview")
    expect(preview).to_be_hidden()

    # Half way along the slider is 15 s: with a frame every 3 s, tile 5, the sixth of the first row.
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("aria-hidden", "true")
    expect(page.locator(".seek-preview-time")).to_have_text(re.compile(r"^0:1[45]$"))
    picture = page.locator(PICTURE)
    style = picture.evaluate(
        "(el) => ({ image: el.style.backgroundImage, position: el.style.backgroundPosition,"
        " width: el.getBoundingClientRect().width, height: el.getBoundingClientRect().height })"
    )
    assert "/seek-previews/0.jpg" in style["image"]
    assert style["position"] in ("-640px 0px", "-800px 0px", "-640px -0px", "-800px -0px"), style
    # The film is 96x64 (3:2): tiles 160 px wide keep that shape.
    assert (style["width"], style["height"]) == (160, 106)
    # The sheet itself loads under the page's CSP, as a picture of the whole 10x10 grid.
    width = page.evaluate(
        """(url) => new Promise((done) => { const i = new Image(); i.onload = () => done(i.naturalWidth);
             i.onerror = () => done(0); i.src = url; })""",
        style["image"].split('"')[1],
    )
    assert width == 1600
    camera.shot(page, "seek-preview-hover")

    # Further along, a later tile; off the slider, the picture goes.
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2)
    later = picture.evaluate("(el) => el.style.backgroundPosition")
    assert later != style["position"]
    page.mouse.move(box["x"], box["y"] - 200)
    expect(preview).to_be_hidden()

    # From the keyboard: the slider's own value picks the tile.
    slider.focus()
    page.keyboard.press("ArrowRight")
    expect(preview).to_be_visible()
    assert errors_seen == []


def test_the_owner_turns_seek_previews_off_for_a_library_in_settings(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    folder = tmp_path / "media" / "Movies"
    folder.mkdir(parents=True)
    library_id = scanned(server, "Films", "movies", folder)
    page = signed_in(server, context_factory, errors_seen)
    page.goto(f"http://127.0.0.1:{server.port}/#/settings/libraries")
    card = page.locator(f"[data-library='{library_id}']").first
    toggle = card.get_by_role("checkbox", name="Seek preview thumbnails")
    expect(toggle).to_be_checked()
    toggle.uncheck()
    expect(card.get_by_text("Seek previews are off.")).to_be_visible()
    assert server.owner().get(f"/api/libraries/{library_id}").json()["seek_previews"] is False
    page.reload()
    expect(page.locator(f"[data-library='{library_id}']").first.get_by_role("checkbox")).not_to_be_checked()
    assert errors_seen == []
