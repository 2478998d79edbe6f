"""A small real world (films with cast, a show, an album, photos) and a tour of every page of the app in it,
shared by the accessibility test, which audits each stop, and scripts/screenshots.py, which photographs it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Page, expect

from reelhouse.domain.access import Role, system_actor
from tests.harness import RunningServer
from tests.mediagen import MediaKit, jpeg_bytes
from tests.webapp import playermedia
from tests.webapp.test_photo_timeline import shoot
from tests.webapp.test_player_journey import scanned

HAS_FRAME = "() => { const v = document.querySelector('video'); return v && v.readyState >= 2; }"
PASSWORD = "correct horse battery"  # the harness's default, so server.sign_in("owner") works too
NFO = """<?xml version="1.0" encoding="UTF-8"?>
<movie><title>Night Harbour</title><year>2019</year><plot>A ferry pilot keeps the lights on.</plot>
<genre>Drama</genre><director>Dee Rector</director>
<actor><name>Ann Actor</name><role>The Pilot</role><order>0</order></actor></movie>
"""


def open_page(page: Page, url: str) -> None:
    """Go to one of the app's pages and wait until it has drawn. A hash change leaves the last page on screen until
    the new one renders, so a text both pages show (a photo's name on its library and on its own page) would
    otherwise pass for the new page while the old one is about to be cleared."""
    page.evaluate("() => performance.clearMarks('reelhouse:rendered')")
    page.goto(url)
    page.wait_for_function("() => performance.getEntriesByName('reelhouse:rendered').length > 0")


def world(server: RunningServer, media_kit: MediaKit, folder: Path) -> dict[str, str]:
    """Films (one with cast from its NFO), a show, an album and photos; the ids of the pages to visit."""
    media = folder / "media"
    films = media / "Films"
    night = films / "Night Harbour (2019)"
    # Long enough to be part way through, so Home and the item page show progress and Resume.
    playermedia.place(
        playermedia.h264_mp4(folder / "masters", 20, "long.mp4"), night / "Night Harbour (2019).mp4"
    )
    (night / "Night Harbour (2019).nfo").write_text(NFO, encoding="utf-8")
    (night / ".actors").mkdir()
    (night / ".actors" / "Ann_Actor.jpg").write_bytes(jpeg_bytes((10, 90, 200), (64, 96)))
    media_kit.video_at(films / "Amber Fields (2021)" / "Amber Fields (2021).mp4")
    # Two versions, one with two audio languages, and subtitles: the item page's choices before playing.
    cuts = films / "Two Cuts (2020)"
    playermedia.place(
        playermedia.h264_mp4(folder / "masters", 3, "plain.mp4"), cuts / "Two Cuts (2020) - Plain.mp4"
    )
    bilingual = playermedia.place(
        playermedia.two_languages_mp4(folder / "masters"), cuts / "Two Cuts (2020) - Bilingual.mp4"
    )
    bilingual.with_suffix(".en.srt").write_text("1\n00:00:00,000 --> 00:00:02,000\nHello\n", encoding="utf-8")
    # Short episodes the browser plays by itself, so the first one reaches its end and Up next within a tour.
    short = playermedia.h264_mp4(folder / "masters", 2, "short.mp4")
    for episode in (1, 2):
        playermedia.place(
            short, media / "Shows" / "Harbour Watch" / "Season 01" / f"Harbour Watch - S01E0{episode}.mp4"
        )
    for number, title in [(1, "Morning Fog"), (2, "Gulls")]:
        media_kit.audio_at(
            media / "Music" / "Harbour Lights" / "Low Tide" / f"{number:02d} {title}.mp3",
            title=title,
            artist="Harbour Lights",
            album_artist="Harbour Lights",
            album="Low Tide",
            track=number,
        )
    shoot(media / "Photos")
    ids = {
        "films": scanned(server, "Films", "movies", films),
        "shows": scanned(server, "Shows", "shows", media / "Shows"),
        "music": scanned(server, "Music", "music", media / "Music"),
        "photos": scanned(server, "Photos", "photos", media / "Photos"),
    }
    catalogue = server.server.services.catalogue
    everyone = system_actor("tour")

    def find(text: str, kind: str) -> str:
        return str(next(i.id for i in catalogue.search(everyone, text, 50) if i.kind == kind))

    ids["movie"] = find("night harbour", "movie")
    ids["episode"] = find("episode 1", "episode")
    ids["show"] = find("harbour watch", "show")
    episodes = catalogue.search(everyone, "episode 1", 50)
    ids["season"] = str(next(i.parent_id for i in episodes if i.id == ids["episode"]))
    ids["album"] = find("low tide", "album")
    ids["photo"] = find("kite", "photo")
    # Undated, so last in the timeline: a slideshow there stays on its page instead of moving on mid-audit.
    ids["last_photo"] = find("scan", "photo")
    ids["cuts"] = find("two cuts", "movie")
    ids["track"] = find("gulls", "track")
    return ids


def tour(page: Page, server: RunningServer, ids: dict[str, str]) -> Iterator[str]:
    """Drive a fresh server's page through every page and open panel, yielding each one's name once drawn.
    It starts with no owner (setup), makes one and a managed profile, and signs the page's context in."""
    base = f"http://127.0.0.1:{server.port}"
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Set up Reelhouse")).to_be_visible()
    yield "setup"
    code = server.server.services.accounts.issue_setup_code()
    assert code is not None
    page.get_by_label("Setup code").fill(code)
    page.get_by_label("Your username").fill("owner")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create owner").click()
    expect(page.get_by_role("heading", name="Your server is ready")).to_be_visible()
    yield "setup-ready"

    # Signed out: sign-in, the profile picker at home, and a friend's invitation.
    owner = server.sign_in("owner", PASSWORD)
    kit = {"username": "kit", "role": Role.MANAGED.value, "grants": {"libraries": "all"}}
    assert owner.post("/api/users", kit).status == 201
    # Part way through a film and one episode seen: Continue watching, Next up and Resume have something.
    assert owner.request("PUT", f"/api/items/{ids['movie']}/playstate", {"position": 9}).status == 200
    assert owner.request("PUT", f"/api/items/{ids['episode']}/watched", {"watched": True}).status == 200
    # Signed out without the header's button, which a phone keeps in a menu.
    page.context.clear_cookies()
    page.goto(f"{base}/#/signin")
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("^Sign in"))).to_be_visible()
    yield "signin"
    page.get_by_role("link", name="Pick a profile instead").click()
    expect(page.get_by_role("list", name="Profiles")).to_be_visible()
    yield "profiles"
    made = owner.post("/api/invitations", {"grants": {"libraries": "all"}, "message": "The films I promised"})
    assert made.status == 201, made.body
    page.goto(made.json()["url"])
    expect(page.get_by_role("heading", name=re.compile("^You are invited to"))).to_be_visible()
    yield "invite"

    assert owner.token
    listed = {"name": "Evening", "item_ids": [ids["movie"], ids["episode"], ids["track"]]}
    playlist = owner.post("/api/playlists", listed)
    assert playlist.status == 201, playlist.body
    page.context.add_cookies([{"name": "reelhouse", "value": owner.token, "url": base}])
    pages = [
        # (name, path, a text that shows the page has drawn)
        ("home", "/", "Recently added in Films"),
        ("library-movies", f"/library/{ids['films']}", "Amber Fields"),
        ("library-shows", f"/library/{ids['shows']}", "Harbour Watch"),
        ("library-music", f"/library/{ids['music']}", "Harbour Lights"),
        ("library-photos", f"/library/{ids['photos']}", "kite"),
        ("photo", f"/photo/{ids['photo']}", "kite"),
        ("photo-slideshow", f"/photo/{ids['last_photo']}?slideshow=1", "Pause slideshow"),
        ("item-movie", f"/item/{ids['movie']}", "A ferry pilot"),
        ("item-show", f"/item/{ids['show']}", "Season 1"),
        ("item-season", f"/item/{ids['season']}", "Episode 2"),
        ("item-episode", f"/item/{ids['episode']}", "Harbour Watch"),
        ("item-album", f"/item/{ids['album']}", "Gulls"),
        ("item-play-choices", f"/item/{ids['cuts']}", "Play with"),
        ("playlists", "/playlists", "Evening"),
        ("playlist", f"/playlist/{playlist.json()['id']}", "Gulls"),
        ("person", "/search?q=ann", "Ann Actor"),
        ("player", f"/play/{ids['movie']}", "Night Harbour"),
        ("search", "/search?q=harbour", "Night Harbour"),
        ("account", "/account", "Sessions"),
        ("servers", "/servers", "Reachable"),
        ("settings-general", "/settings/general", "Save Changes"),
        ("settings-network", "/settings/network", "Save Changes"),
        ("settings-links", "/settings/links", "Link to another server"),
        ("settings-users", "/settings/users", "Managed profiles"),
        ("settings-libraries", "/settings/libraries", "media/Shows"),
        ("settings-remote", "/settings/remote", "Remote Access"),
        ("settings-transcoder", "/settings/transcoder", "Transcoder"),
        ("settings-audit", "/settings/audit", "Audit log"),
    ]
    for name, path, drawn in pages:
        open_page(page, f"{base}/#{path}")
        expect(page.get_by_text(drawn).first).to_be_visible()
        if name == "person":
            page.get_by_role("link", name=re.compile("^Ann Actor")).first.click()
            expect(page.get_by_role("heading", name="Ann Actor", level=1)).to_be_visible()
        if name == "player":
            page.wait_for_function(HAS_FRAME)
        if name == "item-play-choices":
            # The bilingual version brings the Audio choice beside Version and Subtitles.
            version = page.get_by_label("Version", exact=True)
            version.select_option(label=version.locator("option", has_text="Bilingual").text_content() or "")
            expect(page.get_by_label("Audio", exact=True)).to_be_visible()
        yield name

    # The end of an episode: Up next counts down to the next one (cancelled once seen, so it does not move on).
    page.goto(f"{base}/#/play/{ids['episode']}?from=start")
    card = page.get_by_role("region", name=re.compile("^Up next"))
    expect(card).to_be_visible(timeout=15_000)
    yield "player-up-next"
    card.get_by_role("button", name="Cancel").click()

    page.goto(f"{base}/#/item/{ids['movie']}")
    page.get_by_text("Media info").click()
    yield "item-media-info"

    page.goto(f"{base}/#/")
    box = page.get_by_role("combobox", name="Search")
    box.fill("")  # the search page left its words in the header's box
    box.press_sequentially("harb", delay=20)
    expect(page.get_by_role("listbox", name="Search suggestions")).to_be_visible()
    yield "search-suggestions"
    box.fill("")
    box.press_sequentially("zqx", delay=20)
    expect(page.get_by_role("listbox", name="Search suggestions")).to_contain_text("Nothing matches")
    yield "search-suggestions-none"
    box.fill("")

    page.goto(f"{base}/#/item/{ids['album']}")
    page.get_by_role("link", name="Play Gulls").click()
    bar = page.locator("#mini-player")
    bar.get_by_role("button", name="Queue", exact=True).click()
    expect(bar.get_by_role("heading", name="Queue")).to_be_visible()
    yield "mini-player-queue"
    bar.get_by_role("button", name="Queue", exact=True).click()

    viewport = page.viewport_size
    if viewport and viewport["width"] < 800:
        yield from drawer(page, base)


def drawer(page: Page, base: str) -> Iterator[str]:
    """On a phone the libraries open as a drawer over Home."""
    page.goto(f"{base}/#/")
    page.get_by_role("button", name="Libraries").click()
    expect(page.get_by_role("list", name="Libraries")).to_be_visible()
    yield "drawer"
    page.keyboard.press("Escape")
