"""A movie's page plays the trailer kept beside it through the ordinary player; an album's page says what kind of
release it is, from its tags."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TXXX
from playwright.sync_api import BrowserContext, expect

from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp import playermedia
from tests.webapp.conftest import Camera
from tests.webapp.test_item_pages import PLAYING, find, open_page
from tests.webapp.test_player_journey import scanned, signed_in

pytestmark = pytest.mark.browser


def test_a_movie_page_plays_its_trailer(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    masters = tmp_path / "masters"
    folder = tmp_path / "media" / "Films" / "Night Harbour (2019)"
    playermedia.place(playermedia.h264_mp4(masters, 20, "film.mp4"), folder / "Night Harbour (2019).mp4")
    playermedia.place(
        playermedia.h264_mp4(masters, 4, "trailer.mp4"), folder / "Night Harbour (2019)-trailer.mp4"
    )
    scanned(server, "Films", "movies", folder.parent)
    page = signed_in(server, context_factory, errors_seen)
    owner = server.sign_in("owner")
    film = find(server, "night harbour", "movie")
    listing = owner.get(f"/api/libraries/{owner.get('/api/libraries').json()[0]['id']}/items").json()
    assert [i["title"] for i in listing["items"]] == ["Night Harbour"]
    extras = owner.get(f"/api/items/{film}").json()["extras"]
    assert [(e["title"], e["extra_type"]) for e in extras] == [("Trailer", "trailer")]

    open_page(page, server, film)
    trailer = page.get_by_role("link", name=re.compile("^Play trailer"))
    expect(trailer).to_be_visible()
    camera.shot(page, "movie-with-trailer")
    trailer.click()
    page.wait_for_function(PLAYING, timeout=15_000)
    assert page.evaluate("() => location.hash").startswith(f"#/play/{extras[0]['id']}")
    # The trailer's four seconds, not the film's twenty.
    assert page.evaluate("() => document.querySelector('video').duration") < 10
    assert errors_seen == []


def test_an_album_page_says_its_release_type(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    music = tmp_path / "media" / "Music"
    for album, release in (("Low Tide", "ep"), ("Gulls", "album")):
        track = media_kit.audio_at(
            music / "Harbour Lights" / album / "01.mp3",
            title=f"{album} one",
            artist="Harbour Lights",
            album=album,
            year=2019,
        )
        tags = ID3(track)
        tags.add(TXXX(encoding=3, desc="MusicBrainz Album Type", text=[release]))
        tags.save(track)
    media_kit.audio_at(
        music / "Hits" / "01.mp3", title="Hit", artist="Someone", album="Hits", compilation=True
    )
    scanned(server, "Music", "music", music)
    page = signed_in(server, context_factory, errors_seen)
    owner = server.sign_in("owner")
    ep = find(server, "low tide", "album")
    assert owner.get(f"/api/items/{ep}").json()["extra"] == {"release_type": "ep"}

    open_page(page, server, ep)
    expect(page.locator(".facts")).to_have_text(re.compile(r"^EP · 2019"))
    camera.shot(page, "ep")
    open_page(page, server, find(server, "gulls", "album"))
    expect(page.locator(".facts")).to_have_text(re.compile(r"^Album · 2019"))
    open_page(page, server, find(server, "hits", "album"))
    expect(page.locator(".facts")).to_have_text(re.compile(r"^Compilation"))
    assert errors_seen == []
