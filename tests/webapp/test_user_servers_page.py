"""Users & Sharing → a friend → Servers, in Chromium: the section lists only linked servers that let this server
sign its users in and manage them there; the owner shares a library with a rating cap, reads it back as the
linked server keeps it, and stops sharing, which disables the friend there."""

from __future__ import annotations

import json
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


def test_the_owner_shares_a_linked_servers_library_with_a_friend_and_stops(
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
        films = holiday.server.services.libraries.add(
            OWNER, "Beach Films", "movies", [str(tmp_path / "films")]
        )
        link(server, holiday)
        narrowed = link(server, parents)
        # Parents no longer lets this server manage its users: not offered.
        with server.server.db.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE peer_links SET scopes_from_peer = ? WHERE id = ?",
                (json.dumps(["identity", "status"]), narrowed),
            )
        server.create_user("frank")
        page = signed_in(server, context_factory, errors_seen)
        page.goto(f"http://127.0.0.1:{server.port}/#/settings/users")
        frank = page.get_by_role("list", name="Users").locator("li.user", has_text="frank")
        frank.get_by_role("button", name="Edit").click()
        section = frank.get_by_role("region", name="Servers for frank")
        form = section.get_by_role("form", name="Holiday house for frank")
        expect(form).to_contain_text("Not shared.")
        expect(section.get_by_role("form", name="Parents for frank")).to_have_count(0)
        form.get_by_label("Only these:").check()
        form.get_by_label("Beach Films").check()
        form.get_by_label("Highest content rating").select_option(label="PG, TV-PG (10+)")
        form.get_by_role("button", name="Share Holiday house").click()
        expect(form).to_contain_text("Shared: Beach Films")
        expect(form.get_by_label("Highest content rating")).to_have_value("10")
        there = [u for u in holiday.server.services.accounts.list_users() if "(from " in u["username"]]
        assert len(there) == 1 and not there[0]["disabled"]
        users = holiday.server.services.users
        assert users is not None
        grants = users.get(OWNER, there[0]["id"]).grants
        assert grants["libraries"] == [films.id] and grants["max_rating"]["movies"] == 10
        camera.shot(page, "user-servers")

        page.once("dialog", lambda dialog: dialog.accept())
        form.get_by_role("button", name="Stop sharing").click()
        expect(form).to_contain_text("Not shared.")
        there = [u for u in holiday.server.services.accounts.list_users() if "(from " in u["username"]]
        assert there[0]["disabled"]
        assert errors_seen == []
    finally:
        holiday.stop()
        parents.stop()
