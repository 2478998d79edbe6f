"""The Servers page lists this server and every linked one as the last status check found it: one Online with
its counts and scopes both ways, one that stopped answering as Unreachable since a time, and a member sees only
this server."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.peers.test_pairing_servers import listening
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_player_journey import signed_in

pytestmark = pytest.mark.browser
OWNER = system_actor("test")


def link(home: RunningServer, away: RunningServer) -> str:
    issued = away.server.peering.issue_code(OWNER)
    listening(away)
    return home.server.peering.dial(OWNER, issued.link).id


def test_the_servers_page_lists_linked_servers_with_their_status(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
    tmp_path: Path,
) -> None:
    holiday = RunningServer(tmp_path / "holiday", peer_port=0)
    parents = RunningServer(tmp_path / "parents", peer_port=0)
    try:
        holiday.server.services.settings.apply(OWNER, {"server_name": "Holiday house"})
        parents.server.services.settings.apply(OWNER, {"server_name": "Parents"})
        (tmp_path / "films").mkdir()
        holiday.server.services.libraries.add(OWNER, "Films", "movies", [str(tmp_path / "films")])
        online, gone = link(server, holiday), link(server, parents)
        server.server.peer_links.poll(online)
        # Holiday's clock, as measured at that poll, runs 45 s behind: shown, yet not enough to be Degraded.
        with server.server.db.begin() as conn:
            conn.exec_driver_sql("UPDATE peer_links SET skew_ms = -45000 WHERE id = ?", (online,))
    finally:
        parents.stop()
    try:
        server.server.peer_links._connect_seconds = 1.0
        server.server.peer_links.poll(gone)
        page = signed_in(server, context_factory, errors_seen)
        page.goto(f"http://127.0.0.1:{server.port}/#/servers")
        servers = page.get_by_role("list", name="Servers")
        expect(servers.locator("li.server")).to_have_count(3)
        card = servers.locator("li.server", has=page.get_by_role("heading", name=re.compile("Holiday house")))
        expect(card.get_by_role("heading")).to_contain_text("Online")
        expect(card.locator("dt", has_text="Libraries").locator("+ dd")).to_have_text("1 (0 items)")
        expect(card.locator("dt", has_text="It may, here").locator("+ dd")).to_have_text("identity, status")
        expect(card.locator("dt", has_text="This server may, there").locator("+ dd")).to_have_text(
            "identity, manage, status, users"
        )
        expect(card.locator("dt", has_text="Clock difference").locator("+ dd")).to_have_text("-45 s")
        expect(card.locator("dt", has_text="Server id").locator("+ dd")).to_have_text(
            holiday.server.peering.identity.server_id
        )
        down = servers.locator("li.server", has=page.get_by_role("heading", name=re.compile("Parents")))
        expect(down.get_by_role("heading")).to_contain_text("Unreachable")
        expect(down.locator("dt", has_text="Status").locator("+ dd")).to_have_text(
            re.compile("^Unreachable since ")
        )
        camera.shot(page, "servers-linked")

        server.create_user("friend")
        member = context_factory()
        member.add_cookies(
            [
                {
                    "name": "reelhouse",
                    "value": server.sign_in("friend").token,
                    "url": f"http://127.0.0.1:{server.port}",
                }
            ]
        )
        other = watch(member.new_page(), errors_seen)
        other.goto(f"http://127.0.0.1:{server.port}/#/servers")
        expect(other.get_by_role("list", name="Servers").locator("li.server")).to_have_count(1)
        expect(other.get_by_text("Holiday house")).to_have_count(0)
    finally:
        holiday.stop()
