"""The memory of unknown path shapes is bounded, and says so once when it is full."""

from __future__ import annotations

import logging

import pytest

from reelhouse.web.unknown_paths import UnknownPaths, shape


def test_ids_and_numbers_become_placeholders() -> None:
    assert shape("/jellyfin/Videos/0123456789abcdef0123456789ABCDEF/hls1/main/12.ts") == (
        "/jellyfin/Videos/{id}/hls{n}/main/{n}.ts"
    )
    assert shape("/rest/getFoo/3f2504e0-4f89-11d3-9a0c-0305e82c3301") == "/rest/getFoo/{id}"
    assert len(shape("/jellyfin/" + "x" * 5000)) == 200


def test_at_most_the_limit_is_remembered_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="reelhouse.web.unknown_paths")
    seen = UnknownPaths(limit=2)
    for path in ("/a", "/b", "/a", "/c", "/d"):
        seen.note("jellyfin", "GET", path)
    assert [r.getMessage() for r in caplog.records] == [
        "jellyfin: no endpoint for GET /a (logged once per path shape)",
        "jellyfin: no endpoint for GET /b (logged once per path shape)",
        "jellyfin: 2 unknown path shapes seen; no more are logged",
    ]
    assert len(seen._seen) == 2
