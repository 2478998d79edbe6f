"""Playlists in a real browser: made, filled from item pages, reordered, renamed, played, emptied and deleted; and a
member's playlist that stops showing a film once its library is no longer shared with them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from reelhouse.domain.access import Role
from tests.harness import RunningServer
from tests.webapp import playermedia
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_mini_player import album, bar_of, playing
from tests.webapp.test_player_journey import scanned

pytestmark = pytest.mark.browser

FILM = "Quiet Harbour"
EPISODE = "Harbour Watch — S01E02 · Episode 2"


def world(server: RunningServer, tmp_path: Path) -> tuple[str, str, str]:
    """A music library (Harbour Lights' Low Tide, three tracks), a film library with one H.264 film, and a show
    with two episodes."""
    music = scanned(server, "Music", "music", album(tmp_path / "media" / "Music"))
    film = playermedia.h264_mp4(tmp_path / "masters", 4, "film.mp4")
    films_root = tmp_path / "media" / "Films"
    playermedia.place(film, films_root / f"{FILM} (2019)" / f"{FILM} (2019).mp4")
    films = scanned(server, "Films", "movies", films_root)
    season = tmp_path / "media" / "Shows" / "Harbour Watch" / "Season 01"
    for number in (1, 2):
        playermedia.place(film, season / f"Harbour Watch - S01E0{number}.mp4")
    shows = scanned(server, "Shows", "shows", season.parent.parent)
    return music, films, shows


def browser_for(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    errors_seen: list[str],
    username: str,
) -> Page:
    base = f"http://127.0.0.1:{server.port}"
    token = server.sign_in(username).token
    assert token is not None
    context = context_factory()
    context.add_cookies([{"name": "reelhouse", "value": token, "url": base}])
    page = watch(context.new_page(), errors_seen)
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


def entries(page: Page) -> Locator:
    return page.get_by_role("list", name="Playlist items").get_by_role("listitem")


def entry_titles(page: Page) -> list[str]:
    return [t.strip() for t in entries(page).locator("a:first-child").all_text_contents()]


def add_from_dialog(page: Page, button: Locator, playlist: str) -> None:
    button.click()
    dialog = page.get_by_role("dialog", name=re.compile("to a playlist"))
    dialog.get_by_role("button", name=f"Add to {playlist}").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text(f"to {playlist}.")


def test_a_playlist_is_made_filled_reordered_renamed_played_and_deleted(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    music, films, _ = world(server, tmp_path)
    server.create_user("owner", Role.OWNER)
    page = browser_for(server, context_factory, errors_seen, "owner")
    base = f"http://127.0.0.1:{server.port}"
    page.goto(f"{base}/#/")

    # The side navigation leads to the playlists page, where a new one is made by name.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Playlists").click()
    expect(page.get_by_role("heading", name="Playlists", level=1)).to_be_visible()
    page.get_by_label("Name").fill("Road trip")
    page.get_by_role("button", name="Create playlist").click()
    mine = page.get_by_role("list", name="Your playlists").get_by_role("listitem")
    expect(mine).to_have_count(1)
    expect(mine.first).to_contain_text("Road trip")
    expect(mine.first).to_contain_text("0 items")

    # Two tracks from their album's rows and from a track's own page, and a film from its page.
    page.goto(f"{base}/#/library/{music}")
    page.get_by_role("link", name=re.compile("Harbour Lights")).first.click()
    page.get_by_role("link", name=re.compile("Low Tide")).first.click()
    expect(page.get_by_role("list", name="Tracks").get_by_role("listitem")).to_have_count(3)
    add_from_dialog(page, page.get_by_role("button", name="Add to playlist: Last Ferry"), "Road trip")
    page.get_by_role("list", name="Tracks").get_by_role("link", name=re.compile("Gulls")).first.click()
    expect(page.get_by_role("heading", name="Gulls", level=1)).to_be_visible()
    add_from_dialog(page, page.get_by_role("button", name="Add to playlist", exact=True), "Road trip")
    page.goto(f"{base}/#/library/{films}")
    page.get_by_role("link", name=re.compile(FILM)).first.click()
    expect(page.get_by_role("heading", name=FILM, level=1)).to_be_visible()
    add_from_dialog(page, page.get_by_role("button", name="Add to playlist", exact=True), "Road trip")
    camera.shot(page, "added")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Playlists").click()
    expect(mine.first).to_contain_text("3 items")
    mine.first.get_by_role("link", name="Road trip").click()
    expect(page.get_by_role("heading", name="Road trip", level=1)).to_be_visible()
    assert entry_titles(page) == ["Last Ferry", "Gulls", FILM]
    # A track names its album and artist.
    expect(entries(page).nth(0)).to_contain_text("Low Tide · Harbour Lights")

    # Reordering by keyboard: focus stays on the moved row's button, so pressing again moves it on.
    page.get_by_role("button", name="Move down: Last Ferry").focus()
    page.keyboard.press("Enter")
    expect(entries(page).first.locator("a").first).to_have_text("Gulls")
    expect(page.get_by_role("button", name="Move down: Last Ferry")).to_be_focused()
    page.keyboard.press("Enter")
    expect(entries(page).nth(2).locator("a").first).to_have_text("Last Ferry")
    assert entry_titles(page) == ["Gulls", FILM, "Last Ferry"]
    page.get_by_role("button", name="Move up: Last Ferry").click()
    expect(entries(page).nth(1).locator("a").first).to_have_text("Last Ferry")
    page.reload()
    expect(entries(page)).to_have_count(3)
    assert entry_titles(page) == ["Gulls", "Last Ferry", FILM]

    # Play all queues the playlist's tracks, in its order, in the mini-player.
    page.get_by_role("button", name="Play all").click()
    playing(page, "Gulls")
    expect(bar_of(page).locator(".mp-list .mp-item-title")).to_have_text(["Gulls", "Last Ferry"])
    camera.shot(page, "playing")

    page.get_by_role("button", name="Remove Last Ferry").click()
    expect(entries(page)).to_have_count(2)
    assert entry_titles(page) == ["Gulls", FILM]
    expect(page.get_by_text("2 items")).to_be_visible()
    # With no tracks left, Play all opens the player on the first video.
    page.get_by_role("button", name="Remove Gulls").click()
    expect(entries(page)).to_have_count(1)
    page.get_by_role("button", name="Play all").click()
    expect(page).to_have_url(re.compile(r"#/play/"))
    page.wait_for_function(
        "() => { const v = document.querySelector('main video'); return v && v.currentTime > 0.2; }",
        timeout=15_000,
    )

    # Renamed and deleted from the list of playlists.
    page.get_by_role("link", name="Playlists").first.click()
    expect(mine.first).to_contain_text("1 item")
    page.get_by_role("button", name="Rename Road trip").click()
    page.get_by_label("New name for Road trip").fill("Harbour evenings")
    page.get_by_role("button", name="Save name").click()
    expect(mine.first.get_by_role("link")).to_have_text("Harbour evenings")
    page.get_by_role("button", name="Delete Harbour evenings").click()
    confirm = page.get_by_role("dialog", name=re.compile("Delete"))
    confirm.get_by_role("button", name="Cancel").click()
    expect(mine).to_have_count(1)
    page.get_by_role("button", name="Delete Harbour evenings").click()
    confirm.get_by_role("button", name="Delete playlist").click()
    expect(mine).to_have_count(0)
    expect(page.get_by_text("No playlists yet")).to_be_visible()
    assert server.sign_in("owner").get("/api/playlists").json() == []
    assert errors_seen == []


def test_a_members_playlist_hides_a_film_once_its_library_is_unshared(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    music, films, shows = world(server, tmp_path)
    server.create_user("owner", Role.OWNER)
    member_id = server.create_user("bea", Role.MEMBER)
    owner = server.sign_in("owner")
    shared = owner.request(
        "PATCH", f"/api/users/{member_id}", body={"grants": {"libraries": [music, films, shows]}}
    )
    assert shared.status == 200, shared.body
    bea = server.sign_in("bea")
    found = bea.get(f"/api/search?q={FILM.split()[0].lower()}").json()
    film_id = next(i["id"] for i in found if i["title"] == FILM)
    tracks = bea.get("/api/search?q=gulls").json()
    gulls_id = next(i["id"] for i in tracks if i["title"] == "Gulls")
    fog = bea.get("/api/search?q=morning").json()
    fog_id = next(i["id"] for i in fog if i["title"] == "Morning Fog")
    episodes = bea.get("/api/search?q=episode").json()
    episode_id = next(i["id"] for i in episodes if i["kind"] == "episode" and i["index"] == 2)
    made = bea.post(
        "/api/playlists", {"name": "Evenings", "item_ids": [film_id, gulls_id, fog_id, episode_id]}
    )
    assert made.status == 201, made.body

    page = browser_for(server, context_factory, errors_seen, "bea")
    page.goto(f"http://127.0.0.1:{server.port}/#/playlists")
    mine = page.get_by_role("list", name="Your playlists").get_by_role("listitem")
    expect(mine.first).to_contain_text("4 items")
    mine.first.get_by_role("link", name="Evenings").click()
    expect(entries(page)).to_have_count(4)
    # An episode is named with its show and number, as every listing names it.
    assert entry_titles(page) == [FILM, "Gulls", "Morning Fog", EPISODE]

    # The owner stops sharing the films with bea: her playlist keeps the track and no longer shows the film.
    unshared = owner.request(
        "PATCH", f"/api/users/{member_id}", body={"grants": {"libraries": [music, shows]}}
    )
    assert unshared.status == 200, unshared.body
    page.reload()
    expect(page.get_by_role("heading", name="Evenings", level=1)).to_be_visible()
    expect(entries(page)).to_have_count(3)
    assert entry_titles(page) == ["Gulls", "Morning Fog", EPISODE]
    expect(page.get_by_role("main")).not_to_contain_text(FILM)
    camera.shot(page, "unshared")
    # On a phone the row's buttons wrap under the title instead of widening the page.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("button", name="Remove Gulls")).to_be_visible()
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner
    camera.shot(page, "phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("link", name="Playlists").first.click()
    expect(mine.first).to_contain_text("3 items")
    expect(mine.first).not_to_contain_text("4 items")

    # Reordering what she sees leaves the hidden film where it was: shared again, it is back in its place.
    mine.first.get_by_role("link", name="Evenings").click()
    page.get_by_role("button", name="Move up: Morning Fog").click()
    expect(entries(page).first.locator("a").first).to_have_text("Morning Fog")
    assert entry_titles(page) == ["Morning Fog", "Gulls", EPISODE]
    again = owner.request(
        "PATCH", f"/api/users/{member_id}", body={"grants": {"libraries": [music, films, shows]}}
    )
    assert again.status == 200, again.body
    page.reload()
    expect(entries(page)).to_have_count(4)
    assert entry_titles(page) == [FILM, "Morning Fog", "Gulls", EPISODE]
    assert errors_seen == []
