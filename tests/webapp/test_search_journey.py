"""Search as you type in a real browser: suggestions grouped by kind under the header's box while typing, walked
with the arrow keys and opened with Enter; Escape closes them; Enter alone opens the full results, grouped the
same way; a member never sees a suggestion from a library they were not given."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_home_shelves import home_media  # noqa: F401  (the fixture)
from tests.webapp.test_player_journey import scanned, signed_in

pytestmark = pytest.mark.browser


def test_typing_suggests_each_kind_and_the_keyboard_opens_one(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    home_media: dict[str, Path],  # noqa: F811
    errors_seen: list[str],
) -> None:
    film = home_media["Films"] / "Night Harbour (2019)"
    (film / "Night Harbour (2019).nfo").write_text(
        "<movie><title>Night Harbour</title><actor><name>Harbor Lane</name><role>Pilot</role></actor></movie>"
    )
    libraries = {
        name: scanned(server, name, kind, home_media[name])
        for name, kind in (("Films", "movies"), ("Shows", "shows"), ("Music", "music"))
    }
    page = signed_in(server, context_factory, errors_seen)
    page.goto(f"http://127.0.0.1:{server.port}/")
    box = page.get_by_role("combobox", name="Search")
    box.click()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/search/grouped" in r.url else None)
    box.press_sequentially("harb", delay=20)
    suggestions = page.get_by_role("listbox", name="Search suggestions")
    expect(suggestions).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    groups = suggestions.get_by_role("group")
    expect(groups).to_have_count(4)
    assert [groups.nth(i).get_attribute("aria-labelledby") for i in range(4)] == [
        "search-group-movie",
        "search-group-show",
        "search-group-person",
        "search-group-artist",
    ]
    person = suggestions.get_by_role("group", name="People").get_by_role("option")
    expect(person).to_have_text(["Harbor Lane"])
    expect(person).to_have_attribute("href", re.compile("^#/person/"))
    expect(suggestions.get_by_role("group", name="Movies").get_by_role("option")).to_have_text(
        [re.compile("^Night Harbour")]
    )
    expect(suggestions.get_by_role("group", name="Artists").get_by_role("option")).to_have_text(
        [re.compile("^Harbour Lights")]
    )
    # A pause in typing asks once, not once a key.
    assert len(requests) == 1, requests
    camera.shot(page, "search-suggestions")

    # Arrows move the highlight while the focus stays in the box; Enter opens the highlighted result.
    box.press("ArrowDown")
    box.press("ArrowDown")
    options = suggestions.get_by_role("option")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id") or "")
    expect(box).to_be_focused()
    box.press("ArrowUp")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Night Harbour")
    expect(suggestions).to_be_hidden()

    # Episodes come named with their show, tracks with their album and artist.
    box.fill("")
    box.press_sequentially("episode 2", delay=20)
    expect(suggestions.get_by_role("group", name="Episodes").get_by_role("option")).to_have_text(
        [re.compile("^Harbour Watch — S01E02 · Episode 2")]
    )
    box.fill("")
    box.press_sequentially("gulls", delay=20)
    expect(suggestions.get_by_role("group", name="Tracks").get_by_role("option")).to_have_text(
        [re.compile("^Gulls.*Low Tide · Harbour Lights")]
    )

    # Escape closes; Enter with nothing highlighted opens every result, grouped the same way.
    box.fill("")
    box.press_sequentially("low", delay=20)
    expect(suggestions.get_by_role("group", name="Albums")).to_be_visible()
    box.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “low”")
    expect(page.get_by_role("region", name="Albums")).to_contain_text("Low Tide")
    camera.shot(page, "search-results")
    assert errors_seen == []

    # A member given Shows only: nothing from the films or the music, in suggestions or results.
    member = server.create_user("mo")
    server.server.services.users.update(  # type: ignore[union-attr]
        system_actor("test"), member, grants={"libraries": [libraries["Shows"]]}
    )
    context = context_factory()
    token = server.sign_in("mo").token
    context.add_cookies([{"name": "reelhouse", "value": token, "url": f"http://127.0.0.1:{server.port}"}])
    other = watch(context.new_page(), errors_seen)
    other.goto(f"http://127.0.0.1:{server.port}/")
    other_box = other.get_by_role("combobox", name="Search")
    other_box.press_sequentially("harb", delay=20)
    other_suggestions = other.get_by_role("listbox", name="Search suggestions")
    expect(other_suggestions.get_by_role("group", name="Shows")).to_be_visible()
    expect(other_suggestions.get_by_role("group")).to_have_count(1)
    expect(other_suggestions).not_to_contain_text("Night Harbour")
    expect(other_suggestions).not_to_contain_text("Harbour Lights")
    assert errors_seen == []
