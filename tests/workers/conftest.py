"""Every test here runs real transcode workers on a real Redis: with tests/cluster it is the cluster suite that
`pytest -m cluster` runs on its own (issue #19)."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items, so it marks only this folder's.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.cluster)
