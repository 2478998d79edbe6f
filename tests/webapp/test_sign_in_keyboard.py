"""Signing in with the keyboard alone, and landing on the page that asked for it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from reelhouse.domain.access import Role
from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch

pytestmark = pytest.mark.browser


def test_signed_out_visitor_signs_in_by_keyboard_and_returns_to_the_page_asked_for(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
) -> None:
    server.create_user("owner", Role.OWNER, password="a keyboard passphrase")
    page = watch(context_factory().new_page(), errors_seen)
    page.goto(f"http://127.0.0.1:{server.port}/#/settings/audit")
    heading = page.get_by_role("heading", name="Sign in to Reelhouse")
    expect(heading).to_be_focused()
    camera.shot(page, "sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("owner")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong passphrase")
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    assert alert.inner_text().strip().endswith(".")
    camera.shot(page, "sign-in-refused")
    page.get_by_label("Password").fill("")
    page.get_by_label("Password").focus()
    page.keyboard.type("a keyboard passphrase")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_focused()
    camera.shot(page, "audit-after-sign-in")
    assert errors_seen == []
