"""Settings → Linked servers, in the browser on two real servers: the owner of one shows a code, the owner of the
other pastes its link, both pages show the same safety number, and Unlink (after a confirm) removes the link."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.webapp.conftest import Camera
from tests.webapp.test_player_journey import signed_in

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[RunningServer, RunningServer]]:
    first = RunningServer(tmp_path / "first", peer_port=0)
    second = RunningServer(tmp_path / "second", peer_port=0)
    try:
        first.server.services.settings.apply(system_actor("test"), {"server_name": "Living room"})
        second.server.services.settings.apply(system_actor("test"), {"server_name": "Holiday flat"})
        yield first, second
    finally:
        first.stop()
        second.stop()


def links_page(server: RunningServer, factory: Callable[..., BrowserContext], errors: list[str]) -> Page:
    page = signed_in(server, factory, errors)
    page.goto(f"http://127.0.0.1:{server.port}/#/settings/links")
    expect(page.get_by_role("heading", name="Linked servers", level=1)).to_be_visible()
    return page


def test_two_owners_link_their_servers_and_unlink(
    two: tuple[RunningServer, RunningServer],
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
) -> None:
    first, second = two
    a = links_page(first, context_factory, errors_seen)
    create = a.get_by_role("form", name="Link to another server")
    create.get_by_label("Your password").fill("not the password")
    create.get_by_role("button", name="Show a code").click()
    expect(create.locator(".error:not([hidden])")).to_have_text("The password is not right.")
    create.get_by_label("Your password").fill(PASSWORD)
    create.get_by_role("button", name="Show a code").click()
    expect(create.locator(".link-code")).to_have_text(re.compile(r"^\d{4}-\d{4}-\d{4}$"))
    expect(create.get_by_role("img", name="QR code of the link")).to_be_visible()
    expect(create.get_by_role("timer")).to_have_text(re.compile(r"^Expires in (10:00|9:[0-5]\d)$"))
    expect(create.get_by_role("button", name="Cancel")).to_be_visible()
    link = create.get_by_label("Link to paste on the other server").input_value()
    assert link.startswith("reelhouse-pair:v1?addr=127.0.0.1:")
    camera.shot(a, "links-code")

    b = links_page(second, context_factory, errors_seen)
    join = b.get_by_role("form", name="Add server")
    join.get_by_label("Link from the other server").fill(link)
    join.get_by_label("Your password").fill(PASSWORD)
    join.get_by_role("button", name="Add server").click()
    done = join.get_by_role("status")
    expect(done).to_have_text(re.compile(r"^Linked with Living room\. Safety number \d\d \d\d \d\d \d\d$"))
    number = done.inner_text().rsplit("Safety number ", 1)[1]
    card_b = b.get_by_role("list", name="Linked servers").locator("li.linked-server")
    expect(card_b).to_have_count(1)
    expect(card_b.locator(".safety-number")).to_have_text(number)
    expect(card_b.locator("dt", has_text="This server may, there").locator("+ dd")).to_have_text(
        "identity, manage, status, users"
    )

    # The first page notices the new link by itself and shows the same number.
    expect(create.get_by_role("status")).to_have_text(f"Linked with Holiday flat. Safety number {number}")
    card_a = a.get_by_role("list", name="Linked servers").locator("li.linked-server")
    expect(card_a.locator(".safety-number")).to_have_text(number)
    expect(card_a.locator("dt", has_text="It may, here").locator("+ dd")).to_have_text(
        "identity, manage, status, users"
    )
    camera.shot(a, "links-linked")

    b.once("dialog", lambda dialog: dialog.accept())
    card_b.get_by_role("button", name="Unlink").click()
    expect(b.get_by_role("list", name="Linked servers")).to_have_text("No linked servers yet.")
    assert second.server.peering.links() == []
    assert errors_seen == []
