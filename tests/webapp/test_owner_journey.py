"""The owner's first run in a real browser: setup code → library → scan → browse → item → search → settings → audit."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch

PASSWORD = "silver harbour lantern"


pytestmark = pytest.mark.browser


def set_up_owner(page: Page, server: RunningServer, camera: Camera) -> None:
    code = server.server.services.accounts.issue_setup_code()
    assert code is not None
    page.goto(f"http://127.0.0.1:{server.port}/")
    expect(page.get_by_role("heading", name="Set up Reelhouse")).to_be_visible()
    camera.shot(page, "setup")
    page.get_by_label("Setup code").fill(code)
    page.get_by_label("Your username").fill("owner")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create owner").click()
    expect(page.get_by_role("heading", name="Your server is ready")).to_be_visible()


def test_owner_sets_up_adds_a_library_and_browses_it(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    movies: Path,
    errors_seen: list[str],
) -> None:
    page = watch(context_factory().new_page(), errors_seen)
    set_up_owner(page, server, camera)
    camera.shot(page, "setup-done")

    page.get_by_label("Name", exact=True).fill("Films")
    page.get_by_label("Type").select_option("movies")
    page.get_by_label("Folder on this server").fill(str(movies))
    page.get_by_role("button", name="Add library").click()
    progress = page.locator(".scan")
    expect(progress).to_have_attribute("data-state", "done", timeout=30_000)
    expect(progress).to_contain_text("3 added")
    camera.shot(page, "scanned")

    page.get_by_role("link", name="Open Films").click()
    expect(page.get_by_role("heading", name="Films", level=1)).to_be_visible()
    grid = page.get_by_role("list", name=re.compile("Films, page 1"))
    expect(grid.get_by_role("listitem")).to_have_count(3)
    expect(grid.get_by_role("listitem").first).to_contain_text("Amber Fields")
    camera.shot(page, "library")

    page.get_by_label("Sort by").select_option("year")
    expect(grid.get_by_role("listitem").first).to_contain_text("Amber Fields")
    expect(grid.get_by_role("listitem").last).to_contain_text("The Quiet Lake")
    page.get_by_label("Year").fill("2019")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("list", name=re.compile("Films, page 1")).get_by_role("listitem")).to_have_count(
        1
    )
    camera.shot(page, "library-filtered")

    page.get_by_role("link", name=re.compile("Night Harbour")).click()
    expect(page.get_by_role("heading", name="Night Harbour", level=1)).to_be_visible()
    expect(page.get_by_text("2019", exact=False).first).to_be_visible()
    camera.shot(page, "item")

    page.get_by_role("combobox", name="Search").fill("quiet")
    page.get_by_role("combobox", name="Search").press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Results for"))).to_be_visible()
    results = page.get_by_role("list", name="Search results")
    expect(results.get_by_role("listitem")).to_have_count(1)
    expect(results).to_contain_text("The Quiet Lake")
    camera.shot(page, "search")
    assert errors_seen == []


def test_settings_save_all_or_nothing_and_show_errors_beside_their_fields(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
) -> None:
    page = watch(context_factory().new_page(), errors_seen)
    set_up_owner(page, server, camera)
    page.goto(f"http://127.0.0.1:{server.port}/#/servers")
    expect(page.get_by_role("heading", name="Servers")).to_be_visible()
    expect(page.get_by_text("Reachable")).to_be_visible()
    # What to type into Jellyfin's and Subsonic's apps.
    origin = f"http://127.0.0.1:{server.port}"
    servers = page.get_by_role("list", name="Servers")
    expect(servers.locator("dt", has_text="Jellyfin apps").locator("+ dd")).to_have_text(f"{origin}/jellyfin")
    expect(servers.locator("dt", has_text="Subsonic apps").locator("+ dd")).to_have_text(origin)
    camera.shot(page, "servers")
    page.get_by_role("link", name="Settings", exact=True).last.click()

    expect(page.get_by_role("heading", name="General", level=1)).to_be_visible()
    page.get_by_label("Server name").fill("Living Room")
    page.get_by_label("Public URLs").fill("not a url")
    page.get_by_role("button", name="Save Changes").click()
    error = page.locator('[data-field="public_urls"] .error')
    expect(error).to_be_visible()
    expect(error).to_have_text(re.compile(r"^'not a url' is not an http\(s\) URL with a host\.$"))
    expect(page.get_by_label("Public URLs")).to_have_attribute("aria-invalid", "true")
    camera.shot(page, "general-error")
    # All or nothing: the valid name in the same batch was not saved either.
    assert server.server.services.settings.get("server_name") == "Reelhouse"

    page.get_by_label("Public URLs").fill("https://media.example.org")
    page.get_by_role("button", name="Save Changes").click()
    expect(page.get_by_role("status")).to_have_text("Changes saved.")
    assert server.server.services.settings.get("server_name") == "Living Room"
    assert server.server.services.settings.get("public_urls") == ("https://media.example.org",)
    camera.shot(page, "general-saved")

    page.get_by_role("link", name="Remote Access").click()
    expect(page.get_by_role("heading", name="Remote Access", level=1)).to_be_visible()
    page.get_by_label("Remote IP filter", exact=True).select_option("allow")
    page.get_by_role("button", name="Save Changes").click()
    expect(page.locator('[data-field="remote_ip_filter"] .error')).to_have_text(
        "An allow-list needs at least one entry."
    )
    camera.shot(page, "remote-access-error")

    page.get_by_role("link", name="Network").click()
    expect(page.get_by_role("heading", name="Network", level=1)).to_be_visible()
    page.get_by_label("LAN networks").fill("192.168.1.0/24\nnot-a-network")
    page.get_by_role("button", name="Save Changes").click()
    expect(page.locator('[data-field="lan_networks"] .error')).to_contain_text(
        "'not-a-network' is not an address"
    )
    camera.shot(page, "network-error")

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    table = page.get_by_role("table")
    expect(table).to_be_visible()
    camera.shot(page, "audit")
    page.get_by_label("Action").fill("no-such-action")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No audit entries match.")).to_be_visible()
    assert errors_seen == []
