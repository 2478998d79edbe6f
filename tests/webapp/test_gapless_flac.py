"""Gapless play for FLAC: Chromium's MediaSource refuses FLAC's own container, so the server copies each track
into fragmented MP4 (no re-encode) and the app chains those copies in one SourceBuffer, each cut to its exact
length in samples as the playback decision gives it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from reelhouse.domain.access import Role
from tests.harness import RunningServer
from tests.mediagen import ffmpeg
from tests.webapp.conftest import watch
from tests.webapp.test_gapless_album import HEARD, RATE, RECORD
from tests.webapp.test_player_journey import scanned

pytestmark = pytest.mark.browser

# Neither cut falls on a FLAC block (4,608 samples at this rate), so the last block of each track is short.
FIRST = 2 * RATE + 1_234
SECOND = 2 * RATE + 567

# Which type the page's SourceBuffers take, and which URLs it fetches.
TYPES = """(() => {
  window.bufferTypes = [];
  const add = MediaSource.prototype.addSourceBuffer;
  MediaSource.prototype.addSourceBuffer = function (type) { window.bufferTypes.push(type); return add.call(this, type); };
})();"""


def flac_album(root: Path) -> Path:
    """One 440 Hz tone cut into two FLAC album tracks at sample FIRST."""
    folder = root / "Quartet" / "Unbroken"
    folder.mkdir(parents=True)
    tone = root.parent / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={RATE}:duration=5", "-ac", "2", str(tone))
    cuts = [
        ("Adagio", f"atrim=end_sample={FIRST}"),
        ("Allegro", f"atrim=start_sample={FIRST}:end_sample={FIRST + SECOND},asetpts=PTS-STARTPTS"),
    ]
    for number, (title, trim) in enumerate(cuts, start=1):
        tags = {
            "title": title,
            "artist": "Quartet",
            "album_artist": "Quartet",
            "album": "Unbroken",
            "track": str(number),
        }
        ffmpeg(
            "-i", str(tone), "-af", trim, "-c:a", "flac",
            *[arg for key, value in tags.items() for arg in ("-metadata", f"{key}={value}")],
            str(folder / f"{number:02d} {title}.flac"),
        )  # fmt: skip
    return root


def test_a_flac_album_plays_gaplessly_through_mp4_copies_in_one_element(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    library_id = scanned(server, "Music", "music", flac_album(tmp_path / "media" / "Music"))
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    context = context_factory()
    context.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    context.add_init_script(RECORD)
    context.add_init_script(TYPES)
    page = watch(context.new_page(), errors_seen)
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/api/items/" in r.url else None)
    page.goto(f"{base}/#/library/{library_id}")
    page.get_by_role("link", name=re.compile("Quartet")).first.click()
    page.get_by_role("link", name=re.compile("Unbroken")).first.click()
    page.get_by_role("link", name="Play album").click()
    bar = page.get_by_role("region", name="Music player")
    expect(bar.locator(".mp-title")).to_have_text("Adagio")
    page.wait_for_function(
        "() => { const a = document.querySelector('#mini-player audio'); return a && !a.paused; }"
    )
    page.evaluate("() => { window.first = document.querySelector('#mini-player audio'); }")
    expect(bar.locator(".mp-title")).to_have_text("Allegro", timeout=15_000)
    page.wait_for_function(
        "() => { const a = document.querySelector('#mini-player audio'); return a.ended || a.currentTime > 3; }"
    )
    page.wait_for_function(
        "() => window.heard.reduce((n, c) => n + c.length, 0) > 2.9 * window.listening.sampleRate"
    )
    appends, titles, endings, same, buffered, types = page.evaluate(
        """() => { const a = document.querySelector('#mini-player audio');
          return [window.appends, window.titles, window.endings, a === window.first,
                  Array.from({ length: a.buffered.length }, (_, i) => [a.buffered.start(i), a.buffered.end(i)]),
                  window.bufferTypes]; }"""
    )
    boundary = FIRST / RATE
    total = (FIRST + SECOND) / RATE
    # One unbroken tone was heard: no silent stretch, and every upward zero crossing where one sine puts it.
    silent_run, slipped, crossings, heard_seconds = page.evaluate(HEARD)
    assert heard_seconds > boundary + 0.3, heard_seconds
    assert silent_run < 8, silent_run
    assert crossings > 800 and slipped <= 2, (crossings, slipped)
    # Both tracks came as the server's MP4 copies, into one FLAC-in-MP4 SourceBuffer, each in a window of its
    # exact length, the second starting where the first ends.
    assert types == ['audio/mp4; codecs="flac"'], types
    assert sum("remux=fmp4" in url for url in fetched) == 2, fetched
    windows = list(dict.fromkeys((a["mode"], a["start"], a["end"]) for a in appends))
    assert windows == [
        ("sequence", 0, pytest.approx(boundary, abs=1e-6)),
        ("sequence", pytest.approx(boundary, abs=1e-6), pytest.approx(total, abs=1e-6)),
    ], appends
    last_of_first = [a for a in appends if a["start"] == 0][-1]
    assert last_of_first["buffered"] == [[0, pytest.approx(boundary, abs=1e-6)]], appends
    # The browser keeps each end in whole microseconds, rounded down: two tracks may come a microsecond or two
    # short of the exact total, a tenth of one sample.
    assert buffered == [[0, pytest.approx(total, abs=2e-6)]], buffered
    # The same element plays on, no element ended in between, and there is only one.
    assert same and endings == [], (same, endings)
    assert page.evaluate("() => document.querySelectorAll('audio').length") == 1
    assert titles[-1]["src"].startswith("blob:"), titles
    # The bar moved to the second track when the music reached it.
    allegro = next(t for t in titles if t["title"] == "Allegro")
    assert boundary <= allegro["at"] < boundary + 0.2, (allegro, boundary)
    assert float(bar.get_by_role("slider", name="Seek").get_attribute("max") or 0) == int(SECOND / RATE)
    assert errors_seen == []
