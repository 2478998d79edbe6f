"""Managed profiles in a real browser: the owner adds one with a PIN, and it is picked from the list at home."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_player_journey import scanned, signed_in

pytestmark = pytest.mark.browser


def test_a_profile_is_picked_from_the_list_and_its_pin_is_asked(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    (tmp_path / "media" / "Cartoons").mkdir(parents=True)
    scanned(server, "Cartoons", "movies", tmp_path / "media" / "Cartoons")
    owner = signed_in(server, context_factory, errors_seen)
    owner.goto(f"http://127.0.0.1:{server.port}/#/settings/users")
    form = owner.get_by_role("form", name="New managed profile")
    form.get_by_label("Profile name").fill("kit")
    form.get_by_label("PIN (optional)").fill("2468")
    # A profile shares nothing until the owner picks its libraries.
    form.get_by_role("button", name="Add profile").click()
    expect(form.get_by_role("group", name="Libraries")).to_contain_text("Choose the libraries to share")
    form.get_by_label("Cartoons").check()
    form.get_by_role("button", name="Add profile").click()
    expect(owner.get_by_role("status")).to_have_text("The profile kit was added.")
    camera.shot(owner, "profile-added")

    page = watch(context_factory().new_page(), errors_seen)
    page.goto(f"http://127.0.0.1:{server.port}/")
    expect(page.get_by_role("heading", name=re.compile("^Sign in"))).to_be_visible()
    page.get_by_role("link", name="Pick a profile instead").click()
    expect(page.get_by_role("heading", name="Who is watching?")).to_be_visible()
    profiles = page.get_by_role("list", name="Profiles")
    expect(profiles.get_by_role("button")).to_have_text(["kit"])
    camera.shot(page, "profiles")
    profiles.get_by_role("button", name="kit").click()
    pin = page.get_by_label("PIN")
    expect(pin).to_be_focused()
    pin.fill("1357")
    page.get_by_role("button", name="Continue").click()
    alert = page.get_by_role("alert")
    # A sentence a person understands, not a status code or an error name.
    expect(alert).to_have_text("That profile or PIN is not right.")
    expect(page.get_by_role("heading", name="Who is watching?")).to_be_visible()
    camera.shot(page, "wrong-pin")

    pin.fill("2468")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Cartoons")).to_be_visible()
    expect(nav.get_by_role("link", name="Settings")).to_have_count(0)
    me = page.request.get(f"http://127.0.0.1:{server.port}/api/me")
    assert me.ok
    assert me.json()["username"] == "kit"
    camera.shot(page, "profile-home")
    assert errors_seen == []
