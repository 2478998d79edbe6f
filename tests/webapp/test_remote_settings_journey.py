"""The owner changes Remote Access on a second server from the first one's Servers page: the linked server's
card opens its settings, rendered from its own registry; saving applies it there. A change while it is down
waits as pending and can be cancelled."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.webapp.conftest import Camera
from tests.webapp.test_player_journey import signed_in
from tests.webapp.test_servers_page import link

pytestmark = pytest.mark.browser
OWNER = system_actor("test")


def test_the_owner_turns_on_remote_access_of_a_linked_server_from_the_servers_page(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
    tmp_path: Path,
) -> None:
    holiday = RunningServer(tmp_path / "holiday", peer_port=0)
    try:
        holiday.server.services.settings.apply(OWNER, {"server_name": "Holiday house"})
        link_id = link(server, holiday)
        server.server.peer_links.poll(link_id)
        page = signed_in(server, context_factory, errors_seen)
        page.goto(f"http://127.0.0.1:{server.port}/#/servers")
        card = page.locator("li.server", has=page.get_by_role("heading", name=re.compile("Holiday house")))
        card.get_by_role("link", name="Settings of Holiday house").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Holiday house: Settings")
        form = page.get_by_role("form", name="Holiday house: Remote Access")
        remote = form.get_by_label("Enable remote access")
        expect(remote).not_to_be_checked()
        # Rendered from the other server's registry, not this one's values.
        expect(
            page.get_by_role("form", name="Holiday house: General").get_by_label("Server name")
        ).to_have_value("Holiday house")
        # What the holiday house never lets a link change is shown with its value and why, without a field.
        fixed = page.get_by_role("region", name="Changed only on Holiday house").filter(
            has_text="LAN networks"
        )
        expect(fixed).to_contain_text("can only be changed on Holiday house itself")
        network = page.get_by_role("form", name="Holiday house: Network")
        expect(network.get_by_label("LAN networks")).to_have_count(0)
        expect(network.get_by_text("Secure connections")).to_be_visible()
        camera.shot(page, "remote-settings")
        remote.check()
        form.get_by_role("button", name="Save Changes").click()
        expect(page.get_by_role("status")).to_have_text("Changes saved.")
        assert holiday.server.services.settings.get("remote_access") is True
        assert server.server.services.settings.get("remote_access") is False

        # The holiday house stops answering: the next change waits, shown as pending, and can be cancelled.
        hole = socket.socket()
        hole.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{hole.getsockname()[1]}"
        hole.close()
        with server.server.db.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE peer_links SET addresses = ? WHERE id = ?", (json.dumps([closed]), link_id)
            )
        transcoder = page.get_by_role("form", name="Holiday house: Transcoder")
        transcoder.get_by_label("Simultaneous transcodes").fill("5")
        transcoder.get_by_role("button", name="Save Changes").click()
        queued = page.get_by_role("list", name="Queued changes").locator("li")
        expect(queued).to_have_count(1)
        expect(queued).to_contain_text("Waiting for the server")
        expect(queued).to_contain_text("max transcodes → 5")
        camera.shot(page, "remote-settings-pending")
        queued.get_by_role("button", name="Cancel").click()
        expect(queued).to_contain_text("Cancelled")
        expect(queued.get_by_role("button", name="Cancel")).to_have_count(0)
        assert holiday.server.services.settings.get("max_transcodes") == 2
        assert errors_seen == []
    finally:
        holiday.stop()
