"""Home in a real browser: continue watching with progress, next up, and what is new grouped by show and album,
each a sideways shelf the arrow keys move along; cards without artwork carry their title on a tinted card."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp import playermedia
from tests.webapp.conftest import Camera
from tests.webapp.test_player_journey import scanned, signed_in

pytestmark = pytest.mark.browser


def shelf(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("list", name=name, exact=True)


@pytest.fixture
def home_media(media_kit: MediaKit, tmp_path: Path) -> dict[str, Path]:
    movies = tmp_path / "media" / "Films"
    long = playermedia.h264_mp4(tmp_path / "masters", 20, "long.mp4")
    playermedia.place(long, movies / "Night Harbour (2019)" / "Night Harbour (2019).mp4")
    media_kit.video_at(movies / "Amber Fields (2021)" / "Amber Fields (2021).mp4")
    shows = tmp_path / "media" / "Shows"
    for season, episode in [(1, 1), (1, 2), (1, 3), (2, 1)]:
        media_kit.video_at(
            shows
            / "Harbour Watch"
            / f"Season {season:02d}"
            / f"Harbour Watch - S{season:02d}E{episode:02d}.mp4"
        )
    music = tmp_path / "media" / "Music"
    for number, title in [(1, "Morning Fog"), (2, "Gulls"), (3, "Last Ferry")]:
        media_kit.audio_at(
            music / "Harbour Lights" / "Low Tide" / f"{number:02d} {title}.mp3",
            title=title,
            artist="Harbour Lights",
            album_artist="Harbour Lights",
            album="Low Tide",
            track=number,
        )
    return {"Films": movies, "Shows": shows, "Music": music}


def test_home_shows_shelves_of_resume_next_up_and_grouped_new_items(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    home_media: dict[str, Path],
    errors_seen: list[str],
) -> None:
    scanned(server, "Films", "movies", home_media["Films"])
    scanned(server, "Shows", "shows", home_media["Shows"])
    scanned(server, "Music", "music", home_media["Music"])
    page = signed_in(server, context_factory, errors_seen)
    owner = server.sign_in("owner")
    films = server.server.services.catalogue.search(system_actor("test"), "night harbour", 5)
    night = next(i.id for i in films if i.title == "Night Harbour")
    assert owner.request("PUT", f"/api/items/{night}/playstate", {"position": 5}).status == 200
    first = next(
        i.id
        for i in server.server.services.catalogue.search(system_actor("test"), "episode 1", 20)
        if i.kind == "episode" and i.parent_index == 1 and i.index == 1
    )
    assert owner.request("PUT", f"/api/items/{first}/watched", {"watched": True}).status == 200
    amber = next(
        i.id
        for i in server.server.services.catalogue.search(system_actor("test"), "amber", 5)
        if i.kind == "movie"
    )
    assert owner.request("PUT", f"/api/items/{amber}/favourite", {"favourite": True}).status == 200

    page.goto(f"http://127.0.0.1:{server.port}/")
    # Continue watching: the film, with a bar a quarter of the way along (5 s of 20).
    resume = shelf(page, "Continue watching").get_by_role("listitem")
    expect(resume).to_have_count(1)
    expect(resume.first).to_contain_text("Night Harbour")
    bar = resume.first.locator("progress.watch-progress")
    expect(bar).to_have_attribute("value", "5")
    expect(bar).to_have_attribute("max", "20")
    # Next up: the episode after the one watched, named with its show.
    expect(shelf(page, "Next up").get_by_role("listitem")).to_have_text(
        [re.compile("Harbour Watch — S01E02 · Episode 2")]
    )
    expect(shelf(page, "Favourites").get_by_role("listitem")).to_have_text([re.compile("^Amber Fields")])
    # Recently added: one card for the show and one for the album, not one per episode or track.
    expect(shelf(page, "Recently added in Shows").get_by_role("listitem")).to_have_text(
        [re.compile("^Harbour Watch")]
    )
    expect(shelf(page, "Recently added in Music").get_by_role("listitem")).to_have_text(
        [re.compile("^Low Tide")]
    )
    films_shelf = shelf(page, "Recently added in Films")
    expect(films_shelf.get_by_role("listitem")).to_have_count(2)
    # No artwork: the whole title on a tint taken from the title, never a lone letter.
    placeholder = films_shelf.locator(".placeholder").first
    expect(placeholder).to_have_text(re.compile("^(Night Harbour|Amber Fields)$"))
    expect(placeholder).to_have_class(re.compile(r"tint-\d+"))
    colours = page.evaluate(
        "() => [...document.querySelectorAll('.placeholder')].map((p) => getComputedStyle(p).backgroundImage)"
    )
    assert all("gradient" in c for c in colours) and len(set(colours)) > 1, colours
    assert films_shelf.evaluate("(el) => [getComputedStyle(el).display, getComputedStyle(el).overflowX]") == [
        "flex",
        "auto",
    ]
    camera.shot(page, "home")

    # One tab stop per shelf; the arrows walk along it and back.
    links = films_shelf.get_by_role("link")
    assert [links.nth(i).get_attribute("tabindex") for i in range(2)] == ["0", "-1"]
    links.first.focus()
    page.keyboard.press("ArrowRight")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(links.first).to_be_focused()
    # Down and up reach the shelves below and above, each at its own remembered card.
    page.keyboard.press("ArrowDown")
    expect(shelf(page, "Recently added in Music").get_by_role("link")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(links.first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Night Harbour|Amber Fields"))
    assert errors_seen == []
