"""The friend's server switcher, in Chromium: a friend signed in at home finds, in the account menu, the linked
server home shares with them (and no other), opens it, and signs in there with home in two clicks, being already
signed in at home."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from reelhouse.domain.access import system_actor
from reelhouse.services.peer_links import _web_url
from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_servers_page import link

pytestmark = pytest.mark.browser
OWNER = system_actor("test")


def test_a_friend_switches_to_a_linked_server_that_shares_with_them(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
    tmp_path: Path,
) -> None:
    home = server
    holiday = RunningServer(tmp_path / "holiday", peer_port=0)
    parents = RunningServer(tmp_path / "parents", peer_port=0)
    try:
        home.server.services.settings.apply(
            OWNER, {"server_name": "Home", "public_urls": [f"http://127.0.0.1:{home.port}"]}
        )
        for other, name in ((holiday, "Holiday house"), (parents, "Parents")):
            other.server.services.settings.apply(
                OWNER, {"server_name": name, "public_urls": [f"http://127.0.0.1:{other.port}"]}
            )
        (tmp_path / "films").mkdir()
        films = holiday.server.services.libraries.add(
            OWNER, "Beach Films", "movies", [str(tmp_path / "films")]
        )
        on_holiday, on_parents = link(home, holiday), link(home, parents)
        for link_id in (on_holiday, on_parents):
            home.server.peer_links.poll(link_id)
        frank_id = home.create_user("frank")
        owner = home.owner()
        path = f"/api/servers/{on_holiday}/principals/{frank_id}"
        assert owner.request("PUT", path, body={"libraries": [films.id]}).status == 200

        context = context_factory()
        frank = home.sign_in("frank")
        context.add_cookies(
            [{"name": "reelhouse", "value": frank.token or "", "url": f"http://127.0.0.1:{home.port}"}]
        )
        page = watch(context.new_page(), errors_seen)
        page.goto(f"http://127.0.0.1:{home.port}/#/")
        switch = page.get_by_role("link", name="Switch to Holiday house")
        expect(switch).to_have_attribute("href", f"http://127.0.0.1:{holiday.port}/#/signin")
        expect(page.get_by_role("link", name="Switch to Parents")).to_have_count(0)
        camera.shot(page, "server-switcher")
        switch.click()
        page.get_by_role("button", name="Sign in with Home").click()
        page.get_by_role("button", name="Sign in to Holiday house").click()
        page.wait_for_url(f"http://127.0.0.1:{holiday.port}/#/")
        expect(
            page.get_by_role("list", name="Libraries").get_by_role("link", name="Beach Films")
        ).to_be_visible()
        assert errors_seen == []
    finally:
        holiday.stop()
        parents.stop()


def test_a_linked_servers_web_address_is_only_ever_a_plain_http_url() -> None:
    assert _web_url("https://holiday.example:8920/") == "https://holiday.example:8920"
    for bad in (
        "javascript:alert(1)",
        "data:text/html,x",
        "https://user@holiday.example",
        "//x",
        7,
        "h" * 600,
    ):
        assert _web_url(bad) is None, bad
