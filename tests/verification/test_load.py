"""Load and leaks: 50 direct-play clients and 4 HLS sessions for 60 s with random aborts; no server
errors, and afterwards no descriptors, ffmpeg processes or temp files left behind."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.verification.load import Rig, census, p99, run_load, settle


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    made = Rig(tmp_path)
    try:
        yield made
    finally:
        made.stop()


def _run(rig: Rig, seconds: float, direct: int, hls: int) -> None:
    baseline = census(rig.server, rig.tmpdir)
    tally = asyncio.run(run_load(rig, seconds, direct, hls))
    assert tally.server_errors == [], tally.server_errors[:20]
    assert tally.unexpected == [], tally.unexpected[:20]
    assert tally.ttfb and tally.segment_ttfb, "both kinds of client were served"
    assert tally.aborted > 0, "some clients walked away mid-body"
    print(
        f"\nrequests {tally.requests}, aborted {tally.aborted}, stream p99 TTFB {p99(tally.ttfb) * 1000:.1f} ms"
    )
    after = settle(rig, baseline)
    assert after.ffmpeg == 0, "ffmpeg processes outlived their sessions"
    assert after.session_dirs == [], "transcode folders outlived their sessions"
    assert after.tmp_entries == [], f"temp files left behind: {after.tmp_entries}"
    assert after.media_fds == [], f"media files still open: {after.media_fds}"
    assert after.sockets <= baseline.sockets, f"sockets: {baseline.sockets} before, {after.sockets} after"
    assert after.pipes <= baseline.pipes, f"pipes: {baseline.pipes} before, {after.pipes} after"
    # What remains above the baseline is the database's connection pool, bounded by its size.
    assert after.fds <= baseline.fds + 3 * 15, f"descriptors: {baseline.fds} before, {after.fds} after"


def test_a_short_burst_of_direct_and_hls_clients_leaks_nothing(rig: Rig) -> None:
    _run(rig, seconds=8, direct=10, hls=2)


@pytest.mark.slow
def test_fifty_direct_and_four_hls_clients_for_a_minute_leak_nothing(rig: Rig) -> None:
    _run(rig, seconds=60, direct=50, hls=4)
