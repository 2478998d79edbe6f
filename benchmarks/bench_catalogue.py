"""Browse and search latency at 100,000 items, and server RSS, through a real server over loopback.

Reference measured in the same run: the latency of GET /api/me (HTTP + authentication, no catalogue work), and the
RSS of the same server with an empty catalogue. Targets: browse p99 ≤ 20 ms, search p99 ≤ 50 ms, RSS ≤ 200 MB.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.catalogue_factory import WORDS, movie_server, synthetic_movies  # noqa: E402

from reelhouse.domain.access import Role, system_actor  # noqa: E402

PASSWORD = "benchmark password 1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def prepare(data_dir: Path, count: int) -> str:
    server, library = movie_server(data_dir, synthetic_movies(count))
    try:
        server.services.accounts.create_user(system_actor(), "owner", Role.OWNER, PASSWORD)
        return library.id
    finally:
        server.close()


def start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REELHOUSE_SCAN_INTERVAL_MINUTES": "0",
        "REELHOUSE_WATCH_LIBRARIES": "false",
        "REELHOUSE_SCAN_ON_START": "false",
        "REELHOUSE_DEMO_LIBRARY": "false",
        "REELHOUSE_LOG_LEVEL": "warning",
        # Plain HTTP is measured; the default HTTPS port (8920) may be held by another run or a test.
        "REELHOUSE_HTTPS_PORT": os.environ.get("REELHOUSE_HTTPS_PORT", "off"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reelhouse.cli.main",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


class Timer:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token = ""

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes, float]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, data, (time.perf_counter() - t0) * 1000


def signed_in(port: int, username: str = "owner", password: str = PASSWORD) -> Timer:
    """A Timer carrying the bearer token of a password sign-in."""
    timer = Timer(port)
    body = json.dumps({"username": username, "password": password}).encode()
    status, data, _ = timer.call("POST", "/api/auth/login", body)
    assert status == 200, data
    timer.token = json.loads(data)["token"]
    return timer


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(timer: Timer, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        status, _, ms = timer.call("GET", path)
        assert status == 200, (status, path)
        out.append(ms)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.items, args.requests = 20_000, 300
    with tempfile.TemporaryDirectory() as tmp:
        empty_dir, full_dir = Path(tmp) / "empty", Path(tmp) / "full"
        prepare(empty_dir, 0)
        t0 = time.perf_counter()
        library_id = prepare(full_dir, args.items)
        print(f"built {args.items} items in {time.perf_counter() - t0:.1f}s")
        rss = {}
        for name, data_dir in (("empty", empty_dir), ("full", full_dir)):
            port = free_port()
            proc = start(data_dir, port)
            try:
                timer = Timer(port)
                status, body, _ = timer.call(
                    "POST",
                    "/api/auth/login",
                    json.dumps({"username": "owner", "password": PASSWORD}).encode(),
                )
                assert status == 200, body
                timer.token = json.loads(body)["token"]
                rng = random.Random(1)
                if name == "full":
                    floor = measure(timer, ["/api/me"] * args.requests)
                    pages = max(1, args.items // 50)
                    sorts = ("title", "year", "added", "rating")
                    browse_paths = [
                        f"/api/libraries/{library_id}/items?limit=50&offset={rng.randrange(pages) * 50}"
                        f"&sort={rng.choice(sorts)}&order={rng.choice(('asc', 'desc'))}"
                        for _ in range(args.requests)
                    ]
                    browse = measure(timer, browse_paths)
                    search_paths = [
                        f"/api/search?q={rng.choice(WORDS)[: rng.randint(3, 6)]}&limit=50"
                        for _ in range(args.requests)
                    ]
                    search = measure(timer, search_paths)
                    print(
                        f"reference GET /api/me: p50 {pct(floor, 0.5):.2f} ms, p99 {pct(floor, 0.99):.2f} ms"
                    )
                    for label, values, target in (("browse page of 50", browse, 20), ("search", search, 50)):
                        print(
                            f"{label} at {args.items} items: p50 {pct(values, 0.5):.2f} ms, p99 {pct(values, 0.99):.2f} ms"
                            f" (target p99 ≤ {target} ms; {pct(values, 0.5) / statistics.median(floor):.1f}× the"
                            f" reference p50) {'PASS' if pct(values, 0.99) <= target else 'FAIL'}"
                        )
                rss[name] = rss_mb(proc.pid)
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(20)
        print(
            f"server RSS with {args.items} items: {rss['full']:.0f} MB (empty catalogue: {rss['empty']:.0f} MB,"
            f" ratio {rss['full'] / rss['empty']:.2f}×; target ≤ 200 MB) {'PASS' if rss['full'] <= 200 else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
