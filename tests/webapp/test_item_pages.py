"""Item pages in a real browser: breadcrumbs, facts from the NFO, resume or start over from the saved position,
watched and favourite marks kept by the server, and seasons and albums listing their rows with length, watched
state and play; listings name an episode with its show and a track with its album and artist."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.mediagen import MediaKit, jpeg_bytes
from tests.webapp import playermedia
from tests.webapp.conftest import Camera
from tests.webapp.test_player_journey import scanned, signed_in

pytestmark = pytest.mark.browser

PLAYING = "() => { const v = document.querySelector('video'); return v && !v.paused && v.currentTime > 0.3; }"
NFO = """<?xml version="1.0" encoding="UTF-8"?>
<movie><title>Night Harbour</title><year>2019</year><mpaa>PG-13</mpaa><genre>Drama</genre><genre>Mystery</genre>
<plot>A ferry pilot keeps the lights on for one more night.</plot><tagline>Every light has a keeper.</tagline>
<studio>Lantern Pictures</studio><director>Dee Rector</director>
<actor><name>Ann Actor</name><role>The Pilot</role><order>0</order></actor>
<actor><name>Bo Extra</name><role>Harbour Master</role><order>1</order></actor></movie>
"""


def find(server: RunningServer, text: str, kind: str, **facts: object) -> str:
    found = server.server.services.catalogue.search(system_actor("test"), text, 50)
    return next(i.id for i in found if i.kind == kind and all(getattr(i, k) == v for k, v in facts.items()))


def open_page(page: Page, server: RunningServer, item_id: str) -> None:
    page.goto(f"http://127.0.0.1:{server.port}/#/item/{item_id}")
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_be_visible()


def test_a_partly_watched_film_offers_resume_and_start_over_and_keeps_its_marks(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    folder = tmp_path / "media" / "Films" / "Night Harbour (2019)"
    playermedia.place(
        playermedia.h264_mp4(tmp_path / "masters", 20, "long.mp4"), folder / "Night Harbour (2019).mp4"
    )
    (folder / "Night Harbour (2019).nfo").write_text(NFO, encoding="utf-8")
    (folder / ".actors").mkdir()
    (folder / ".actors" / "Ann_Actor.jpg").write_bytes(jpeg_bytes((10, 90, 200), (64, 96)))
    scanned(server, "Films", "movies", folder.parent)
    page = signed_in(server, context_factory, errors_seen)
    owner = server.sign_in("owner")
    film = find(server, "night harbour", "movie")
    assert owner.request("PUT", f"/api/items/{film}/playstate", {"position": 9}).status == 200

    open_page(page, server, film)
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_have_text(re.compile("Films.*Night Harbour"))
    expect(page.get_by_role("heading", name="Night Harbour", level=1)).to_be_visible()
    expect(page.get_by_text("A ferry pilot keeps the lights on")).to_be_visible()
    expect(page.locator(".facts")).to_have_text(re.compile(r"^2019 · 0:20 · PG-13"))
    expect(page.get_by_role("list", name="Genres").get_by_role("listitem")).to_have_text(["Drama", "Mystery"])
    expect(page.locator(".tagline")).to_have_text("Every light has a keeper.")
    expect(page.locator(".studios")).to_have_text("Lantern Pictures")
    people = page.get_by_role("list", name="Cast and crew").get_by_role("listitem")
    expect(people).to_have_text(
        [
            re.compile("Ann ActorThe Pilot$"),
            re.compile("Bo ExtraHarbour Master$"),
            re.compile("Dee RectorDirector$"),
        ]
    )
    expect(people.first.locator("img")).to_have_js_property("complete", True)
    assert people.first.locator("img").evaluate("(img) => img.naturalWidth") > 0
    expect(page.locator(".item-info progress.watch-progress")).to_have_attribute("value", "9")
    resume = page.get_by_role("link", name="Resume from 0:09")
    start_over = page.get_by_role("link", name="Play from the start")
    expect(start_over).to_be_visible()
    camera.shot(page, "partly-watched")
    resume.click()
    expect(page.get_by_role("status").filter(has_text="Resuming")).to_have_text("Resuming at 0:09.")
    page.go_back()
    page.reload()
    page.get_by_role("link", name="Play from the start").click()
    page.wait_for_function(PLAYING, timeout=15_000)
    assert page.evaluate("() => document.querySelector('video').currentTime") < 5

    # People link to their own page, which lists what the viewer may see them in.
    open_page(page, server, film)
    page.get_by_role("link", name=re.compile("^Ann Actor")).click()
    expect(page.get_by_role("heading", name="Ann Actor", level=1)).to_be_visible()
    expect(page.get_by_role("list", name="Ann Actor's titles")).to_contain_text("Night Harbour")
    page.go_back()
    watched = page.get_by_role("button", name="Mark watched")
    expect(watched).to_have_attribute("aria-pressed", "false")
    watched.click()
    expect(page.get_by_role("button", name="Watched")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("link", name=re.compile("^Resume"))).to_have_count(0)
    assert owner.get(f"/api/items/{film}/playstate").json()["watched"] is True
    page.get_by_role("button", name="Watched").click()
    expect(page.get_by_role("button", name="Mark watched")).to_have_attribute("aria-pressed", "false")
    assert owner.get(f"/api/items/{film}/playstate").json()["watched"] is False
    page.get_by_role("button", name="☆ Add to favourites").click()
    expect(page.get_by_role("button", name="★ Favourite")).to_have_attribute("aria-pressed", "true")
    assert owner.get(f"/api/items/{film}/playstate").json()["favourite"] is True
    assert errors_seen == []


def test_seasons_and_albums_list_rows_and_episodes_carry_their_show(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    shows = tmp_path / "media" / "Shows"
    for episode in (1, 2):
        media_kit.video_at(shows / "Harbour Watch" / "Season 02" / f"Harbour Watch - S02E0{episode}.mp4")
    music = tmp_path / "media" / "Music"
    for number, title in [(1, "Morning Fog"), (2, "Gulls")]:
        media_kit.audio_at(
            music / "Harbour Lights" / "Low Tide" / f"{number:02d} {title}.mp3",
            title=title,
            artist="Harbour Lights",
            album_artist="Harbour Lights",
            album="Low Tide",
            track=number,
        )
    scanned(server, "Shows", "shows", shows)
    scanned(server, "Music", "music", music)
    page = signed_in(server, context_factory, errors_seen)
    owner = server.sign_in("owner")
    first = find(server, "episode 1", "episode", index=1)
    second = find(server, "episode 2", "episode", index=2)
    # A show not started yet offers its first episode.
    open_page(page, server, find(server, "harbour watch", "show"))
    expect(page.get_by_role("link", name="Play S02E01 · Episode 1")).to_be_visible()
    assert owner.request("PUT", f"/api/items/{first}/watched", {"watched": True}).status == 200

    open_page(page, server, second)
    crumbs = page.get_by_role("navigation", name="Breadcrumb").get_by_role("listitem")
    expect(crumbs).to_have_text(["Shows", "Harbour Watch", "Season 2", "Episode 2"])
    expect(page.locator(".show-name")).to_have_text("Harbour Watch · S02E02")
    camera.shot(page, "episode")
    # The show offers the episode after the last one watched.
    crumbs.nth(1).get_by_role("link").click()
    expect(page.get_by_role("link", name="Play S02E02 · Episode 2")).to_have_attribute(
        "href", re.compile(f"#/play/{second}\\?queue=")
    )
    page.go_back()
    crumbs.nth(2).get_by_role("link").click()
    rows = page.get_by_role("list", name="Episodes").get_by_role("listitem")
    expect(rows).to_have_count(2)
    # Without artwork the season wears its show's name, and the colour every card of that show shares.
    expect(page.locator(".item-poster .placeholder")).to_have_text("Harbour WatchSeason 2")
    expect(rows.first).to_contain_text("Harbour Watch — S02E01 · Episode 1")
    expect(rows.first).to_contain_text("Watched")
    expect(rows.first).to_contain_text(re.compile(r"\d:\d\d"))
    expect(rows.nth(1)).not_to_contain_text("Watched")
    expect(rows.nth(1).get_by_role("link", name="Play Episode 2")).to_have_attribute(
        "href", re.compile(f"#/play/{second}")
    )
    camera.shot(page, "season")

    album = find(server, "low tide", "album")
    open_page(page, server, album)
    expect(page.get_by_role("navigation", name="Breadcrumb").get_by_role("listitem")).to_have_text(
        ["Music", "Harbour Lights", "Low Tide"]
    )
    tracks = page.get_by_role("list", name="Tracks").get_by_role("listitem")
    expect(tracks).to_have_count(2)
    expect(tracks.first).to_contain_text("Morning Fog")
    expect(tracks.first).to_contain_text(re.compile(r"Low Tide · Harbour Lights · \d:\d\d"))
    camera.shot(page, "album")

    # Search lists an episode with its show and a track with its album and artist.
    page.goto(f"http://127.0.0.1:{server.port}/#/search?q=episode")
    expect(page.get_by_role("list", name="Search results")).to_contain_text(
        "Harbour Watch — S02E01 · Episode 1"
    )
    page.goto(f"http://127.0.0.1:{server.port}/#/search?q=gulls")
    expect(page.get_by_role("list", name="Search results")).to_contain_text("Low Tide · Harbour Lights")
    assert errors_seen == []
