"""Settings → Linked servers, in Chromium: the owner narrows what this server may do on a linked one (it can
never tick it back: only linking again gives it), and gives the linked server more here only with the password."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from reelhouse.domain.access import system_actor
from reelhouse.domain.peers import PeerScope
from tests.harness import RunningServer
from tests.webapp.conftest import Camera
from tests.webapp.test_player_journey import signed_in
from tests.webapp.test_servers_page import link

pytestmark = pytest.mark.browser
OWNER = system_actor("test")


def test_the_owner_narrows_a_links_scopes_in_both_directions(
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
        page = signed_in(server, context_factory, errors_seen)
        page.goto(f"http://127.0.0.1:{server.port}/#/settings/links")
        form = page.get_by_role("form", name="Scopes of Holiday house")
        there = form.get_by_role("group", name="This server may, there")
        here = form.get_by_role("group", name="Holiday house may, here")
        there.get_by_label("manage").uncheck()
        form.get_by_role("button", name="Save scopes").click()
        expect(page.locator("#status")).to_have_text("Scopes of Holiday house saved.")
        form = page.get_by_role("form", name="Scopes of Holiday house")
        there = form.get_by_role("group", name="This server may, there")
        expect(there.get_by_label("manage")).to_be_disabled()
        expect(there.get_by_label("users")).to_be_checked()
        (found,) = server.server.peering.links()
        assert found.id == link_id and PeerScope.MANAGE not in found.scopes_from_peer

        # More for the holiday house here: refused without the password, done with it.
        here = form.get_by_role("group", name="Holiday house may, here")
        here.get_by_label("users").check()
        form.get_by_role("button", name="Save scopes").click()
        expect(form.locator(".error:not([hidden])").first).to_contain_text("password")
        assert PeerScope.USERS not in server.server.peering.links()[0].scopes_to_peer
        form.get_by_label("Your password").fill("correct horse battery")
        form.get_by_role("button", name="Save scopes").click()
        # Saved, the list is drawn again: a fresh form, its password empty.
        expect(form.get_by_label("Your password")).to_have_value("")
        expect(
            form.get_by_role("group", name="Holiday house may, here").get_by_label("users")
        ).to_be_checked()
        assert PeerScope.USERS in server.server.peering.links()[0].scopes_to_peer
        camera.shot(page, "link-scopes")
        assert errors_seen == []
    finally:
        holiday.stop()
