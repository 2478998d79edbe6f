"""Before playing, an item page offers its versions, audio tracks and subtitles; Play starts with that choice,
and the languages chosen become the defaults of the next item's choices."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.harness import RunningServer
from tests.mediagen import ffmpeg
from tests.webapp import playermedia
from tests.webapp.conftest import Camera
from tests.webapp.test_player_journey import PLAYING_PAST, open_item, scanned, signed_in

pytestmark = pytest.mark.browser

SUBTITLE = "1\n00:00:00,000 --> 00:00:05,000\n{}\n"
SHOWING_TRACK = (
    "() => [...document.querySelector('video').textTracks]"
    ".filter((t) => t.mode === 'showing').map((t) => t.language)"
)


def french_first_mp4(folder: Path) -> Path:
    """Like the bilingual master, but French is the first track and English the file's default."""
    target = folder / "french-first.mp4"
    if not target.exists():
        sources = ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=4"]
        for pitch in (440, 660):
            sources += ["-f", "lavfi", "-i", f"sine=frequency={pitch}:duration=4"]
        tracks = (
            "-map 0:v -map 1:a -map 2:a -metadata:s:a:0 language=fre -metadata:s:a:1 language=eng"
            " -disposition:a:0 0 -disposition:a:1 default"
        )
        ffmpeg(*sources, *tracks.split(), *playermedia.H264_AAC.split(), str(target))
    return target


def with_subtitles(video: Path, *languages: str) -> None:
    for language in languages:
        video.with_suffix(f".{language}.srt").write_text(SUBTITLE.format(language), encoding="utf-8")


def selected_label(page: Page, label: str) -> str:
    return str(page.get_by_label(label, exact=True).evaluate("(s) => s.selectedOptions[0].textContent"))


@pytest.fixture(scope="session")
def choice_masters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("choice-masters")


def test_versions_audio_and_subtitles_are_chosen_before_playing_and_remembered(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    choice_masters: Path,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    root = tmp_path / "media" / "Movies"
    bilingual = playermedia.two_languages_mp4(choice_masters)
    cuts = root / "Two Cuts (2020)"
    playermedia.place(
        playermedia.h264_mp4(choice_masters, 3, "plain.mp4"), cuts / "Two Cuts (2020) - Plain.mp4"
    )
    playermedia.place(bilingual, cuts / "Two Cuts (2020) - Bilingual.mp4")
    voices = playermedia.place(bilingual, root / "Two Voices (2020)" / "Two Voices (2020).mp4")
    with_subtitles(voices, "en", "fr")
    later = playermedia.place(
        french_first_mp4(choice_masters), root / "Late Voices (2021)" / "Late Voices (2021).mp4"
    )
    with_subtitles(later, "fr", "en")
    scanned(server, "Films", "movies", root)
    page = signed_in(server, context_factory, errors_seen)
    decisions: list[dict[str, object]] = []

    def decision(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/playback"):
            decisions.append(json.loads(request.post_data or "{}"))

    page.on("request", decision)

    # Two files of one film: a Version choice, named so a person tells them apart; the bilingual one has two
    # audio tracks, so choosing it brings an Audio choice.
    open_item(page, server, "Two Cuts")
    version = page.get_by_label("Version", exact=True)
    expect(version.locator("option")).to_have_text(
        [re.compile(r"64p · H\.264 · \d+ MB · Two Cuts \(2020\) - (Plain|Bilingual)\.mp4")] * 2
    )
    version.select_option(label=version.locator("option", has_text="Plain").text_content() or "")
    expect(page.get_by_label("Audio", exact=True)).to_have_count(0)
    version.select_option(label=version.locator("option", has_text="Bilingual").text_content() or "")
    audio = page.get_by_label("Audio", exact=True)
    expect(audio.locator("option")).to_have_text(["English · AAC Mono", "French · AAC Mono"])
    chosen_file = version.input_value()
    camera.shot(page, "version-chosen")
    page.get_by_role("link", name="Play", exact=True).click()
    page.wait_for_function(PLAYING_PAST, arg=0.3, timeout=15_000)
    assert decisions[-1]["file_id"] == chosen_file
    # The player offers the chosen file's own tracks.
    expect(page.get_by_label("Audio track").locator("option")).to_have_count(2)

    # One file with two audio languages and two subtitle tracks: English audio and no subtitles at first.
    open_item(page, server, "Two Voices")
    expect(page.get_by_label("Version", exact=True)).to_have_count(0)
    audio = page.get_by_label("Audio", exact=True)
    subtitles = page.get_by_label("Subtitles", exact=True)
    expect(audio).to_have_value("1")
    expect(subtitles.locator("option")).to_have_text(["Off", "English", "French"])
    expect(subtitles).to_have_value("off")
    audio.focus()
    # A keyboard is enough: Enter opens the list (arrows pass a closed one by, as a remote's would), Down and
    # Enter choose French, the second track.
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(audio).to_have_value("2")
    subtitles.select_option(label="English")
    with page.expect_response(
        lambda r: r.url.endswith("/api/account/playback-languages") and r.request.method == "PUT"
    ) as remembered:
        page.get_by_role("link", name="Play", exact=True).click()
    assert remembered.value.json() == {"audio_language": "fre", "subtitle_language": "en"}
    # The player plays what was chosen: the French track repackaged (not the file's default), English text.
    expect(page.locator("#playback-method")).to_have_text(re.compile("^Direct stream"))
    page.wait_for_function(PLAYING_PAST, arg=0.3, timeout=20_000)
    assert decisions[-1]["audio_index"] == 2
    assert "file_id" not in decisions[-1]
    expect(page.get_by_label("Audio track")).to_have_value("2")
    page.wait_for_function(f"() => ({SHOWING_TRACK})().join() === 'en'")
    camera.shot(page, "french-with-english-subtitles")

    # After a reload, another film starts from the same languages, wherever its tracks put them.
    page.reload()
    open_item(page, server, "Late Voices")
    audio = page.get_by_label("Audio", exact=True)
    expect(audio).to_have_value("1")
    assert selected_label(page, "Audio").startswith("French")
    assert selected_label(page, "Subtitles") == "English"
    camera.shot(page, "remembered-languages")
    page.get_by_role("link", name="Play", exact=True).click()
    page.wait_for_function(PLAYING_PAST, arg=0.3, timeout=20_000)
    assert decisions[-1]["audio_index"] == 1
    page.wait_for_function(f"() => ({SHOWING_TRACK})().join() === 'en'")

    # Turning subtitles off while playing is a choice too: remembered, with the audio language kept.
    with page.expect_response(
        lambda r: r.url.endswith("/api/account/playback-languages") and r.request.method == "PUT"
    ) as off:
        page.get_by_label("Subtitles", exact=True).select_option(label="Off")
    assert off.value.json() == {"audio_language": "fre", "subtitle_language": None}
    page.wait_for_function(f"() => ({SHOWING_TRACK})().length === 0")
    assert errors_seen == []
