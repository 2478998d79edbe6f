"""The typed-model check that every Jellyfin test's answers pass through (typed.py) has teeth of its own."""

from __future__ import annotations

import email.message
import json
from typing import Any

import pytest

from tests.compat.jellyfin.typed import model_for, parse_typed
from tests.harness import Answer


def _answer(body: Any) -> Answer:
    headers = email.message.Message()
    headers["Content-Type"] = "application/json"
    return Answer(200, headers, json.dumps(body).encode())  # type: ignore[arg-type]


def test_paths_find_their_models_case_blind() -> None:
    assert model_for("/jellyfin/items?ParentId=x") is not None
    assert model_for("/jellyfin/Items/Latest")[1] is True  # type: ignore[index]
    assert model_for("/jellyfin/Users/abc/Items/def")[0].__name__ == "BaseItemDto"  # type: ignore[index]
    assert model_for("/jellyfin/Videos/abc/stream") is None


def test_an_answer_of_the_wrong_shape_fails() -> None:
    item = {"Id": "0" * 32, "Name": "Film", "Type": "Movie", "DateCreated": "2024-01-02T03:04:05.0000000Z"}
    parse_typed("/jellyfin/Items/" + "0" * 32, _answer(item))
    with pytest.raises(AssertionError, match="BaseItemDto"):
        parse_typed("/jellyfin/Items/" + "0" * 32, _answer({**item, "Type": "NotAKind"}))
    with pytest.raises(AssertionError, match="BaseItemDto"):
        parse_typed(
            "/jellyfin/Items?Recursive=true",
            _answer({"Items": [{**item, "Type": "Song"}], "TotalRecordCount": 1}),
        )
