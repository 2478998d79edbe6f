"""The video player in a real browser: HLS when the server transcodes, audio and subtitle tracks, resume, next episode."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from reelhouse.domain.access import Role, system_actor
from tests.harness import RunningServer
from tests.webapp import playermedia
from tests.webapp.conftest import Camera, watch

pytestmark = pytest.mark.browser

HLS_JS = (
    Path(__file__).resolve().parents[2] / "src" / "reelhouse" / "web" / "static" / "vendor" / "hls.min.js"
)
# The time the video shows when the next stream first plays: resuming the old position, or 0 from the start.
FIRST_TIME_AFTER_RELOAD = """() => {
  const video = document.querySelector('video');
  window.firstTimeAfterReload = null;
  video.addEventListener('loadedmetadata', () => video.addEventListener('timeupdate', () => {
    window.firstTimeAfterReload = video.currentTime;
  }, { once: true }), { once: true });
}"""
LOADED = "() => { const v = document.querySelector('video'); return Boolean(v && v.readyState >= 2); }"
PLAYING_PAST = (
    "(t) => { const v = document.querySelector('video'); return v && !v.paused && v.currentTime > t; }"
)


@pytest.fixture(scope="session")
def player_masters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("player-masters")


def signed_in(
    server: RunningServer, context_factory: Callable[..., BrowserContext], errors: list[str]
) -> Page:
    """The owner, signed in through the API; the browser carries the same session cookie the sign-in page sets."""
    server.create_user("owner", Role.OWNER)
    token = server.sign_in("owner").token
    context = context_factory()
    context.add_cookies([{"name": "reelhouse", "value": token, "url": f"http://127.0.0.1:{server.port}"}])
    return watch(context.new_page(), errors)


def scanned(server: RunningServer, name: str, kind: str, root: Path) -> str:
    services = server.server.services
    library = services.libraries.add(system_actor("test"), name, kind, [str(root)])
    server.server.scanner.scan(library)
    return library.id


def open_item(page: Page, server: RunningServer, title: str) -> None:
    page.goto(f"http://127.0.0.1:{server.port}/#/search?q={title.split()[0].lower()}")
    page.get_by_role("link", name=re.compile(title)).first.click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()


def test_a_file_the_browser_cannot_play_streams_through_hls_with_grants(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    player_masters: Path,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    if not HLS_JS.exists():
        pytest.skip("hls.js is absent: scripts/bootstrap.sh fetches it with npm ci into web/static/vendor")
    root = tmp_path / "media" / "Movies"
    playermedia.place(playermedia.mpeg4_avi(player_masters), root / "Old Tape (1999)" / "Old Tape (1999).avi")
    scanned(server, "Films", "movies", root)
    page = signed_in(server, context_factory, errors_seen)
    token = page.context.cookies()[0]["value"]
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    open_item(page, server, "Old Tape")
    page.get_by_role("link", name="Play", exact=True).click()
    expect(page.locator("#playback-method")).to_have_text("Converting for this browser.")
    page.wait_for_function(PLAYING_PAST, arg=1.0, timeout=30_000)
    camera.shot(page, "hls-playing")

    playlists = [r.url for r in requests if ".m3u8" in r.url]
    segments = [r.url for r in requests if re.search(r"/api/hls/[^/]+/\d+\.ts\?", r.url)]
    assert any("/master.m3u8?grant=" in url for url in playlists), playlists
    assert any("/video.m3u8?grant=" in url for url in playlists), playlists
    assert segments, [r.url for r in requests]
    for url in playlists + segments:
        assert re.search(r"[?&]grant=[^&]+", url), url
        assert token not in url
    # The grant alone is the credential: a client with no session cookie fetches the same segment.
    anonymous = server.anonymous()
    answer = anonymous.get(segments[0].split(str(server.port), 1)[1])
    assert answer.status == 200
    assert answer.header("Content-Type") == "video/mp2t"

    # Leaving the player stops the encoder: the session ends and its grant no longer opens anything.
    with page.expect_response(lambda r: r.request.method == "DELETE" and "/api/hls/" in r.url) as ended:
        page.get_by_role("link", name=re.compile("Old Tape")).click()
    assert ended.value.status == 204
    assert anonymous.get(segments[0].split(str(server.port), 1)[1]).status == 404
    assert errors_seen == []


def test_choosing_subtitles_and_another_audio_track_changes_what_plays(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    player_masters: Path,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    folder = tmp_path / "media" / "Movies" / "Two Voices (2020)"
    playermedia.place(playermedia.two_languages_mp4(player_masters), folder / "Two Voices (2020).mp4")
    (folder / "Two Voices (2020).en.srt").write_text(
        "1\n00:00:00,000 --> 00:00:03,000\nGood evening\n\n2\n00:00:03,000 --> 00:00:06,000\nGood night\n",
        encoding="utf-8",
    )
    scanned(server, "Films", "movies", folder.parent)
    page = signed_in(server, context_factory, errors_seen)
    decisions: list[str] = []
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "request",
        lambda request: (
            decisions.append(request.post_data or "") if request.url.endswith("/playback") else None
        ),
    )
    open_item(page, server, "Two Voices")
    page.get_by_role("link", name="Play", exact=True).click()
    expect(page.locator("#playback-method")).to_have_text(re.compile("^Direct play"))
    page.wait_for_function(PLAYING_PAST, arg=0.5, timeout=15_000)
    audio = page.get_by_label("Audio track")
    expect(audio.locator("option")).to_have_text([re.compile("eng"), re.compile("fre")])
    subtitles = page.get_by_label("Subtitles")
    expect(subtitles).to_have_value("")
    assert page.evaluate("[...document.querySelector('video').textTracks].map((t) => t.mode)") == ["disabled"]

    subtitles.select_option(label="en")
    page.wait_for_function(
        "() => { const t = document.querySelector('video').textTracks[0];"
        " return t.mode === 'showing' && t.cues && t.cues.length === 2; }"
    )
    assert page.locator("video track").get_attribute("srclang") == "en"
    camera.shot(page, "subtitles-on")

    direct_url = page.evaluate("document.querySelector('video').currentSrc")
    position = page.evaluate("document.querySelector('video').currentTime")
    page.evaluate(FIRST_TIME_AFTER_RELOAD)
    audio.select_option(index=1)
    # Another track than the file's default is repackaged with that track, as HLS, from where the viewer was.
    expect(page.locator("#playback-method")).to_have_text(re.compile("^Direct stream"))
    page.wait_for_function(PLAYING_PAST, arg=position + 0.3, timeout=20_000)
    assert page.evaluate("window.firstTimeAfterReload") >= position - 0.5
    assert json.loads(decisions[-1])["audio_index"] == 2
    assert page.evaluate("document.querySelector('video').currentSrc") != direct_url
    # The subtitle choice outlives the stream change.
    expect(subtitles).to_have_value("0")
    page.wait_for_function(
        "() => { const t = document.querySelector('video track').track; return t.mode === 'showing' && t.cues.length; }"
    )
    camera.shot(page, "french-audio")

    # Back to the file's own track: direct play again, and the repackaging session is ended, not left running.
    hls_url = next(r for r in reversed(requested) if "/master.m3u8" in r)
    session_id = re.search(r"/api/hls/([^/]+)/", hls_url)
    assert session_id is not None
    with page.expect_response(lambda r: r.request.method == "DELETE" and "/api/hls/" in r.url) as ended:
        audio.select_option(index=0)
    assert ended.value.url.endswith(f"/api/hls/{session_id.group(1)}")
    assert ended.value.status == 204
    expect(page.locator("#playback-method")).to_have_text(re.compile("^Direct play"))
    assert errors_seen == []


def test_coming_back_to_a_film_resumes_where_the_viewer_stopped(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    player_masters: Path,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    root = tmp_path / "media" / "Movies"
    playermedia.place(playermedia.h264_mp4(player_masters, 24, "long.mp4"), root / "Long Walk (2011).mp4")
    scanned(server, "Films", "movies", root)
    page = signed_in(server, context_factory, errors_seen)
    open_item(page, server, "Long Walk")
    page.get_by_role("link", name="Play", exact=True).click()
    page.wait_for_function(PLAYING_PAST, arg=0.3, timeout=15_000)
    # The viewer skips ahead and pauses: pausing reports the position at once.
    with page.expect_response(lambda r: r.url.endswith("/playstate") and r.request.method == "PUT") as saved:
        page.evaluate("() => { const v = document.querySelector('video'); v.currentTime = 9; v.pause(); }")
    assert saved.value.status == 200
    assert 8.5 <= saved.value.json()["position"] <= 9.5
    camera.shot(page, "paused")

    page.get_by_role("link", name=re.compile("Long Walk")).click()
    expect(page.get_by_role("heading", name="Long Walk", level=1)).to_be_visible()
    # The item page says where playing will pick up before anyone presses it.
    page.get_by_role("link", name="Resume from 0:09").click()
    expect(page.get_by_role("status").filter(has_text="Resuming")).to_have_text("Resuming at 0:09.")
    page.wait_for_function(PLAYING_PAST, arg=9.0, timeout=15_000)
    camera.shot(page, "resumed")
    assert errors_seen == []


def test_the_end_of_an_episode_goes_on_to_the_next_one(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    player_masters: Path,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    season = tmp_path / "media" / "Shows" / "Harbour Watch" / "Season 01"
    short = playermedia.h264_mp4(player_masters, 2, "short.mp4")
    for number in (1, 2):
        playermedia.place(short, season / f"Harbour Watch - S01E0{number}.mp4")
    scanned(server, "Shows", "shows", season.parent.parent)
    page = signed_in(server, context_factory, errors_seen)
    # The page's timers run on Playwright's clock (real time until the test moves it on): Up next's ten-second
    # countdown passes at once. The videos still play in real time.
    page.clock.install()
    open_item(page, server, "Harbour Watch")
    page.get_by_role("link", name=re.compile("Season 1")).click()
    episodes = page.get_by_role("list", name="Episodes").get_by_role("listitem")
    expect(episodes).to_have_count(2)
    camera.shot(page, "season")
    episodes.first.get_by_role("link", name=re.compile("^Play")).click()
    first_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Episode 1")
    page.wait_for_function(PLAYING_PAST, arg=0.3, timeout=15_000)
    # Nobody touches anything: the end of episode 1 counts down and opens episode 2, which plays.
    expect(page.get_by_role("region", name=re.compile("^Up next"))).to_be_visible(timeout=15_000)
    page.clock.run_for(10_000)
    page.wait_for_url(lambda url: url != first_url, timeout=15_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Episode 2")
    page.wait_for_function(PLAYING_PAST, arg=0.3, timeout=15_000)
    camera.shot(page, "next-episode")
    assert errors_seen == []


def test_five_reloads_of_a_transcoded_video_never_hear_the_server_is_busy(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    player_masters: Path,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    """A reload runs no cleanup: the page ends its session as it goes (pagehide), and the new page's playback
    replaces whatever is left of it on the server, so two slots are enough for a lone viewer."""
    if not HLS_JS.exists():
        pytest.skip("hls.js is absent: scripts/bootstrap.sh fetches it with npm ci into web/static/vendor")
    root = tmp_path / "media" / "Movies"
    playermedia.place(playermedia.mpeg4_avi(player_masters), root / "Old Tape (1999)" / "Old Tape (1999).avi")
    scanned(server, "Films", "movies", root)
    server.server.services.settings.apply(system_actor("test"), {"max_transcodes": 2})
    page = signed_in(server, context_factory, errors_seen)
    open_item(page, server, "Old Tape")
    page.get_by_role("link", name="Play", exact=True).click()
    expect(page.locator("#playback-method")).to_have_text("Converting for this browser.")
    page.wait_for_function(PLAYING_PAST, arg=0.5, timeout=30_000)
    for _ in range(5):
        with page.expect_response(lambda r: r.url.endswith("/playback")) as decided:
            page.reload()
        assert decided.value.status == 200, decided.value.text()
        expect(page.locator("#playback-method")).to_have_text("Converting for this browser.")
        # A reloaded page may not start playing by itself (autoplay rules); its first frames must arrive.
        page.wait_for_function(LOADED, timeout=30_000)
    assert len(server.server.services.media.encoders.active()) == 1
    assert errors_seen == []
