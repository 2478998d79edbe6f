"""The owner puts Home's "Recently added" shelves in order and hides one in Settings › General; Home follows,
for the owner and for a member alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_player_journey import scanned, signed_in

pytestmark = pytest.mark.browser


def starting(*names: str) -> list[re.Pattern[str]]:
    return [re.compile(f"^{name}") for name in names]


def recent_headings(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("section.shelf-section h2")


def test_the_owner_reorders_and_hides_home_shelves_and_everyones_home_follows(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    ids = {}
    for name, film in (
        ("Docs", "Deep Reef (2018)"),
        ("Films", "Amber Fields (2021)"),
        ("Kids", "Paper Boats (2020)"),
    ):
        root = tmp_path / "media" / name
        media_kit.video_at(root / film / f"{film}.mp4")
        ids[name] = scanned(server, name, "movies", root)
    page = signed_in(server, context_factory, errors_seen)
    base = f"http://127.0.0.1:{server.port}"
    page.goto(f"{base}/")
    expect(recent_headings(page)).to_have_text(
        ["Recently added in Docs", "Recently added in Films", "Recently added in Kids"]
    )

    page.goto(f"{base}/#/settings/general")
    rows = page.get_by_role("list", name="Home shelves").get_by_role("listitem")
    expect(rows).to_have_text(starting("Docs", "Films", "Kids"))
    expect(page.get_by_role("button", name="Move up: Docs")).to_be_disabled()
    page.get_by_role("button", name="Move up: Films").click()
    # Focus stays with the library that moved; at the top its "Move up" is off, so focus takes "Move down".
    expect(page.get_by_role("button", name="Move down: Films")).to_be_focused()
    rows.filter(has_text="Kids").get_by_label("Show on Home").uncheck()
    expect(rows).to_have_text(starting("Films", "Docs", "Kids"))
    camera.shot(page, "settings-home")
    page.get_by_role("button", name="Save Changes").click()
    expect(page.locator("#status")).to_have_text("Changes saved.")
    settings = server.server.services.settings
    assert settings.get("home_shelf_order") == (ids["Films"], ids["Docs"], ids["Kids"])
    assert settings.get("home_shelves_hidden") == (ids["Kids"],)

    # The saved order is what the page shows after a reload, Kids still unticked.
    page.reload()
    expect(rows).to_have_text(starting("Films", "Docs", "Kids"))
    expect(rows.filter(has_text="Kids").get_by_label("Show on Home")).not_to_be_checked()

    page.goto(f"{base}/")
    expect(recent_headings(page)).to_have_text(["Recently added in Films", "Recently added in Docs"])
    camera.shot(page, "home-owner")

    # A member who sees every library gets the owner's order, and no shelf for Kids.
    member = server.create_user("kim")
    server.server.services.users.update(  # type: ignore[union-attr]
        system_actor("test"), member, grants={"libraries": list(ids.values())}
    )
    context = context_factory()
    context.add_cookies(
        [{"name": "reelhouse", "value": server.sign_in("kim").token, "url": base}]  # type: ignore[list-item]
    )
    kim = watch(context.new_page(), errors_seen)
    kim.goto(f"{base}/")
    expect(recent_headings(kim)).to_have_text(["Recently added in Films", "Recently added in Docs"])
    # Hidden from Home, the library itself is still in the navigation.
    expect(kim.get_by_role("link", name="Kids", exact=True)).to_have_count(1)
    assert errors_seen == []
