"""stream's estimateContentLength: an encode is sent with a Content-Length of duration × bitrate, and exactly
that many bytes (the encode cut or padded), still a playable mp3; without it the encode is chunked."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import text

from reelhouse.domain.access import system_actor
from tests.compat.subsonic.conftest import World
from tests.compat.subsonic.test_playlists import song
from tests.harness import Client


def _stream(world: World, **extra: str) -> tuple[dict[str, str], bytes]:
    query = {
        "id": song(world, "Zed Song"),
        "maxBitRate": "64",
        "format": "mp3",
        "apiKey": world.keys["owner"],
    }
    answer = Client(world.server.port).get(f"/rest/stream?{urlencode({**query, **extra})}")
    assert answer.status == 200, answer.body[:300]
    assert answer.header("Content-Type") == "audio/mpeg"
    return {k.lower(): v for k, v in answer.headers.items()}, answer.body


def test_an_estimated_length_is_sent_exactly_and_plays(world: World, tmp_path: Path) -> None:
    duration = world.server.server.services.catalogue.item(system_actor(), song(world, "Zed Song")).duration
    assert duration
    headers, body = _stream(world, estimateContentLength="true")
    # 64 kbit/s is 8000 bytes a second, of the duration the file's probe measured (near the tags' duration).
    assert int(headers["content-length"]) == len(body)
    assert abs(len(body) - duration * 8000) < 0.1 * duration * 8000
    encoded = tmp_path / "estimated.mp3"
    encoded.write_bytes(body)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "json", str(encoded)],
        capture_output=True,
        check=True,
        text=True,
    )
    assert json.loads(probe.stdout)["streams"][0]["codec_name"] == "mp3"

    plain_headers, plain = _stream(world)
    assert "content-length" not in plain_headers and plain_headers.get("transfer-encoding") == "chunked"
    assert plain[:64] == body[:64]


def test_an_encode_shorter_than_its_estimate_is_padded_to_it(world: World) -> None:
    """The probe's duration can exceed what the encoder makes (a file cut short, say): the length still holds."""
    zed = song(world, "Zed Song")
    db = world.server.server.db
    change = (
        "UPDATE media_files SET media = json_set(media, '$.duration', json_extract(media, '$.duration') * :by)"
        " WHERE item_id = :item"
    )
    with db.begin() as conn:
        conn.execute(text(change), {"by": 4, "item": zed})
    try:
        headers, body = _stream(world, estimateContentLength="true")
    finally:
        with db.begin() as conn:
            conn.execute(text(change), {"by": 0.25, "item": zed})
    _plain_headers, plain = _stream(world)
    assert int(headers["content-length"]) == len(body) > 3 * len(plain)
    assert body[: len(plain) // 2] == plain[: len(plain) // 2]
    assert body[-1000:] == bytes(1000)
