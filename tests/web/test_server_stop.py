"""A server stops at once when nothing of its own needs a moment to finish closing."""

from __future__ import annotations

import time
from pathlib import Path

from tests.harness import RunningServer


def test_a_server_that_never_dialed_a_tunnel_stops_without_waiting(tmp_path: Path) -> None:
    # The tunnel dialer gave TLS connections a quarter of a second to finish closing at every stop, even when it
    # had never dialed one: most of a short test's time, over a thousand times a run of the suite.
    took = []
    for n in range(3):
        server = RunningServer(tmp_path / f"data{n}")
        started = time.perf_counter()
        server.stop()
        took.append(time.perf_counter() - started)
    assert min(took) < 0.2, took
