"""The grants editor in a real browser: the owner narrows a member's permissions and the member sees the change."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_player_journey import scanned, signed_in

pytestmark = pytest.mark.browser


def member_page(
    server: RunningServer, context_factory: Callable[..., BrowserContext], errors: list[str]
) -> Page:
    server.create_user("alice")
    context = context_factory()
    token = server.sign_in("alice").token
    context.add_cookies([{"name": "reelhouse", "value": token, "url": f"http://127.0.0.1:{server.port}"}])
    return watch(context.new_page(), errors)


def test_owner_narrows_a_members_libraries_and_rating_and_the_member_sees_only_those(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    films = [
        ("Films", "Blue Coast (2010)", "R"),
        ("Films", "Little Boat (2012)", "G"),
        ("Private", "Secret Diary (2015)", ""),
    ]
    for library, title, rating in films:
        folder = tmp_path / "media" / library / title
        media_kit.video_at(folder / f"{title}.mp4")
        (folder / f"{title}.nfo").write_text(
            f"<movie><title>{title[:-7]}</title><mpaa>{rating}</mpaa></movie>"
        )
    for library in ("Films", "Private"):
        scanned(server, library, "movies", tmp_path / "media" / library)
    owner = signed_in(server, context_factory, errors_seen)
    member = member_page(server, context_factory, errors_seen)
    member.goto(f"http://127.0.0.1:{server.port}/")
    nav = member.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Private")).to_be_visible()

    owner.goto(f"http://127.0.0.1:{server.port}/#/settings/users")
    row = owner.get_by_role("list", name="Users").get_by_role("listitem").filter(has_text="alice")
    expect(row).to_contain_text("All libraries")
    row.get_by_role("button", name="Edit").click()
    editor = owner.get_by_role("form", name="Permissions of alice")
    editor.get_by_label("Films").check()
    expect(editor.get_by_label("Only these:")).to_be_checked()
    editor.get_by_label("May download files").check()
    editor.get_by_label("Highest content rating").select_option(label="PG, TV-PG (10+)")
    bitrate = editor.get_by_label("Bitrate limit (kbit/s)")
    bitrate.fill("-5")
    editor.get_by_role("button", name="Save Changes").click()
    error = editor.locator('[data-field="max_bitrate_kbps"] .error')
    expect(error).to_be_visible()
    expect(error).to_have_text(re.compile(r"^Bitrate limit \(kbit/s\) .+\.$"))
    expect(bitrate).to_have_attribute("aria-invalid", "true")
    expect(bitrate).to_be_focused()
    camera.shot(owner, "grants-error")
    # Nothing of the rejected batch was saved: alice still sees every library.
    member.reload()
    expect(nav.get_by_role("link", name="Private")).to_be_visible()

    bitrate.fill("4000")
    editor.get_by_role("button", name="Save Changes").click()
    expect(owner.get_by_role("status")).to_have_text("Changes to alice saved.")
    row = owner.get_by_role("list", name="Users").get_by_role("listitem").filter(has_text="alice")
    expect(row).to_contain_text("Films ·")
    row.get_by_role("button", name="Edit").click()
    expect(editor.get_by_label("Highest content rating")).to_have_value("10")
    expect(editor.get_by_label("Films")).to_be_checked()
    camera.shot(owner, "grants-saved")
    users = server.sign_in("owner").get("/api/users").json()
    grants = next(u for u in users if u["username"] == "alice")["grants"]
    assert grants["may_download"] is True
    assert grants["max_bitrate_kbps"] == 4000
    assert grants["max_rating"] == {"movies": 10, "shows": 10, "home_videos": 10}

    member.reload()
    expect(nav.get_by_role("link", name="Films")).to_be_visible()
    expect(nav.get_by_role("link", name="Private")).to_have_count(0)
    # Private is not granted, and Blue Coast is rated above PG; Little Boat (G) is still there.
    for hidden in ("secret", "blue"):
        member.goto(f"http://127.0.0.1:{server.port}/#/search?q={hidden}")
        expect(member.get_by_text("Nothing matches that search.")).to_be_visible()
    member.goto(f"http://127.0.0.1:{server.port}/#/search?q=little")
    expect(member.get_by_role("list", name="Search results")).to_contain_text("Little Boat")
    camera.shot(member, "member-after")
    assert errors_seen == []
