"""axe-core over every page of the app in Chromium: no serious or critical WCAG 2.x A/AA or best-practice
violation on any of them, signed out or in, with the search suggestions and the mini-player's queue open, the
play choices, a playlist, a slideshow and Up next at the end of an episode, and none of the moderate findings
named in ALWAYS.

axe-core is pinned in tests/clients/package-lock.json (installed by scripts/bootstrap.sh's `npm ci`). The app's
CSP allows no inline script, so Playwright's add_script_tag (an inline <script>) would be refused; an init script
is injected by the browser itself, before the page's own scripts and outside its CSP, so axe is present on every
page without loosening the policy the app is checked under.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp.conftest import Camera, watch
from tests.webapp.tour import drawer, open_page, tour, world

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "clients" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Moderate findings that were fixed and must stay so: two landmarks of one kind told apart by name (the album
# page, a shows library), and a level-one heading on every page (the photo viewer at phone and TV sizes).
ALWAYS = ["landmark-unique", "page-has-heading-one"]
# What axe judges serious or critical, or any of ALWAYS, each with the first few elements it found, to name in a
# failure.
AUDIT = """async ([tags, always]) => {
  const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical' || always.includes(v.id))
    .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')
      + ` -- ${v.nodes[0].failureSummary.replace(/\\s+/g, ' ')}`);
}"""


class Auditor:
    """Runs axe on each page visited and gathers every serious or critical finding, page by page."""

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self.found: dict[str, list[str]] = {}

    def check(self, page: Page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        self.camera.shot(page, name)
        violations = page.evaluate(AUDIT, [TAGS, ALWAYS])
        if violations:
            self.found[name] = violations


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

    for name in tour(page, server, ids):
        audit.check(page, name)

    # The phone's drawer and the 10-foot layout are laid out (and coloured) by rules of their own.
    page.set_viewport_size({"width": 390, "height": 844})
    for name in drawer(page, base):
        audit.check(page, f"phone-{name}")
    open_page(page, f"{base}/#/photo/{ids['photo']}")
    # Exact: the mini-player's "Previous track" is on screen too when the tour left music playing.
    expect(page.get_by_role("button", name="Previous", exact=True)).to_be_visible()
    audit.check(page, "phone-photo")
    page.set_viewport_size({"width": 1920, "height": 1080})
    # As a television sees it: the 10-foot layout's own rules (the Account page's choice, kept in the browser).
    page.evaluate("() => localStorage.setItem('reelhouse.tv-layout', 'on')")
    page.reload()
    page.wait_for_function("() => document.documentElement.classList.contains('tv')")
    tv_pages = [
        # (name, path, a text that shows the page has drawn: a heading alone comes before the page's data)
        ("tv-home", "/", "Recently added in Films"),
        ("tv-item", f"/item/{ids['movie']}", "A ferry pilot"),
        ("tv-library-shows", f"/library/{ids['shows']}", "Harbour Watch"),
        ("tv-album", f"/item/{ids['album']}", "Gulls"),
        ("tv-photo", f"/photo/{ids['photo']}", "Previous"),
        ("tv-player", f"/play/{ids['movie']}", "Direct play"),
    ]
    for name, path, drawn in tv_pages:
        open_page(page, f"{base}/#{path}")
        expect(page.get_by_text(drawn).first).to_be_visible()
        audit.check(page, name)

    assert audit.found == {}, "\n".join(f"{name}: {v}" for name, vs in audit.found.items() for v in vs)
    assert errors_seen == []
