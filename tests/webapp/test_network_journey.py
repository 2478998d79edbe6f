"""Remote Access and Secure connections from the owner's pages, checked from a remote client and the browser."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_owner_journey import PASSWORD, set_up_owner

REMOTE = "127.0.0.9"


pytestmark = pytest.mark.browser


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path / "data", https=True)
    yield running
    running.stop()
    # Collect now so anything the server leaves open is reported against this test, not the next one.
    gc.collect()


def test_owner_turns_remote_access_off_and_requires_secure_connections(
    tls_server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
) -> None:
    server = tls_server
    page = watch(context_factory(ignore_https_errors=True).new_page(), errors_seen)
    set_up_owner(page, server, camera)
    remote = server.anonymous(source=REMOTE)

    page.goto(f"http://127.0.0.1:{server.port}/#/settings/network")
    expect(page.get_by_role("heading", name="Network", level=1)).to_be_visible()
    expect(page.locator(".cert")).to_contain_text("SHA-256 fingerprint")
    fingerprint = server.server.services.certificates.info.fingerprint_sha256  # type: ignore[union-attr]
    expect(page.locator(".cert")).to_contain_text(fingerprint)
    page.get_by_label("LAN networks").fill("127.0.0.1/32")
    page.get_by_role("button", name="Save Changes").click()
    expect(page.get_by_role("status")).to_have_text("Changes saved.")
    camera.shot(page, "network")

    page.get_by_role("link", name="Remote Access").click()
    # The page says, one sentence each, what still stops a friend outside, and how to fix it.
    friends = page.get_by_role("region", name="Can a friend connect from outside?")
    expect(friends.locator('[data-check="remote_access"]')).to_contain_text("Enable remote access")
    page.get_by_label("Enable remote access").check()
    page.get_by_role("button", name="Save Changes").click()
    expect(page.locator('[data-topic="remote_access"]')).to_have_text(re.compile("^On: clients outside"))
    expect(friends.locator('[data-check="remote_access"]')).to_have_count(0)
    expect(friends.locator('[data-check="public_url"]')).to_contain_text("Public URLs on the General page")
    camera.shot(page, "remote-access-on")
    # On, a remote browser over plain HTTP is sent to HTTPS: something answers.
    assert remote.get("/").status == 308

    page.get_by_label("Enable remote access").uncheck()
    page.get_by_role("button", name="Save Changes").click()
    expect(page.locator('[data-topic="remote_access"]')).to_have_text(re.compile("^Off: clients outside"))
    camera.shot(page, "remote-access-off")
    for path in ("/", "/static/app.js", "/api/setup", "/api/auth/login"):
        answer = remote.get(path)
        assert (answer.status, answer.body) == (403, b"Forbidden\n"), path
        assert answer.header("Set-Cookie") is None

    page.get_by_role("link", name="Network").click()
    page.get_by_label(re.compile("^Required: HTTPS only")).check()
    page.get_by_role("button", name="Save Changes").click()
    page.get_by_role("dialog").get_by_role("button", name="Require HTTPS and move").click()
    page.wait_for_url(re.compile(rf"^https://127\.0\.0\.1:{server.https_port}/"))
    page.goto(f"http://127.0.0.1:{server.port}/")
    assert page.url.startswith(f"https://127.0.0.1:{server.https_port}/")
    # The HTTP session cookie does not travel to HTTPS, so the owner signs in again there.
    expect(page.get_by_role("heading", name=re.compile("^Sign in"))).to_be_visible()
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    camera.shot(page, "home-over-https")
    assert errors_seen == []
