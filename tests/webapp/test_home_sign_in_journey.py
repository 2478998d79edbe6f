"""The linked servers acceptance journey, in Chromium on two real servers: the owner pairs them (a code on the
holiday house, entered at home), sees both Online on the Servers page, turns on Remote Access of the holiday house
from home, shares one of its libraries with a friend from home's Users page; then the friend opens the holiday
house, signs in there with their home account ("Sign in with Home": approved on home with home's password) and
sees only the library that was shared."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_player_journey import signed_in

pytestmark = pytest.mark.browser
OWNER = system_actor("test")
PASSWORD = "correct horse battery"


def pair_in_browser(home: Page, holiday: Page, home_port: int, holiday_port: int) -> None:
    """The holiday house shows a code; home's owner enters its link under Settings → Linked servers."""
    holiday.goto(f"http://127.0.0.1:{holiday_port}/#/settings/links")
    create = holiday.get_by_role("form", name="Link to another server")
    create.get_by_label("Your password").fill(PASSWORD)
    create.get_by_role("button", name="Show a code").click()
    link = create.get_by_label("Link to paste on the other server")
    expect(link).to_have_value(re.compile("^reelhouse-pair:v1"))
    home.goto(f"http://127.0.0.1:{home_port}/#/settings/links")
    join = home.get_by_role("form", name="Add server")
    join.get_by_label("Link from the other server").fill(link.input_value())
    join.get_by_label("Your password").fill(PASSWORD)
    join.get_by_role("button", name="Add server").click()
    expect(join.get_by_role("status")).to_have_text(
        re.compile(r"^Linked with Holiday house\. Safety number ")
    )
    expect(create.get_by_role("status")).to_have_text(re.compile(r"^Linked with Home\. Safety number "))


def test_a_friend_of_home_signs_in_to_the_linked_holiday_house_and_sees_only_what_was_shared(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
    tmp_path: Path,
) -> None:
    home = server
    holiday = RunningServer(tmp_path / "holiday", peer_port=0)
    try:
        home.server.services.settings.apply(
            OWNER, {"server_name": "Home", "public_urls": [f"http://127.0.0.1:{home.port}"]}
        )
        holiday.server.services.settings.apply(OWNER, {"server_name": "Holiday house"})
        for name in ("Beach Films", "Private Films"):
            (tmp_path / name).mkdir()
            holiday.server.services.libraries.add(OWNER, name, "movies", [str(tmp_path / name)])
        home.create_user("frank")
        # The owner in two browser windows, one per server (a cookie belongs to a host, whatever its port).
        at_home = signed_in(home, context_factory, errors_seen)
        at_holiday = signed_in(holiday, context_factory, errors_seen)
        pair_in_browser(at_home, at_holiday, home.port, holiday.port)

        (link_id,) = [link.id for link in home.server.peering.links()]
        home.server.peer_links.poll(link_id)  # the background poll, now rather than within a minute
        at_home.goto(f"http://127.0.0.1:{home.port}/#/servers")
        servers = at_home.get_by_role("list", name="Servers").locator("li.server")
        expect(servers).to_have_count(2)
        for name in ("Home", "Holiday house"):
            card = servers.filter(has=at_home.get_by_role("heading", name=re.compile(name)))
            expect(card.get_by_role("heading")).to_contain_text("Online")
        camera.shot(at_home, "journey-servers")

        card = servers.filter(has=at_home.get_by_role("heading", name=re.compile("Holiday house")))
        card.get_by_role("link", name="Settings of Holiday house").click()
        remote = at_home.get_by_role("form", name="Holiday house: Remote Access")
        remote.get_by_label("Enable remote access").check()
        remote.get_by_role("button", name="Save Changes").click()
        expect(at_home.get_by_role("status")).to_have_text("Changes saved.")
        assert holiday.server.services.settings.get("remote_access") is True
        assert home.server.services.settings.get("remote_access") is False

        # Home's Users page: frank's Servers section shares the holiday house's beach films, nothing else.
        at_home.goto(f"http://127.0.0.1:{home.port}/#/settings/users")
        frank = at_home.get_by_role("list", name="Users").locator("li.user", has_text="frank")
        frank.get_by_role("button", name="Edit").click()
        share = frank.get_by_role("form", name="Holiday house for frank")
        expect(share).to_contain_text("Not shared.")
        share.get_by_label("Only these:").check()
        share.get_by_label("Beach Films").check()
        share.get_by_label("May download files").check()
        share.get_by_role("button", name="Share Holiday house").click()
        shared = frank.get_by_role("form", name="Holiday house for frank")
        expect(shared).to_contain_text("Shared: Beach Films")
        expect(shared.get_by_label("May download files")).to_be_checked()
        camera.shot(at_home, "journey-user-servers")

        # The friend, in a browser of their own, opens the holiday house.
        friend = watch(context_factory().new_page(), errors_seen)
        friend.goto(f"http://127.0.0.1:{holiday.port}/#/signin")
        friend.get_by_role("button", name="Sign in with Home").click()
        # Home's sign-in page first (frank is not signed in there), then its approval page.
        expect(friend.get_by_role("heading", name="Sign in to Home", level=1)).to_be_visible()
        friend.get_by_label("Username").fill("frank")
        friend.get_by_label("Password").fill(PASSWORD)
        friend.get_by_role("button", name="Sign in", exact=True).click()
        expect(friend.get_by_role("heading", name="Holiday house asks to sign you in")).to_be_visible()
        assert friend.url.startswith(f"http://127.0.0.1:{home.port}/")
        camera.shot(friend, "journey-authorize")
        friend.get_by_role("button", name="Sign in to Holiday house").click()

        friend.wait_for_url(f"http://127.0.0.1:{holiday.port}/#/")
        libraries = friend.get_by_role("list", name="Libraries")
        expect(libraries.get_by_role("link", name="Beach Films")).to_be_visible()
        expect(libraries.get_by_role("link", name="Private Films")).to_have_count(0)
        expect(friend.locator("#account-toggle .who")).to_have_text("frank (from Home)")
        camera.shot(friend, "journey-friend-there")
        assert errors_seen == []
    finally:
        holiday.stop()
