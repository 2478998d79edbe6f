"""Endpoints we do not serve answer Jellyfin's 404 and are logged once per path shape, never with a query."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.compat.jellyfin.conftest import jellyfin_client
from tests.harness import RunningServer

LOGGER = "reelhouse.web.unknown_paths"


def test_unknown_paths_answer_404_and_are_logged_once_per_shape_without_the_query(
    running: RunningServer, jellyfin_token: Callable[..., str], caplog: pytest.LogCaptureFixture
) -> None:
    running.create_user("alice")
    token = jellyfin_token(running, "alice")
    app = jellyfin_client(running, token)
    caplog.set_level(logging.INFO, logger=LOGGER)
    for path in (
        f"/jellyfin/Items/{'ab' * 16}/Lyrics?api_key={token}",
        f"/jellyfin/items/{'cd' * 16}/lyrics?ApiKey={token}",
        "/jellyfin/LiveTv/Channels/17?StartIndex=0",
        "/jellyfin/LiveTv/Channels/42",
    ):
        answer = app.get(path)
        assert answer.status == 404, answer.body
        assert answer.json()["status"] == 404
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert lines == [
        "jellyfin: no endpoint for GET /jellyfin/Items/{id}/Lyrics (logged once per path shape)",
        "jellyfin: no endpoint for GET /jellyfin/LiveTv/Channels/{n} (logged once per path shape)",
    ]
    assert token not in caplog.text and "StartIndex" not in caplog.text
    # A route we serve, answering 404 for a missing item, is no gap.
    caplog.clear()
    assert app.get(f"/jellyfin/Items/{'ef' * 16}").status == 404
    assert [r for r in caplog.records if r.name == LOGGER] == []
