"""Choosing a version before playing, and the audio and subtitle languages each user last chose."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.playback import media

LANGUAGES = "/api/account/playback-languages"


@pytest.fixture
def two_versions(tmp_path: Path) -> Iterator[tuple[RunningServer, str, dict[str, tuple[str, int]]]]:
    """One film in its own folder with two files of different sizes: the scan keeps both as its versions."""
    folder = tmp_path / "movies" / "Two Cuts (2020)"
    media.h264_mp4(folder / "Two Cuts (2020) - 240p.mp4", seconds=2, size="320x240")
    media.h264_mp4(folder / "Two Cuts (2020) - 480p.mp4", seconds=2, size="640x480")
    server = RunningServer(tmp_path / "data")
    try:
        services = server.server.services
        library = services.libraries.add(system_actor("test"), "Movies", "movies", [str(folder.parent)])
        server.server.scanner.scan(library)
        (found,) = services.catalogue.search(system_actor("test"), "Two Cuts")
        detail = services.catalogue.item(system_actor("test"), found.id)
        files = {Path(f.path).name: (f.id, f.size) for f in detail.files}
        assert len(files) == 2, files
        yield server, found.id, files
    finally:
        server.stop()


def test_playback_plays_the_chosen_version_and_its_link_opens_no_other_file(
    two_versions: tuple[RunningServer, str, dict[str, tuple[str, int]]],
) -> None:
    server, item_id, files = two_versions
    owner = server.owner()
    file_id, size = files["Two Cuts (2020) - 480p.mp4"]
    other_id, other_size = files["Two Cuts (2020) - 240p.mp4"]
    assert size != other_size
    decided = owner.post(f"/api/items/{item_id}/playback", {"file_id": file_id})
    assert decided.status == 200, decided.body
    url = decided.json()["url"]
    assert decided.json()["method"] == "direct"
    assert url.endswith(f"&file={file_id}")
    sent = server.anonymous().get(url)
    assert sent.status == 200
    assert len(sent.body) == size

    # The grant is signed for that version: the same link pointed at the other file opens nothing.
    assert server.anonymous().get(url.replace(file_id, other_id)).status == 401
    # Without a choice, the first file as before; a file of no version of this item is not found.
    default = owner.post(f"/api/items/{item_id}/playback", {}).json()["url"]
    assert "&file=" not in default
    assert owner.post(f"/api/items/{item_id}/playback", {"file_id": "nope"}).status == 404


def test_playback_languages_are_each_users_own(
    two_versions: tuple[RunningServer, str, dict[str, tuple[str, int]]],
) -> None:
    server, _item_id, _files = two_versions
    server.create_user("alice")
    server.create_user("bob")
    alice, bob = server.sign_in("alice"), server.sign_in("bob")
    before = {"audio_language": None, "subtitle_language": None}
    assert alice.get(LANGUAGES).json() == before

    saved = alice.request("PUT", LANGUAGES, body={"audio_language": "fre", "subtitle_language": "en"})
    assert saved.status == 200, saved.body
    assert alice.get(LANGUAGES).json() == {"audio_language": "fre", "subtitle_language": "en"}
    assert bob.get(LANGUAGES).json() == before

    # Bob's choice (the default audio, no subtitles) leaves Alice's as it was.
    assert (
        bob.request("PUT", LANGUAGES, body={"audio_language": "de", "subtitle_language": None}).status == 200
    )
    assert bob.get(LANGUAGES).json() == {"audio_language": "de", "subtitle_language": None}
    assert alice.get(LANGUAGES).json() == {"audio_language": "fre", "subtitle_language": "en"}

    # Not a language: refused, and nothing changes.
    bad = alice.request("PUT", LANGUAGES, body={"audio_language": "<b>", "subtitle_language": None})
    assert bad.status == 422
    assert alice.get(LANGUAGES).json()["audio_language"] == "fre"
    assert server.anonymous().get(LANGUAGES).status == 401
