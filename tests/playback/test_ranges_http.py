"""Direct play over a real server on 127.0.0.1: every Range and conditional case, checked byte for byte."""

from __future__ import annotations

from email.utils import formatdate
from pathlib import Path

import pytest

from tests.harness import Answer, Client
from tests.playback.conftest import Stage


@pytest.fixture
def played(stage: Stage) -> tuple[Client, str, bytes]:
    """An anonymous player holding the direct-play URL, and the file's bytes as they are on disk."""
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    answer = owner.post(f"/api/items/{item}/playback", {})
    assert answer.status == 200, answer.body
    assert answer.json()["method"] == "direct"
    data = (stage.root / "direct" / "direct.mp4").read_bytes()
    return stage.server.anonymous(), answer.json()["url"], data


def _get(played: tuple[Client, str, bytes], **headers: str) -> Answer:
    client, url, _ = played
    return client.get(url, headers=headers)


def test_whole_file_is_200_with_type_length_and_accept_ranges(played: tuple[Client, str, bytes]) -> None:
    answer = _get(played)
    assert answer.status == 200
    assert answer.body == played[2]
    assert answer.header("Content-Type") == "video/mp4"
    assert answer.header("Content-Length") == str(len(played[2]))
    assert answer.header("Accept-Ranges") == "bytes"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, None),
        ("bytes=-100", -100, None),
        ("bytes=10-10", 10, 10),
        ("BYTES=5-9", 5, 9),
    ],
)
def test_single_open_and_suffix_ranges_return_exact_bytes(
    played: tuple[Client, str, bytes], header: str, start: int, end: int | None
) -> None:
    data = played[2]
    size = len(data)
    first = start if start >= 0 else size + start
    last = end if end is not None else size - 1
    answer = _get(played, Range=header)
    assert answer.status == 206
    assert answer.body == data[first : last + 1]
    assert answer.header("Content-Range") == f"bytes {first}-{last}/{size}"
    assert answer.header("Content-Length") == str(last - first + 1)


def test_range_past_the_end_is_clamped(played: tuple[Client, str, bytes]) -> None:
    data = played[2]
    answer = _get(played, Range=f"bytes={len(data) - 10}-{len(data) + 5000}")
    assert answer.status == 206
    assert answer.body == data[-10:]
    assert answer.header("Content-Range") == f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}"


def test_suffix_longer_than_file_returns_whole_file_as_206(played: tuple[Client, str, bytes]) -> None:
    data = played[2]
    answer = _get(played, Range=f"bytes=-{len(data) * 2}")
    assert answer.status == 206
    assert answer.body == data
    assert answer.header("Content-Range") == f"bytes 0-{len(data) - 1}/{len(data)}"


@pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{more}", "bytes=-0"])
def test_unsatisfiable_range_is_416_with_star_content_range(
    played: tuple[Client, str, bytes], header: str
) -> None:
    size = len(played[2])
    answer = _get(played, Range=header.format(size=size, more=size + 10))
    assert answer.status == 416
    assert answer.header("Content-Range") == f"bytes */{size}"


@pytest.mark.parametrize(
    "header", ["bytes=abc", "items=0-10", "bytes=20-10", "bytes=0-1,5-9", "bytes=-", "bytes=1-2-3", "bytes"]
)
def test_malformed_or_multi_range_is_ignored_with_whole_file(
    played: tuple[Client, str, bytes], header: str
) -> None:
    answer = _get(played, Range=header)
    assert answer.status == 200
    assert answer.body == played[2]
    assert answer.header("Content-Range") is None


def test_if_range_with_matching_etag_returns_the_range(played: tuple[Client, str, bytes]) -> None:
    etag = _get(played).header("ETag")
    assert etag is not None and etag.startswith('"')
    answer = _get(played, Range="bytes=0-9", **{"If-Range": etag})
    assert answer.status == 206
    assert answer.body == played[2][:10]


def test_if_range_with_other_etag_returns_whole_file(played: tuple[Client, str, bytes]) -> None:
    answer = _get(played, Range="bytes=0-9", **{"If-Range": '"not-this-one"'})
    assert answer.status == 200
    assert answer.body == played[2]


def test_if_range_with_weak_etag_returns_whole_file(played: tuple[Client, str, bytes]) -> None:
    etag = _get(played).header("ETag")
    answer = _get(played, Range="bytes=0-9", **{"If-Range": f"W/{etag}"})
    assert answer.status == 200
    assert answer.body == played[2]


def test_if_range_with_last_modified_returns_the_range(played: tuple[Client, str, bytes]) -> None:
    modified = _get(played).header("Last-Modified")
    assert modified is not None
    answer = _get(played, Range="bytes=5-14", **{"If-Range": modified})
    assert answer.status == 206
    assert answer.body == played[2][5:15]


def test_if_range_with_older_date_returns_whole_file(played: tuple[Client, str, bytes]) -> None:
    answer = _get(played, Range="bytes=5-14", **{"If-Range": formatdate(1_000_000, usegmt=True)})
    assert answer.status == 200
    assert answer.body == played[2]


def test_if_none_match_with_current_etag_is_304(played: tuple[Client, str, bytes]) -> None:
    etag = _get(played).header("ETag")
    assert etag is not None
    answer = _get(played, **{"If-None-Match": etag})
    assert answer.status == 304
    assert answer.body == b""


def test_if_modified_since_last_modified_is_304(played: tuple[Client, str, bytes]) -> None:
    modified = _get(played).header("Last-Modified")
    assert modified is not None
    assert _get(played, **{"If-Modified-Since": modified}).status == 304


def test_if_modified_since_older_date_returns_file(played: tuple[Client, str, bytes]) -> None:
    answer = _get(played, **{"If-Modified-Since": formatdate(1_000_000, usegmt=True)})
    assert answer.status == 200
    assert answer.body == played[2]


def test_head_has_headers_and_no_body(played: tuple[Client, str, bytes]) -> None:
    client, url, data = played
    answer = client.request("HEAD", url)
    assert answer.status == 200
    assert answer.body == b""
    assert answer.header("Content-Length") == str(len(data))
    assert answer.header("Content-Type") == "video/mp4"


def test_head_with_range_reports_the_partial_length(played: tuple[Client, str, bytes]) -> None:
    client, url, _data = played
    answer = client.request("HEAD", url, headers={"Range": "bytes=0-99"})
    assert answer.status == 206
    assert answer.header("Content-Length") == "100"
    assert answer.body == b""


def test_gzip_sibling_is_never_served(played: tuple[Client, str, bytes], stage: Stage) -> None:
    (stage.root / "direct" / "direct.mp4.gz").write_bytes(b"not the movie")
    answer = _get(played, **{"Accept-Encoding": "gzip"})
    assert answer.status == 200
    assert answer.body == played[2]


def test_file_path_never_appears_in_answers(played: tuple[Client, str, bytes], stage: Stage) -> None:
    answer = stage.owner().post(f"/api/items/{stage.items['direct.mp4']}/playback", {})
    assert str(stage.root).encode() not in answer.body


def test_mkv_content_type_follows_container(stage: Stage) -> None:
    owner = stage.owner()
    profile = {"containers": ["mkv"], "video_codecs": ["hevc"], "audio_codecs": ["ac3"]}
    answer = owner.post(f"/api/items/{stage.items['hevc.mkv']}/playback", {"profile": profile})
    assert answer.json()["method"] == "direct"
    got = stage.server.anonymous().get(answer.json()["url"], headers={"Range": "bytes=0-3"})
    assert got.status == 206
    assert got.header("Content-Type") == "video/x-matroska"
    assert got.body == Path(stage.root / "hevc" / "hevc.mkv").read_bytes()[:4]


def test_if_unmodified_since_an_older_date_is_412(played: tuple[Client, str, bytes]) -> None:
    answer = _get(played, Range="bytes=0-9", **{"If-Unmodified-Since": formatdate(1_000_000, usegmt=True)})
    assert answer.status == 412
    assert answer.body == b""


def test_if_unmodified_since_last_modified_serves_the_range(played: tuple[Client, str, bytes]) -> None:
    modified = _get(played).header("Last-Modified")
    assert modified is not None
    answer = _get(played, Range="bytes=0-9", **{"If-Unmodified-Since": modified})
    assert (answer.status, answer.body) == (206, played[2][:10])


def test_if_match_wins_over_if_unmodified_since(played: tuple[Client, str, bytes]) -> None:
    etag = _get(played).header("ETag")
    assert etag is not None
    old = formatdate(1_000_000, usegmt=True)
    assert _get(played, **{"If-Match": etag, "If-Unmodified-Since": old}).status == 200
