"""The Account page's Quick Connect section: a person enters the code an app shows, and the app is signed in."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, expect

from reelhouse.domain.access import Role
from tests.compat.jellyfin.conftest import APP, DEVICE, jellyfin_client
from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch


def test_a_code_entered_on_the_account_page_signs_the_app_in(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
) -> None:
    server.create_user("owner", Role.OWNER)
    context = context_factory()
    token = server.sign_in("owner").token
    context.add_cookies([{"name": "reelhouse", "value": token, "url": f"http://127.0.0.1:{server.port}"}])
    page = watch(context.new_page(), errors_seen)
    app = jellyfin_client(server)
    started = app.post("/jellyfin/QuickConnect/Initiate").json()
    page.goto(f"http://127.0.0.1:{server.port}/#/account")
    page.get_by_label("Code shown by the app").fill("000000" if started["Code"] != "000000" else "111111")
    page.get_by_role("button", name="Sign in the app").click()
    expect(page.locator('[data-field="code"] .error')).to_be_visible()
    page.get_by_label("Code shown by the app").fill(started["Code"])
    page.get_by_role("button", name="Sign in the app").click()
    expect(page.get_by_text(f"{APP} on {DEVICE} may now sign in as you")).to_be_visible()
    camera.shot(page, "quick-connect-approved")
    signed = app.post("/jellyfin/Users/AuthenticateWithQuickConnect", {"Secret": started["Secret"]})
    assert signed.status == 200 and signed.json()["User"]["Name"] == "owner"
    page.reload()
    sessions = page.get_by_role("region", name="Sessions, devices and API tokens")
    expect(sessions.get_by_text(f"{DEVICE} ({APP})")).to_be_visible()
    camera.shot(page, "quick-connect-device-listed")
    assert [e for e in errors_seen if not re.search(r"\b4\d\d\b", e)] == []
