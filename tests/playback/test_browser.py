"""A real browser (Debian's Chromium through Playwright) plays direct MP4 and transcoded HLS, and seeks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.playback.conftest import Stage

CHROMIUM = Path("/usr/bin/chromium")
HLS_JS = Path(__file__).parents[2] / "src" / "reelhouse" / "web" / "static" / "vendor" / "hls.min.js"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]

PLAY = """async ([url, useHls]) => {
  const video = document.createElement('video');
  video.muted = true;
  document.body.appendChild(video);
  if (useHls) {
    await new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/test-vendor/hls.min.js'; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
    const hls = new Hls();
    hls.loadSource(url);
    hls.attachMedia(video);
  } else {
    video.src = url;
  }
  const until = (test, ms) => new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => test() ? resolve() : Date.now() - started > ms
      ? reject(new Error('timed out at ' + video.currentTime + ' error ' + (video.error && video.error.message)))
      : setTimeout(tick, 50);
    tick();
  });
  await until(() => video.readyState >= 1, 30000);
  await video.play();
  await until(() => video.currentTime > 0.5, 30000);
  const first = video.currentTime;
  const target = video.duration * 0.75;
  video.currentTime = target;
  await until(() => !video.seeking && video.currentTime > target + 0.5, 45000);
  return {first, target, after: video.currentTime, duration: video.duration};
}"""


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _play(stage: Stage, browser: Any, file: str, use_hls: bool) -> dict[str, float]:
    answer = stage.owner().post(
        f"/api/items/{stage.items[file]}/playback",
        {"profile": {"containers": ["mp4"], "video_codecs": ["h264"], "audio_codecs": ["aac", "mp3"]}},
    )
    assert answer.status == 200, answer.body
    assert answer.json()["method"] == ("transcode" if use_hls else "direct")
    page = browser.new_page()
    # hls.js as npm installed it, handed to the page at a same-origin URL (the page's CSP allows 'self' only).
    page.route(
        "**/test-vendor/hls.min.js",
        lambda route: route.fulfill(path=str(HLS_JS), content_type="text/javascript"),
    )
    try:
        page.goto(f"http://127.0.0.1:{stage.server.port}/")
        result: dict[str, float] = page.evaluate(PLAY, [answer.json()["url"], use_hls])
    finally:
        page.close()
    return result


def test_h264_mp4_plays_directly_and_seeks_to_three_quarters(stage: Stage, browser: Any) -> None:
    result = _play(stage, browser, "direct.mp4", use_hls=False)
    assert result["first"] > 0.5
    assert result["after"] > result["target"] + 0.5


def test_hevc_ac3_is_transcoded_to_hls_and_plays_and_seeks(stage: Stage, browser: Any) -> None:
    if not HLS_JS.exists():
        pytest.skip("hls.js was not fetched by the setup script (npm ci); Chromium has no native HLS")
    result = _play(stage, browser, "hevc.mkv", use_hls=True)
    assert result["first"] > 0.5
    assert result["after"] > result["target"] + 0.5
    assert result["target"] >= 8.0  # 75 % of 12 s: the last segment, produced by a restarted encoder
