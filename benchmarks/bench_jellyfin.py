"""Jellyfin API latency through a real server over loopback: PlaybackInfo on a real probed file, and a page of
100 items through /jellyfin/Items against the same page through our own API at a large catalogue.

References measured in the same run: GET /api/me (HTTP and authentication, no catalogue work) for PlaybackInfo, and
/api/libraries/{id}/items for the Jellyfin page. Targets: PlaybackInfo p99 ≤ 20 ms; the Jellyfin page within 1.2×
of ours at p50 and p99.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_catalogue import Timer, free_port, pct, prepare, signed_in, start  # noqa: E402
from tests.harness import RunningServer  # noqa: E402
from tests.playback import media  # noqa: E402

from reelhouse.domain.access import Role, system_actor  # noqa: E402
from reelhouse.web.compat.jellyfin.ids import to_jellyfin  # noqa: E402

PROFILE = {
    "DeviceProfile": {
        "DirectPlayProfiles": [
            {"Container": "mp4", "Type": "Video", "VideoCodec": "h264", "AudioCodec": "aac"}
        ],
        "TranscodingProfiles": [
            {"Container": "ts", "Type": "Video", "VideoCodec": "h264", "Protocol": "hls"}
        ],
    }
}


def playback_info(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        films = Path(tmp) / "films"
        media.h264_mp4(films / "Film" / "Film.mp4")
        media.hevc_ac3_mkv(films / "Other" / "Other.mkv")
        server = RunningServer(Path(tmp) / "data")
        try:
            services = server.server.services
            library = services.libraries.add(system_actor("b"), "Films", "movies", [str(films)])
            server.server.scanner.scan(library)
            server.create_user("owner", Role.OWNER)
            token = str(server.sign_in("owner").token)
            timer = Timer(server.port)
            timer.token = token
            film = services.catalogue.search(system_actor("b"), "Film")[0].id
            other = services.catalogue.search(system_actor("b"), "Other")[0].id
            floor = [timer.call("GET", "/api/me")[2] for _ in range(requests)]
            body = json.dumps(PROFILE).encode()
            results = {}
            for label, item in (("direct play", film), ("HLS transcode", other)):
                path = f"/jellyfin/Items/{to_jellyfin(item)}/PlaybackInfo?ApiKey={token}&DeviceId=bench"
                times = []
                for _ in range(requests):
                    status, data, ms = timer.call("POST", path, body)
                    assert status == 200 and b"MediaSources" in data, data[:200]
                    times.append(ms)
                results[label] = times
            print(f"reference GET /api/me: p50 {pct(floor, 0.5):.2f} ms, p99 {pct(floor, 0.99):.2f} ms")
            for label, times in results.items():
                p99 = pct(times, 0.99)
                print(
                    f"PlaybackInfo ({label}): p50 {pct(times, 0.5):.2f} ms, p99 {p99:.2f} ms"
                    f" ({pct(times, 0.5) / pct(floor, 0.5):.1f}× the reference p50; target p99 ≤ 20 ms)"
                    f" {'PASS' if p99 <= 20 else 'FAIL'}"
                )
        finally:
            server.stop()


def items_page(count: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "full"
        library_id = prepare(data_dir, count)
        port = free_port()
        # prepare() keeps the server's data in data_dir/data, beside the library folder it writes.
        proc = start(data_dir / "data", port)
        try:
            timer = signed_in(port)
            token = timer.token
            rng = random.Random(1)
            offsets = [rng.randrange(max(1, count // 100)) * 100 for _ in range(requests)]
            ours, theirs = [], []
            parent = to_jellyfin(library_id)
            for offset in offsets:
                # Interleaved, so both see the same caches and the same machine load.
                status, data, ms = timer.call(
                    "GET", f"/api/libraries/{library_id}/items?limit=100&offset={offset}"
                )
                assert status == 200, data[:200]
                ours.append(ms)
                # What Jellyfin's web client asks for a library's poster grid.
                path = (
                    f"/jellyfin/Items?ParentId={parent}&Recursive=true&IncludeItemTypes=Movie&SortBy=SortName"
                    "&SortOrder=Ascending&Fields=PrimaryImageAspectRatio,SortName&ImageTypeLimit=1"
                    f"&EnableImageTypes=Primary,Backdrop,Thumb&StartIndex={offset}&Limit=100&ApiKey={token}"
                )
                status, data, ms = timer.call("GET", path)
                assert status == 200 and len(json.loads(data)["Items"]) == 100, data[:200]
                theirs.append(ms)
            for q, name in ((0.5, "p50"), (0.99, "p99")):
                ratio = pct(theirs, q) / pct(ours, q)
                print(
                    f"page of 100 at {count} items, {name}: /jellyfin/Items {pct(theirs, q):.2f} ms,"
                    f" /api {pct(ours, q):.2f} ms, ratio {ratio:.2f}× (target ≤ 1.2×) {'PASS' if ratio <= 1.2 else 'FAIL'}"
                )
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    # The HTTP page is measured; the server's default HTTPS port (8920) may be held by another run.
    os.environ.setdefault("REELHOUSE_HTTPS_PORT", "off")
    if args.quick:
        args.items, args.requests = 20_000, 200
    playback_info(args.requests)
    items_page(args.items, args.requests)


if __name__ == "__main__":
    main()
