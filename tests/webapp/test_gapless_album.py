"""Gapless play: two tracks cut from one continuous tone at a sample boundary play from one <audio> element,
fed through MediaSource, the second starting at the first one's exact length, with the bar following at once."""

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
from tests.webapp.gapless_recording import assert_one_tone, heard_join, recording, wait_heard
from tests.webapp.test_player_journey import scanned

pytestmark = pytest.mark.browser

RATE = 44_100
# Neither cut falls on an MP3 frame (1,152 samples): the encoder pads both tracks, and only trimming hides it.
FIRST = 2 * RATE + 1_234
SECOND = 2 * RATE + 567


def split_tone(root: Path) -> Path:
    """One 440 Hz tone, cut into two album tracks at sample FIRST, each encoded on its own."""
    folder = root / "Hall" / "Live at the Hall"
    folder.mkdir(parents=True)
    tone = root.parent / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={RATE}:duration=5", "-ac", "2", str(tone))
    cuts = [
        ("Overture", f"atrim=end_sample={FIRST}"),
        ("Finale", f"atrim=start_sample={FIRST}:end_sample={FIRST + SECOND},asetpts=PTS-STARTPTS"),
    ]
    for number, (title, trim) in enumerate(cuts, start=1):
        tags = {
            "title": title,
            "artist": "Hall",
            "album_artist": "Hall",
            "album": "Live at the Hall",
            "track": str(number),
        }
        ffmpeg(
            "-i", str(tone), "-af", trim, "-c:a", "libmp3lame", "-b:a", "96k",
            *[arg for key, value in tags.items() for arg in ("-metadata", f"{key}={value}")],
            str(folder / f"{number:02d} {title}.mp3"),
        )  # fmt: skip
    # Synced lyrics on the second track: its lines follow the track's own time, not the element's.
    (folder / "02 Finale.lrc").write_text("[00:00.00]Opening bars\n[00:01.50]Closing bars\n")
    return root


def test_an_album_plays_gaplessly_in_one_element_cut_to_the_sample(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    library_id = scanned(server, "Music", "music", split_tone(tmp_path / "media" / "Music"))
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    context = recording(context_factory)
    context.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    page = watch(context.new_page(), errors_seen)
    page.goto(f"{base}/#/library/{library_id}")
    page.get_by_role("link", name=re.compile("Hall")).first.click()
    page.get_by_role("link", name=re.compile("Live at the Hall")).first.click()
    page.get_by_role("link", name="Play album").click()
    bar = page.get_by_role("region", name="Music player")
    expect(bar.locator(".mp-title")).to_have_text("Overture")
    first_id = page.evaluate("() => location.hash.match(/play\\/([^?]+)/)[1]")
    page.wait_for_function(
        "() => { const a = document.querySelector('#mini-player audio'); return a && !a.paused; }"
    )
    page.evaluate("() => { window.first = document.querySelector('#mini-player audio'); }")
    expect(bar.locator(".mp-title")).to_have_text("Finale", timeout=15_000)
    # A second into the Finale (or, with two elements taking turns, the end of its own shorter timeline), and the
    # recorder, a third of a second behind, has heard past the boundary.
    page.wait_for_function(
        "() => { const a = document.querySelector('#mini-player audio'); return a.ended || a.currentTime > 3; }"
    )
    wait_heard(page, 2.9)
    appends, titles, endings, same, buffered = page.evaluate(
        """() => { const a = document.querySelector('#mini-player audio');
          return [window.appends, window.titles, window.endings, a === window.first,
                  Array.from({ length: a.buffered.length }, (_, i) => [a.buffered.start(i), a.buffered.end(i)])]; }"""
    )
    boundary = FIRST / RATE
    total = (FIRST + SECOND) / RATE
    # What was heard is one unbroken tone.
    assert_one_tone(heard_join(page, boundary), boundary)
    # Both tracks went into one SourceBuffer in sequence mode, each inside a window of its exact length, the
    # second starting where the first ends (the browser keeps whole microseconds).
    # A track may arrive in several pieces; each piece is appended inside its track's window.
    windows = list(dict.fromkeys((a["mode"], a["start"], a["end"]) for a in appends))
    assert windows == [
        ("sequence", 0, pytest.approx(boundary, abs=1e-6)),
        ("sequence", pytest.approx(boundary, abs=1e-6), pytest.approx(total, abs=1e-6)),
    ], appends
    # What is buffered is one range with no hole: the first track's end and the second's start are one instant.
    last_of_first = [a for a in appends if a["start"] == 0][-1]
    assert last_of_first["buffered"] == [[0, pytest.approx(boundary, abs=1e-6)]], appends
    assert buffered == [[0, pytest.approx(total, abs=1e-6)]], buffered
    # The element playing now is the one that played the first track, and no element ended in between.
    assert same and endings == [], (same, endings)
    assert page.evaluate("() => document.querySelectorAll('audio').length") == 1
    assert titles[-1]["src"].startswith("blob:"), titles
    # The bar moved to the second track when the music reached it, not a hand-over's quarter-second later.
    finale = next(t for t in titles if t["title"] == "Finale")
    assert boundary <= finale["at"] < boundary + 0.2, (finale, boundary)
    # The bar shows the second track's own time and length; the first track was reported played.
    assert float(bar.get_by_role("slider", name="Seek").get_attribute("max") or 0) == int(SECOND / RATE)
    expect(bar.locator(".mp-time").first).to_have_text(re.compile(r"^0:0[0-2]$"))
    state = page.request.get(f"{base}/api/items/{first_id}/playstate").json()
    assert state["watched"] is True, state
    # Seeking in the bar stays inside the playing track, and the lyrics follow the track's time: a second into
    # the Finale is its first line (the element's own time, three seconds, would be the second).
    bar.get_by_role("button", name="Pause").click()
    bar.get_by_role("slider", name="Seek").fill("1")
    page.wait_for_function(
        f"() => Math.abs(document.querySelector('#mini-player audio').currentTime - {boundary + 1}) < 0.3"
    )
    expect(bar.locator(".mp-title")).to_have_text("Finale")
    bar.get_by_role("button", name="Lyrics").click()
    current = page.get_by_role("region", name="Lyrics").locator('[aria-current="true"]')
    expect(current).to_have_text("Opening bars")
    page.get_by_role("region", name="Lyrics").get_by_role("button", name="Closing bars").click()
    expect(current).to_have_text("Closing bars")
    page.wait_for_function(
        f"() => Math.abs(document.querySelector('#mini-player audio').currentTime - {boundary + 1.5}) < 0.3"
    )
    assert errors_seen == []


def long_set(root: Path) -> Path:
    """A first track larger than the dozen megabytes of audio Chromium buffers, then a short one."""
    folder = root / "Hall" / "Long Set"
    folder.mkdir(parents=True)
    for number, (title, seconds, kbps) in enumerate([("Jam", 330, 320), ("Encore", 3, 96)], start=1):
        tags = {
            "title": title,
            "artist": "Hall",
            "album_artist": "Hall",
            "album": "Long Set",
            "track": str(number),
        }
        ffmpeg(
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={RATE}:duration={seconds}", "-ac", "2",
            "-c:a", "libmp3lame", "-b:a", f"{kbps}k",
            *[arg for key, value in tags.items() for arg in ("-metadata", f"{key}={value}")],
            str(folder / f"{number:02d} {title}.mp3"),
        )  # fmt: skip
    return root


def test_a_track_larger_than_the_browsers_buffer_streams_in_and_the_next_follows_in_the_same_element(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    library_id = scanned(server, "Music", "music", long_set(tmp_path / "media" / "Music"))
    assert (tmp_path / "media" / "Music" / "Hall" / "Long Set" / "01 Jam.mp3").stat().st_size > 12_500_000
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    context = recording(context_factory)
    context.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
    page = watch(context.new_page(), errors_seen)
    page.goto(f"{base}/#/library/{library_id}")
    page.get_by_role("link", name=re.compile("Hall")).first.click()
    page.get_by_role("link", name=re.compile("Long Set")).first.click()
    page.get_by_role("link", name="Play album").click()
    bar = page.get_by_role("region", name="Music player")
    expect(bar.locator(".mp-title")).to_have_text("Jam")
    page.wait_for_function(
        "() => { const a = document.querySelector('#mini-player audio'); return a && !a.paused && a.currentTime > 0; }"
    )
    page.evaluate("() => { window.first = document.querySelector('#mini-player audio'); }")
    # The Jam streams in while it plays, so it started before all of it came; the browser's buffer is full (it
    # refuses a piece), and the rest waits for what has been played to make room.
    page.wait_for_function("() => window.refused >= 1", timeout=15_000)
    # Three seconds before the end, which has not arrived yet: the rest comes, and the Encore is appended after
    # the Jam in the same element.
    bar.get_by_role("slider", name="Seek").fill("327")
    expect(bar.locator(".mp-title")).to_have_text("Encore", timeout=30_000)
    same, endings, ranges = page.evaluate(
        """() => { const a = document.querySelector('#mini-player audio');
          return [a === window.first, window.endings,
                  Array.from({ length: a.buffered.length }, (_, i) => [a.buffered.start(i), a.buffered.end(i)])]; }"""
    )
    assert same and endings == [], (same, endings)
    assert any(start < 329 and end > 332.9 for start, end in ranges), ranges
    assert errors_seen == []
