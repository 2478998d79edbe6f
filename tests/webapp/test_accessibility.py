"""axe-core over every page of the app in Chromium: no serious or critical WCAG 2.x A/AA or best-practice
violation on any of them, signed out or in, with the search suggestions and the mini-player's queue open.

axe-core is pinned in tests/clients/package-lock.json (installed by scripts/bootstrap.sh's `npm ci`). The app's
CSP allows no inline script, so Playwright's add_script_tag (an inline <script>) would be refused; an init script
is injected by the browser itself, before the page's own scripts and outside its CSP, so axe is present on every
page without loosening the policy the app is checked under.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from reelhouse.domain.access import Role, system_actor
from tests.harness import RunningServer
from tests.mediagen import MediaKit, jpeg_bytes
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_photo_timeline import shoot
from tests.webapp.test_player_journey import scanned

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "clients" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# What axe judges serious or critical, each with the first few elements it found, to name in a failure.
AUDIT = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')
      + ` -- ${v.nodes[0].failureSummary.replace(/\\s+/g, ' ')}`);
}"""
NFO = """<?xml version="1.0" encoding="UTF-8"?>
<movie><title>Night Harbour</title><year>2019</year><plot>A ferry pilot keeps the lights on.</plot>
<genre>Drama</genre><director>Dee Rector</director>
<actor><name>Ann Actor</name><role>The Pilot</role><order>0</order></actor></movie>
"""


class Auditor:
    """Runs axe on each page visited and gathers every serious or critical finding, page by page."""

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self.found: dict[str, list[str]] = {}

    def check(self, page: Page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        self.camera.shot(page, name)
        violations = page.evaluate(AUDIT, TAGS)
        if violations:
            self.found[name] = violations


def world(server: RunningServer, media_kit: MediaKit, tmp_path: Path) -> dict[str, str]:
    """Films (one with cast from its NFO), a show, an album and photos; the ids of the pages to visit."""
    media = tmp_path / "media"
    films = media / "Films"
    night = films / "Night Harbour (2019)"
    media_kit.video_at(night / "Night Harbour (2019).mp4")
    (night / "Night Harbour (2019).nfo").write_text(NFO, encoding="utf-8")
    (night / ".actors").mkdir()
    (night / ".actors" / "Ann_Actor.jpg").write_bytes(jpeg_bytes((10, 90, 200), (64, 96)))
    media_kit.video_at(films / "Amber Fields (2021)" / "Amber Fields (2021).mp4")
    for episode in (1, 2):
        media_kit.video_at(
            media / "Shows" / "Harbour Watch" / "Season 01" / f"Harbour Watch - S01E0{episode}.mp4"
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
    everyone = system_actor("test")

    def find(text: str, kind: str) -> str:
        return str(next(i.id for i in catalogue.search(everyone, text, 50) if i.kind == kind))

    ids["movie"] = find("night harbour", "movie")
    ids["episode"] = find("episode 1", "episode")
    ids["album"] = find("low tide", "album")
    ids["photo"] = find("kite", "photo")
    return ids


def test_no_page_has_a_serious_or_critical_axe_violation(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    assert AXE.exists(), "axe-core is missing: scripts/bootstrap.sh installs tests/clients with npm ci"
    ids = world(server, media_kit, tmp_path)
    base = f"http://127.0.0.1:{server.port}"
    context = context_factory()
    context.add_init_script(path=str(AXE))
    page = watch(context.new_page(), errors_seen)
    audit = Auditor(camera)

    # Signed out: first setup, then sign-in once an owner exists, then a friend's invitation.
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Set up Reelhouse")).to_be_visible()
    audit.check(page, "setup")
    server.create_user("owner", Role.OWNER)
    owner = server.sign_in("owner")
    page.goto(f"{base}/#/signin")
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("^Sign in"))).to_be_visible()
    audit.check(page, "signin")
    made = owner.post("/api/invitations", {"grants": {"libraries": "all"}, "message": "The films I promised"})
    assert made.status == 201, made.body
    page.goto(made.json()["url"])
    expect(page.get_by_role("heading", name=re.compile("^You are invited to"))).to_be_visible()
    audit.check(page, "invite")

    assert owner.token
    context.add_cookies([{"name": "reelhouse", "value": owner.token, "url": base}])
    pages = [
        # (name, path, a text that shows the page has drawn)
        ("home", "/", "Recently added in Films"),
        ("library-movies", f"/library/{ids['films']}", "Amber Fields"),
        ("library-photos", f"/library/{ids['photos']}", "kite"),
        ("photo", f"/photo/{ids['photo']}", "kite"),
        ("item-movie", f"/item/{ids['movie']}", "A ferry pilot"),
        ("item-episode", f"/item/{ids['episode']}", "Harbour Watch"),
        ("item-album", f"/item/{ids['album']}", "Gulls"),
        ("person", "/search?q=ann", "Ann Actor"),
        ("player", f"/play/{ids['movie']}", "Night Harbour"),
        ("search", "/search?q=harbour", "Night Harbour"),
        ("account", "/account", "Sessions"),
        ("servers", "/servers", "Reachable"),
        ("settings-general", "/settings/general", "Save Changes"),
        ("settings-network", "/settings/network", "Save Changes"),
        ("settings-users", "/settings/users", "Managed profiles"),
    ]
    for name, path, drawn in pages:
        page.goto(f"{base}/#{path}")
        expect(page.get_by_text(drawn).first).to_be_visible()
        if name == "person":
            page.get_by_role("link", name=re.compile("^Ann Actor")).first.click()
            expect(page.get_by_role("heading", name="Ann Actor", level=1)).to_be_visible()
        audit.check(page, name)

    page.goto(f"{base}/#/")
    box = page.get_by_role("combobox", name="Search")
    box.fill("")
    box.press_sequentially("harb", delay=20)
    expect(page.get_by_role("listbox", name="Search suggestions")).to_be_visible()
    audit.check(page, "search-suggestions")
    box.fill("")
    box.press_sequentially("zqx", delay=20)
    expect(page.get_by_role("listbox", name="Search suggestions")).to_contain_text("Nothing matches")
    audit.check(page, "search-suggestions-none")

    page.goto(f"{base}/#/item/{ids['album']}")
    page.get_by_role("link", name="Play Gulls").click()
    bar = page.locator("#mini-player")
    bar.get_by_role("button", name="Queue").click()
    expect(bar.get_by_role("heading", name="Queue")).to_be_visible()
    audit.check(page, "mini-player-queue")

    # The phone's drawer and the 10-foot layout are laid out (and coloured) by rules of their own.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/#/")
    page.get_by_role("button", name="Libraries").click()
    expect(page.get_by_role("list", name="Libraries")).to_be_visible()
    audit.check(page, "phone-drawer")
    page.set_viewport_size({"width": 1920, "height": 1080})
    for name, path in [("tv-home", "/"), ("tv-item", f"/item/{ids['movie']}")]:
        page.goto(f"{base}/#{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        audit.check(page, name)

    assert audit.found == {}, "\n".join(f"{name}: {v}" for name, vs in audit.found.items() for v in vs)
    assert errors_seen == []
