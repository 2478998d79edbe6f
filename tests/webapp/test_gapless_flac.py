"""Gapless play through the server's fragmented MP4 copies. Chromium's MediaSource refuses FLAC's own container,
so the server copies each FLAC track into fragmented MP4 (no re-encode); Opus and AAC tracks it decodes (which
applies the encoder's priming and padding, and Opus's pre-skip, that Chromium drops only at the start of a
chain) and encodes losslessly as FLAC in the same MP4. The app chains those copies in one SourceBuffer, each
cut to its exact length in samples as the playback decision gives it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Format:
    extension: str
    rate: int  # Opus always decodes at 48 kHz
    encoder: tuple[str, ...]

    # Neither cut falls on a frame (FLAC's 4,608 samples, Opus's 960, AAC's 1,024), so each track ends mid-frame.
    @property
    def first(self) -> int:
        return 2 * self.rate + 1_234

    @property
    def second(self) -> int:
        return 2 * self.rate + 567


FORMATS = {
    "flac": Format("flac", 44_100, ("-c:a", "flac")),
    "opus": Format("opus", 48_000, ("-c:a", "libopus", "-b:a", "96k")),
    "aac": Format("m4a", 44_100, ("-c:a", "aac", "-b:a", "128k")),
}


def album(root: Path, kind: Format) -> Path:
    """One 440 Hz tone cut into two album tracks at sample ``kind.first``, each encoded on its own."""
    folder = root / "Quartet" / "Unbroken"
    folder.mkdir(parents=True)
    tone = root.parent / "tone.wav"
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={kind.rate}:duration=5", "-ac", "2", str(tone)
    )
    first, second = kind.first, kind.second
    cuts = [
        ("Adagio", f"atrim=end_sample={first}"),
        ("Allegro", f"atrim=start_sample={first}:end_sample={first + second},asetpts=PTS-STARTPTS"),
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
            "-i", str(tone), "-af", trim, *kind.encoder,
            *[arg for key, value in tags.items() for arg in ("-metadata", f"{key}={value}")],
            str(folder / f"{number:02d} {title}.{kind.extension}"),
        )  # fmt: skip
    return root


@pytest.mark.parametrize("codec", list(FORMATS))
def test_an_album_plays_gaplessly_through_mp4_copies_in_one_element(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    tmp_path: Path,
    errors_seen: list[str],
    codec: str,
) -> None:
    kind = FORMATS[codec]
    library_id = scanned(server, "Music", "music", album(tmp_path / "media" / "Music", kind))
    server.create_user("owner", Role.OWNER)
    base = f"http://127.0.0.1:{server.port}"
    context = recording(context_factory)
    context.add_cookies([{"name": "reelhouse", "value": server.sign_in("owner").token, "url": base}])
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
    wait_heard(page, 2.9)
    appends, titles, endings, same, buffered, types = page.evaluate(
        """() => { const a = document.querySelector('#mini-player audio');
          return [window.appends, window.titles, window.endings, a === window.first,
                  Array.from({ length: a.buffered.length }, (_, i) => [a.buffered.start(i), a.buffered.end(i)]),
                  window.bufferTypes]; }"""
    )
    boundary = kind.first / kind.rate
    total = (kind.first + kind.second) / kind.rate
    # One unbroken tone was heard: no silent stretch, and every upward zero crossing where one sine puts it.
    assert_one_tone(heard_join(page, boundary), boundary)
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
    assert float(bar.get_by_role("slider", name="Seek").get_attribute("max") or 0) == int(
        kind.second / kind.rate
    )
    assert errors_seen == []
