"""Hostile metadata in a real browser: markup from tags, NFOs and the search box shows as literal text on the
library, item and search pages; no dialog opens, no injected element or handler exists, nothing runs."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import BrowserContext, Dialog, Page, expect

from reelhouse.domain.access import Role
from tests.harness import Client, RunningServer
from tests.mediagen import MediaKit
from tests.webapp.conftest import Camera, watch

pytestmark = pytest.mark.browser

PASSWORD = "hostile page passphrase"
SCRIPT = "<script>alert(1)</script>"
BREAKER = '"><img src=x onerror="alert(2);window.pwned=1">'
CLOSER = "</title><svg onload=alert(3)>"
# An escaped NFO plot: once unescaped by the XML parser it is markup, which must stay text.
PLOT = "&quot;&gt;&lt;img src=x onerror=alert(4)&gt;&lt;script&gt;window.pwned=2&lt;/script&gt;"
PLOT_TEXT = '"><img src=x onerror=alert(4)><script>window.pwned=2</script>'
INJECTED = "img[src=x], svg[onload], [onerror], [onload], #main script, iframe, object, embed"


def _library(owner: Client, name: str, kind: str, folder: Path) -> str:
    answer = owner.post("/api/libraries", {"name": name, "kind": kind, "paths": [str(folder)]})
    assert answer.status == 201, answer.body
    library_id = str(answer.json()["id"])
    deadline = time.monotonic() + 60
    while owner.get(f"/api/libraries/{library_id}/scan").json()["running"]:
        assert time.monotonic() < deadline, "scan did not finish"
        time.sleep(0.1)
    return library_id


def _signed_in_page(server: RunningServer, make: Callable[..., BrowserContext], errors: list[str]) -> Page:
    page = watch(make().new_page(), errors)
    page.goto(f"http://127.0.0.1:{server.port}/#/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Sign in to Reelhouse")
    return page


def _nothing_injected(page: Page) -> None:
    # An <img src=x> errors at once; give any handler a moment to run before looking.
    page.wait_for_timeout(300)
    assert page.locator(INJECTED).count() == 0
    assert page.evaluate("() => window.pwned") is None


def test_markup_in_metadata_renders_as_text_and_never_runs(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    music = tmp_path / "media" / "Music"
    media_kit.audio_at(
        music / "a" / "01 track.mp3", title=SCRIPT, artist=BREAKER, album_artist=BREAKER, album=CLOSER, track=1,
        genre=SCRIPT,
    )  # fmt: skip
    movies = tmp_path / "media" / "Movies"
    folder = movies / "Quiet Film (2001)"
    media_kit.video_at(folder / "Quiet Film (2001).mp4")
    (folder / "Quiet Film (2001).nfo").write_text(
        f"<movie><title>&lt;script&gt;alert(1)&lt;/script&gt; film</title><plot>{PLOT}</plot>"
        "<genre>&lt;b onmouseover=alert(6)&gt;bold</genre><mpaa>&lt;i&gt;PG&lt;/i&gt;</mpaa></movie>",
        encoding="utf-8",
    )
    server.create_user("owner", Role.OWNER, password=PASSWORD)
    owner = server.sign_in("owner", password=PASSWORD)
    music_id = _library(owner, "Music", "music", music)
    movies_id = _library(owner, "Movies", "movies", movies)
    page = _signed_in_page(server, context_factory, errors_seen)
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)

    # Library pages: the cards carry the titles as text.
    page.goto(f"http://127.0.0.1:{server.port}/#/library/{movies_id}")
    # Scoped to the library's grid: the home page's "Recently added" row can still be on screen for a moment.
    grid = page.get_by_role("list", name=re.compile(r", page\b"))
    film = grid.get_by_role("link", name=f"{SCRIPT} film")
    expect(film).to_be_visible()
    _nothing_injected(page)
    camera.shot(page, "movies")
    page.goto(f"http://127.0.0.1:{server.port}/#/library/{music_id}")
    artist = grid.get_by_role("link", name=BREAKER)
    expect(artist).to_be_visible()
    _nothing_injected(page)
    camera.shot(page, "music")

    # Item pages: the heading, plot, genres, rating and the document title are the literal text.
    film_id = owner.get(f"/api/libraries/{movies_id}/items").json()["items"][0]["id"]
    page.goto(f"http://127.0.0.1:{server.port}/#/item/{film_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{SCRIPT} film")
    expect(page.locator(".plot")).to_have_text(PLOT_TEXT)
    expect(page.locator(".genres")).to_have_text("<b onmouseover=alert(6)>bold")
    expect(page.locator(".meta")).to_contain_text("<i>PG</i>")
    assert page.title() == f"{SCRIPT} film · Reelhouse"
    _nothing_injected(page)
    camera.shot(page, "film")
    page.goto(f"http://127.0.0.1:{server.port}/#/library/{music_id}")
    page.get_by_role("link", name=BREAKER).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(BREAKER)
    page.get_by_role("link", name=CLOSER).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CLOSER)
    track = page.get_by_role("list", name="Tracks").get_by_role("link", name=f"1. {SCRIPT}", exact=True)
    expect(track).to_be_visible()
    assert page.title() == f"{CLOSER} · Reelhouse"
    _nothing_injected(page)
    camera.shot(page, "album")
    track.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SCRIPT)
    expect(page.locator(".genres")).to_have_text(SCRIPT)
    _nothing_injected(page)

    # Search: both the results and the query echoed back from the URL stay text.
    typed = '<img src=x onerror="window.pwned=3">'
    page.goto(f"http://127.0.0.1:{server.port}/#/search?q={quote(typed)}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Results for “{typed}”")
    _nothing_injected(page)
    page.goto(f"http://127.0.0.1:{server.port}/#/search?q=alert")
    results = page.get_by_role("list", name="Search results")
    # Every item carries "alert" in its markup: the track, the film, the artist and the album.
    expect(results.locator(".title")).to_have_count(4)
    assert sorted(results.locator(".title").all_inner_texts()) == sorted(
        [SCRIPT, f"{SCRIPT} film", BREAKER, CLOSER]
    )
    _nothing_injected(page)
    camera.shot(page, "search")

    assert dialogs == []
    assert errors_seen == []
