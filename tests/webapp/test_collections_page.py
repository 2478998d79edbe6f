"""A film's page names its collection and links to it; the collection's page lists its films in release order; a
movie library lists its collections; the NFO's ids show as plain text, and no page asks anyone but this server."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Request, expect

from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp.conftest import Camera
from tests.webapp.test_accessibility import ALWAYS, AUDIT, AXE, TAGS
from tests.webapp.test_item_pages import find, open_page
from tests.webapp.test_player_journey import scanned, signed_in

pytestmark = pytest.mark.browser

# Title order and release order disagree, so the page cannot pass by sorting on titles.
FILMS = (
    ("Harbour Lights", 2012, "tt0000012"),
    ("Dawn Harbour", 2004, "tt0000004"),
    ("Coda Harbour", 2019, None),
)


def test_the_item_page_links_to_its_collection_which_lists_the_films(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    root = tmp_path / "media" / "Films"
    for title, year, imdb in FILMS:
        folder = root / f"{title} ({year})"
        media_kit.video_at(folder / f"{title} ({year}).mp4")
        ids = (
            f'<uniqueid type="imdb" default="true">{imdb}</uniqueid><uniqueid type="tmdb">{year}7</uniqueid>'
        )
        (folder / "movie.nfo").write_text(
            f"<movie><title>{title}</title><year>{year}</year><set><name>Harbour Trilogy</name></set>"
            f"{ids if imdb else ''}</movie>"
        )
    library = scanned(server, "Films", "movies", root)
    page = signed_in(server, context_factory, errors_seen)
    # axe-core on each new page, injected by the browser outside the app's CSP (as test_accessibility does).
    page.context.add_init_script(path=str(AXE))
    axe_found: dict[str, list[str]] = {}

    def audit(name: str) -> None:
        page.wait_for_load_state("networkidle")
        camera.shot(page, name)
        if found := page.evaluate(AUDIT, [TAGS, ALWAYS]):
            axe_found[name] = found

    elsewhere: list[str] = []

    def only_here(request: Request) -> None:
        if not request.url.startswith((f"http://127.0.0.1:{server.port}/", "data:", "blob:")):
            elsewhere.append(request.url)

    page.on("request", only_here)

    open_page(page, server, find(server, "harbour lights", "movie"))
    line = page.locator(".item-collection")
    expect(line).to_have_text("Part of Harbour Trilogy")
    # The ids are facts in the details, never links out.
    page.get_by_text("Media info").click()
    details = page.locator("details.media-info")
    expect(details.locator("dt", has_text="IMDb").locator("+ dd")).to_have_text("tt0000012")
    expect(details.locator("dt", has_text="TMDB").locator("+ dd")).to_have_text("20127")
    assert details.locator("a").count() == 0
    audit("film-in-a-collection")

    line.get_by_role("link", name="Harbour Trilogy").click()
    expect(page.get_by_role("heading", name="Harbour Trilogy", level=1)).to_be_visible()
    films = page.get_by_role("list", name="Films of Harbour Trilogy")
    expect(films.locator(".title")).to_have_text(["Dawn Harbour", "Harbour Lights", "Coda Harbour"])
    expect(page.locator("#collection-count")).to_have_text("3 films, in release order")
    audit("collection")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Collections").click()
    expect(page).to_have_url(re.compile(rf"#/library/{library}\?view=collections$"))
    cards = page.get_by_role("list", name="Collections")
    expect(cards.locator(".title")).to_have_text(["Harbour Trilogy"])
    expect(cards.locator(".meta")).to_have_text(["3 films"])
    audit("library-collections")
    page.get_by_role("navigation", name="Library views").get_by_role("link", name="Films").click()
    expect(page.get_by_role("list", name=re.compile("^Films, page 1"))).to_be_visible()
    assert elsewhere == []
    assert axe_found == {}
    assert errors_seen == []
