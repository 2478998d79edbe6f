"""Soak: memory of the server process over 10 minutes of steady playback load; reports the slope.

Ten direct-play clients and one HLS session run throughout; the server's RSS is sampled every 10 s. The
reference, measured in the same run, is the RSS after a one-minute warm-up (`--quick`: 15 s warm-up,
2 minutes in all). Prints the least-squares slope in MiB per minute and the final RSS as a ratio of the
reference. Flat means a slope under 1 MiB/min.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.verification.load import Rig, census, run_load  # noqa: E402


def slope(points: list[tuple[float, float]]) -> float:
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    num = sum((t - mean_t) * (m - mean_m) for t, m in points)
    den = sum((t - mean_t) ** 2 for t, _ in points) or 1.0
    return num / den


async def soak(rig: Rig, warmup: float, seconds: float) -> tuple[float, list[tuple[float, float]], int]:
    load = asyncio.create_task(run_load(rig, warmup + seconds, direct=10, hls=1))
    await asyncio.sleep(warmup)
    reference = census(rig.server, rig.tmpdir).rss_mb
    started = time.monotonic()
    samples: list[tuple[float, float]] = []
    while not load.done():
        samples.append(((time.monotonic() - started) / 60, census(rig.server, rig.tmpdir).rss_mb))
        await asyncio.sleep(10)
    tally = await load
    return reference, samples, len(tally.server_errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 s warm-up, 2 minutes in all")
    args = parser.parse_args()
    warmup, seconds = (15.0, 105.0) if args.quick else (60.0, 540.0)
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as base:
        rig = Rig(Path(base))
        try:
            reference, samples, errors = asyncio.run(soak(rig, warmup, seconds))
        finally:
            rig.stop()
    per_minute = slope(samples)
    final = samples[-1][1]
    print(
        f"soak: {(warmup + seconds) / 60:.1f} min, 10 direct-play clients + 1 HLS session, {len(samples)} samples"
    )
    print(f"  reference RSS after warm-up   {reference:8.1f} MiB")
    print(f"  final RSS                     {final:8.1f} MiB  ({final / reference:.2f}x reference)")
    print(
        f"  slope                         {per_minute:+8.2f} MiB/min  ({'flat' if abs(per_minute) < 1 else 'GROWING'})"
    )
    print(f"  server errors                 {errors}")
    return 0 if errors == 0 and per_minute < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
