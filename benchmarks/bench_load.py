"""Load: 50 direct-play clients and 4 HLS sessions for 60 s on loopback, clients aborting at random.

Prints p99 time-to-first-byte of streams and of HLS segments as a ratio against the reference measured in
the same run (GET /api/me: HTTP plus authentication, no media), the count of server errors (must be 0) and
the leak census afterwards (sockets, pipes, open media files, ffmpeg processes, temp files).
`--quick`: 10 s, 10 clients, 2 HLS sessions. Exit status 1 on any server error or leak.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.verification.load import Rig, census, p99, reference_ttfb, run_load, settle  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s, 10 direct clients, 2 HLS sessions")
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args()
    seconds, direct, hls = (10.0, 10, 2) if args.quick else (60.0, 50, 4)
    seconds = args.seconds or seconds
    with tempfile.TemporaryDirectory(prefix="bench-load-") as base:
        rig = Rig(Path(base))
        try:
            reference = p99(asyncio.run(reference_ttfb(rig)))
            baseline = census(rig.server, rig.tmpdir)
            tally = asyncio.run(run_load(rig, seconds, direct, hls))
            after = settle(rig, baseline)
        finally:
            rig.stop()
    stream, segment = p99(tally.ttfb), p99(tally.segment_ttfb)
    print(f"load: {direct} direct-play clients + {hls} HLS sessions for {seconds:.0f} s")
    print(
        f"  requests {tally.requests}, aborted mid-body {tally.aborted}, {tally.bytes_read / 2**20:.1f} MiB read"
    )
    print(f"  reference p99 GET /api/me         {reference * 1000:8.1f} ms")
    print(
        f"  stream p99 TTFB                   {stream * 1000:8.1f} ms  ({stream / reference:.1f}x reference)"
    )
    print(
        f"  HLS segment p99 TTFB              {segment * 1000:8.1f} ms  ({segment / reference:.1f}x reference)"
    )
    print(f"  server errors                     {len(tally.server_errors)}  {tally.server_errors[:5]}")
    print(f"  unexpected answers                {len(tally.unexpected)}  {tally.unexpected[:5]}")
    print(
        f"  after: fds {baseline.fds} -> {after.fds}, sockets {baseline.sockets} -> {after.sockets}, "
        f"pipes {baseline.pipes} -> {after.pipes}, media fds {len(after.media_fds)}, ffmpeg {after.ffmpeg}, "
        f"temp files {len(after.tmp_entries)}, transcode folders {len(after.session_dirs)}"
    )
    leaked = (
        after.media_fds
        or after.ffmpeg
        or after.tmp_entries
        or after.session_dirs
        or after.sockets > baseline.sockets
        or after.pipes > baseline.pipes
    )
    return 1 if tally.server_errors or tally.unexpected or leaked else 0


if __name__ == "__main__":
    sys.exit(main())
