"""Hostile metadata end to end: tags and NFOs carrying markup, attribute breakers, megabyte fields, control
characters and invalid UTF-8 scan without a crash and come back from the API as bounded, clean UTF-8 JSON,
with the markup as literal text. (How the web app shows them: tests/webapp/test_hostile_metadata_page.py.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from mutagen.flac import FLAC
from mutagen.id3 import COMM, ID3, TALB, TCON, TIT2, TPE1, TPE2
from PIL import Image

from tests.harness import Answer, Client, RunningServer
from tests.verification import media
from tests.verification.conftest import wait_for_scan

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
SCRIPT = "<script>alert(1)</script>"
BREAKER = '"><img src=x onerror=alert(2)>'
CLOSER = "</title><svg onload=alert(3)>"
CONTROL = "\x07bell\x1b[31mred\x08\x7f"
HUGE = 1024 * 1024
# The caps the scanner and media layer apply (documented in docs/verification.md): titles, artists and
# albums from tags or NFOs 512 characters, NFO plots 20,000, genres and NFO tags 64 each, stream titles 256,
# a photo's camera 128.
TITLE_CAP, PLOT_CAP, GENRE_CAP, STREAM_TITLE_CAP, CAMERA_CAP = 512, 20_000, 64, 256, 128
# Tab and line breaks may stay in NFO plots; no other control character reaches the API.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _ffmpeg(*args: str | bytes) -> None:
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", *args], check=True, timeout=60)


def _audio(path: Path, codec: str, *extra: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:duration=1", "-c:a", codec, *extra, str(path))
    return path


def _patch(path: Path, marker: bytes, raw: bytes) -> None:
    """Swap ``marker`` for ``raw`` (same length) inside the file: how bytes no tag writer emits get in."""
    assert len(marker) == len(raw)
    data = path.read_bytes()
    assert data.count(marker) == 1
    path.write_bytes(data.replace(marker, raw))


def make_music(root: Path) -> None:
    """Tracks whose every tag is hostile, one file per way of writing tags."""
    mp3 = _audio(root / "Markup" / "01 markup.mp3", "libmp3lame", "-b:a", "32k")
    id3 = ID3()
    for frame, text in ((TIT2, SCRIPT), (TPE1, BREAKER), (TPE2, BREAKER), (TALB, CLOSER), (TCON, SCRIPT)):
        id3.add(frame(encoding=3, text=text))
    id3.add(COMM(encoding=3, lang="eng", desc="", text=SCRIPT))
    id3.save(mp3)
    huge = _audio(root / "Huge" / "01 huge.mp3", "libmp3lame", "-b:a", "32k")
    id3 = ID3()
    for frame in (TIT2, TPE1, TALB, TCON):
        id3.add(frame(encoding=3, text="H" * HUGE))
    id3.add(COMM(encoding=3, lang="eng", desc="", text="C" * HUGE))
    id3.save(huge)
    # ID3v1: fixed 30-byte Latin-1 fields, written raw with control bytes and bytes invalid in UTF-8.
    v1 = _audio(root / "Raw" / "01 raw.mp3", "libmp3lame", "-b:a", "32k")
    fields = [b"<script>\x01\x1b[2J\xff\xfe", b"v1 artist \xc3\x28 \x07", b"v1 album\x00junk"]
    tag = b"TAG" + b"".join(f.ljust(30, b"\0") for f in fields) + b"2001" + b"c".ljust(30, b"\0") + b"\x0c"
    with open(v1, "ab") as handle:
        handle.write(tag)
    # FLAC Vorbis comments must be UTF-8; these are not, and carry control characters.
    flac = _audio(root / "Broken" / "01 broken.flac", "flac")
    audio = FLAC(flac)
    audio["title"] = "FLAC@@@@title <b>"
    audio["artist"] = f"FLAC {CONTROL} artist"
    audio["album"] = f"FLAC album {BREAKER}"
    audio["genre"] = f"g{CONTROL}"
    audio.save()
    _patch(flac, b"@@@@", b"\xff\xfe\xc3\x28")
    # MP4 atoms written by ffmpeg itself, with an escape sequence in the title.
    _audio(
        root / "Atoms" / "01 atoms.m4a", "aac", "-b:a", "24k",
        "-metadata", f"title=M4A {SCRIPT} \x1b[31m", "-metadata", f"artist=M4A {BREAKER}",
        "-metadata", f"album=M4A {CLOSER}", "-metadata", f"genre={SCRIPT}", "-metadata", f"comment={SCRIPT}",
    )  # fmt: skip


def make_movies(root: Path, tmp: Path) -> None:
    template = media.movie(tmp / "template.mp4", seconds=1.0)
    markup = root / "Markup (2001)"
    media.copies(template, [markup / "Markup (2001).mp4"])
    (markup / "Markup (2001).nfo").write_text(
        "<?xml version='1.0' encoding='UTF-8'?><movie>"
        "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"
        "<plot>&quot;&gt;&lt;img src=x onerror=alert(2)&gt; and a &lt;b&gt;bold&lt;/b&gt; claim</plot>"
        "<genre>&lt;img src=x onerror=alert(4)&gt;</genre><tag>&quot;&gt;&lt;img src=x&gt;</tag>"
        "<mpaa>&lt;i&gt;PG&lt;/i&gt;</mpaa><year>2001</year></movie>",
        encoding="utf-8",
    )
    huge = root / "Huge (2002)"
    media.copies(template, [huge / "Huge (2002).mp4"])
    # Under the 1 MiB NFO limit, so it is read: each field is cut to its cap.
    (huge / "Huge (2002).nfo").write_text(
        f"<movie><title>{'T' * 300_000}</title><plot>{'P' * 600_000}</plot>"
        + "".join(f"<genre>{i}{'G' * 1000}</genre>" for i in range(100))
        + "</movie>",
        encoding="utf-8",
    )
    oversized = root / "Oversized (2003)"
    media.copies(template, [oversized / "Oversized (2003).mp4"])
    (oversized / "Oversized (2003).nfo").write_text(f"<movie><title>{'O' * 2 * HUGE}</title></movie>")
    raw = root / "Raw (2004)"
    media.copies(template, [raw / "Raw (2004).mp4"])
    # A stray Latin-1 byte and a broken sequence in a file that says it is UTF-8.
    (raw / "Raw (2004).nfo").write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?><movie><title>Caf\xe9 &lt;script&gt; \xc3\x28</title>'
        b"<plot>Raw \xff\xfe bytes</plot></movie>"
    )
    streams = root / "Streams (2005)"
    streams.mkdir(parents=True)
    _ffmpeg(
        "-i", str(template), "-map", "0", "-c", "copy",
        "-metadata", f"title=container {SCRIPT}",
        "-metadata:s:v:0", f"title=video {SCRIPT} {CONTROL}", "-metadata:s:a:0", f"title={'A' * 100_000}",
        "-metadata:s:a:0", f"language={BREAKER}",
        str(streams / "Streams (2005).mkv"),
    )  # fmt: skip


def make_photos(root: Path) -> None:
    """A JPEG whose EXIF camera make and model carry markup, control characters, a long run and raw bytes."""
    root.mkdir(parents=True)
    exif = Image.Exif()
    exif[0x010F] = f"Make@@@@{SCRIPT}{CONTROL}"  # Make
    exif[0x0110] = f"Model {BREAKER}" + "M" * 10_000  # Model
    exif[0x0132] = "2020:01:02 03:04:05"  # DateTime
    photo = root / "exif.jpg"
    Image.new("RGB", (32, 24), "red").save(photo, exif=exif.tobytes())
    _patch(photo, b"@@@@", b"\xff\xfe\xc3\x28")


@dataclass
class Hostile:
    server: RunningServer
    owner: Client
    libraries: dict[str, str]
    answers: list[tuple[str, Answer]] = field(default_factory=list)

    def get(self, path: str) -> Any:
        answer = self.owner.get(path)
        self.answers.append((path, answer))
        assert answer.status == 200, (path, answer.status, answer.body[:300])
        return json.loads(answer.body.decode("utf-8"))

    def crawl(self, library: str) -> list[dict[str, Any]]:
        """Every item of the library, top to bottom, as its detail."""
        library_id = self.libraries[library]
        pending = [i["id"] for i in self.get(f"/api/libraries/{library_id}/items?limit=500")["items"]]
        details = []
        while pending:
            item_id = pending.pop()
            details.append(self.get(f"/api/items/{item_id}"))
            pending.extend(child["id"] for child in self.get(f"/api/items/{item_id}/children"))
        self.get(f"/api/libraries/{library_id}/genres")
        return details

    def by_title(self, library: str, prefix: str, kind: str | None = None) -> dict[str, Any]:
        every = self.crawl(library)
        found = [d for d in every if d["title"].startswith(prefix) and kind in (None, d["kind"])]
        assert len(found) == 1, (prefix, [(d["kind"], d["title"][:40]) for d in every])
        return found[0]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    base = tmp_path_factory.mktemp("hostile")
    make_music(base / "music")
    make_movies(base / "movies", base)
    make_photos(base / "photos")
    server = RunningServer(base / "data")
    try:
        owner = server.owner()
        libraries = {}
        for kind in ("music", "movies", "photos"):
            body = {"name": kind.title(), "kind": kind, "paths": [str(base / kind)]}
            answer = owner.post("/api/libraries", body)
            assert answer.status == 201, answer.body
            libraries[kind] = answer.json()["id"]
        for library_id in libraries.values():
            wait_for_scan(owner, library_id)
        yield Hostile(server, owner, libraries)
    finally:
        server.stop()


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, inner in value.items():
            yield from _strings(inner, name)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner, key)


def test_scans_finish_with_every_file_and_only_the_refused_nfos_as_errors(hostile: Hostile) -> None:
    music = hostile.get(f"/api/libraries/{hostile.libraries['music']}/scan")
    movies = hostile.get(f"/api/libraries/{hostile.libraries['movies']}/scan")
    assert (music["running"], music["errors"], music["added"]) == (False, [], 5)
    assert (movies["running"], movies["added"]) == (False, 5)
    refused = {e["path"].rsplit("/", 1)[-1]: e["reason"] for e in movies["errors"]}
    assert refused == {
        "Oversized (2003).nfo": "NFO refused: larger than 1024 KiB",
        "Raw (2004).nfo": "NFO refused: not well-formed XML",
    }
    photos = hostile.get(f"/api/libraries/{hostile.libraries['photos']}/scan")
    assert (photos["running"], photos["errors"], photos["added"]) == (False, [], 1)


def test_markup_in_tags_comes_back_as_the_same_text(hostile: Hostile) -> None:
    track = hostile.by_title("music", SCRIPT, "track")
    assert track["title"] == SCRIPT and track["genres"] == [SCRIPT]
    artists = {d["title"] for d in hostile.crawl("music") if d["kind"] == "artist"}
    albums = {d["title"] for d in hostile.crawl("music") if d["kind"] == "album"}
    assert BREAKER in artists and f"M4A {BREAKER}" in artists
    assert CLOSER in albums and f"M4A {CLOSER}" in albums


def test_markup_in_an_nfo_comes_back_as_the_same_text(hostile: Hostile) -> None:
    movie = hostile.by_title("movies", SCRIPT)
    assert movie["plot"] == '"><img src=x onerror=alert(2)> and a <b>bold</b> claim'
    assert (movie["genres"], movie["tags"], movie["content_rating"]) == (
        ["<img src=x onerror=alert(4)>"], ['"><img src=x>'], "<i>PG</i>",
    )  # fmt: skip


def test_huge_fields_are_cut_to_their_caps(hostile: Hostile) -> None:
    track = hostile.by_title("music", "HHH", "track")
    assert track["title"] == "H" * TITLE_CAP
    assert track["genres"] == ["H" * GENRE_CAP]
    assert "H" * TITLE_CAP in {d["title"] for d in hostile.crawl("music") if d["kind"] in ("artist", "album")}
    movie = hostile.by_title("movies", "TTT")
    assert (movie["title"], movie["plot"]) == ("T" * TITLE_CAP, "P" * PLOT_CAP)
    assert len(movie["genres"]) <= 50 and all(len(g) == GENRE_CAP for g in movie["genres"])
    streams = hostile.by_title("movies", "Streams")["files"][0]["media"]["streams"]
    audio = next(s for s in streams if s["type"] == "audio")
    assert audio["title"] == "A" * STREAM_TITLE_CAP


def test_exif_camera_is_bounded_text_without_control_characters(hostile: Hostile) -> None:
    camera = hostile.by_title("photos", "exif")["extra"]["camera"]
    assert len(camera) == CAMERA_CAP
    # Latin-1 as Pillow reads EXIF ASCII; control characters (bell, escape, backspace, DEL) become spaces.
    assert camera.startswith(f"Make\xff\xfe\xc3({SCRIPT} bell [31mred Model")
    assert f"Model {BREAKER}MMM" in camera


def test_an_nfo_over_the_size_limit_is_ignored(hostile: Hostile) -> None:
    assert hostile.by_title("movies", "Oversized")["title"] == "Oversized"


def test_invalid_utf8_is_replaced_not_fatal(hostile: Hostile) -> None:
    flac = hostile.by_title("music", "FLAC", "track")
    assert flac["title"] == "FLAC\ufffd\ufffd\ufffd(title <b>"
    # ID3v1 is Latin-1 by definition: every byte is a character, control bytes become spaces.
    v1 = hostile.by_title("music", "<script> ", "track")
    assert v1["title"] == "<script>  [2J\xff\xfe"
    # An NFO that says UTF-8 but is not is refused whole (tests/media/test_nfo.py): the name's title stays.
    raw = hostile.by_title("movies", "Raw")
    assert (raw["title"], raw["year"], raw["plot"]) == ("Raw", 2004, None)


def test_no_control_characters_reach_the_api(hostile: Hostile) -> None:
    for library in ("music", "movies", "photos"):
        for detail in hostile.crawl(library):
            for key, text in _strings(detail):
                assert not _CONTROL.search(text), (key, text[:80])
    stream = hostile.by_title("movies", "Streams")["files"][0]["media"]["streams"][0]
    assert stream["title"] == f"video {SCRIPT}  bell [31mred"


def test_search_finds_markup_as_words(hostile: Hostile) -> None:
    for term in ("alert", "script", "onerror", "<script>", '"><img', "\ufffd", "%00", "\x1b"):
        found = hostile.get(f"/api/search?q={quote(term)}")
        assert isinstance(found, list)
    titles = {i["title"] for i in hostile.get("/api/search?q=alert")}
    assert SCRIPT in titles
    for item in hostile.get("/api/search?q=alert"):
        assert len(item["title"]) <= TITLE_CAP


def test_every_answer_is_bounded_utf8_json_that_is_not_sniffed(hostile: Hostile) -> None:
    for library in ("music", "movies", "photos"):
        hostile.crawl(library)
    hostile.get("/api/search?q=script")
    hostile.get("/api/recent?limit=100")
    assert len(hostile.answers) > 30
    for path, answer in hostile.answers:
        assert answer.header("Content-Type") == "application/json; charset=utf-8", path
        assert answer.header("X-Content-Type-Options") == "nosniff", path
        body = json.loads(answer.body.decode("utf-8", errors="strict"))
        for key, text in _strings(body):
            cap = PLOT_CAP if key == "plot" else TITLE_CAP
            assert len(text) <= cap, (path, key, len(text))
        assert len(answer.body) < 200_000, path
