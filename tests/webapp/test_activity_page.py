"""Settings › Activity: admins see the transcodes running now (GET /api/transcodes), each with its profile, where
its encoder runs, its queue and a fallback reason when there was one, refreshed while the page is open, and an
empty state once none runs; members never see the page or its link. The Transcoder page offers transcode_gpu."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.playback import media
from tests.playback.test_hls import Hls
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_accessibility import ALWAYS, AUDIT, AXE, TAGS
from tests.webapp.test_player_journey import scanned, signed_in

pytestmark = pytest.mark.browser
REASON = "fell back to CPU: no GPU worker took the job"


def test_admins_watch_running_transcodes_come_and_go_and_members_never_see_them(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
    tmp_path: Path,
) -> None:
    root = tmp_path / "media" / "Films"
    media.hevc_ac3_mkv(root / "Film (2001)" / "Film (2001).mkv", seconds=9, size="160x120")
    scanned(server, "Films", "movies", root)
    (item,) = server.server.services.catalogue.search(system_actor("test"), "film")
    page = signed_in(server, context_factory, errors_seen)
    page.context.add_init_script(path=str(AXE))
    axe_found: dict[str, list[str]] = {}

    def audit(name: str) -> None:
        page.wait_for_load_state("networkidle")
        camera.shot(page, name)
        if found := page.evaluate(AUDIT, [TAGS, ALWAYS]):
            axe_found[name] = found

    # A real HLS session, its first segment encoded by this server's ffmpeg (HEVC is always transcoded).
    owner = server.owner()
    answer = owner.post(f"/api/items/{item.id}/playback", {})
    assert answer.status == 200 and answer.json()["method"] == "transcode", answer.body
    session_id = answer.json()["session_id"]
    Hls(server.anonymous(), answer.json()["url"]).segment(0)
    # Without transcode workers nothing falls back; the reason a worker session would carry, set on it here.
    (session,) = server.server.services.media.encoders.active()
    session.fallback = REASON

    base = f"http://127.0.0.1:{server.port}"
    page.goto(f"{base}/#/settings/transcoder")
    gpu = page.get_by_label("GPU transcode workers")
    expect(gpu).to_have_value("off")
    expect(gpu.locator("option")).to_have_count(3)
    audit("settings-transcoder")

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Activity").click()
    expect(page.get_by_role("heading", name="Activity", level=1)).to_be_visible()
    row = page.get_by_role("table", name="Running transcodes").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td")).to_have_text(
        [
            session_id[:8],
            "H.264 240p at 400 kbit/s, AAC at 160 kbit/s",
            "This server's ffmpeg",
            "None",
            REASON,
        ]
    )
    audit("settings-activity")

    # The player stops: the open page drops the row at its next refresh and says nothing runs.
    assert owner.request("DELETE", f"/api/hls/{session_id}").status == 204
    expect(page.get_by_text("Nothing is being transcoded right now.")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    audit("settings-activity-empty")
    assert axe_found == {}

    # A member has no Settings link, and the page itself asks nothing of the server for them.
    server.create_user("friend")
    member = context_factory()
    member.add_cookies([{"name": "reelhouse", "value": server.sign_in("friend").token, "url": base}])
    other = watch(member.new_page(), errors_seen)
    asked: list[str] = []
    other.on(
        "request", lambda request: asked.append(request.url) if "/api/transcodes" in request.url else None
    )
    other.goto(f"{base}/#/")
    expect(other.locator("#account-menu a")).to_have_text(["friend"])
    other.goto(f"{base}/#/settings/activity")
    expect(other.get_by_text("Only the server's owner and admins can change its settings.")).to_be_visible()
    expect(other.locator("a[href='#/settings/activity']")).to_have_count(0)
    assert asked == []
    assert errors_seen == []
