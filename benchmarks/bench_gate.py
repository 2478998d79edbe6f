"""The network gate's cost per request, as a share of a browse request's time (target: ≤ 5 %).

Reference measured in the same run: the same browse request against the same server objects built without the
gate (its middleware removed before the app starts). Requests alternate between the two apps one by one, over
keep-alive loopback connections, so machine noise hits both alike. Also printed: the gate's own work per call
(classify + decide + tracking, timed in-process) against the browse median.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.catalogue_factory import add_rows, synthetic_movies  # noqa: E402

from reelhouse.app import Reelhouse  # noqa: E402
from reelhouse.config import load_config  # noqa: E402
from reelhouse.domain import settings as registry  # noqa: E402
from reelhouse.domain.access import Role, system_actor  # noqa: E402
from reelhouse.domain.network import NetworkPolicy, classify, decide  # noqa: E402
from reelhouse.web.gate import GATE  # noqa: E402

PASSWORD = "benchmark password 1"


def serve_both(server: Reelhouse) -> tuple[int, int]:
    loop = asyncio.new_event_loop()
    ports: list[int] = []
    ready = threading.Event()

    async def start() -> None:
        from aiohttp import web

        for with_gate in (True, False):
            app = server.web_app()
            if not with_gate:
                app.middlewares.remove(app[GATE].middleware)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(30)
    return ports[0], ports[1]


def timed_gets(conn: http.client.HTTPConnection, path: str, token: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        start = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        out.append(time.perf_counter() - start)
        assert response.status == 200, response.status
    return out


def gate_work_per_call(calls: int) -> float:
    policy = NetworkPolicy.from_settings(registry.defaults(), ("benchhost",))
    start = time.perf_counter()
    for _ in range(calls):
        peer = classify("192.168.1.20", None, policy)
        decide(peer, policy, host="192.168.1.5:8096", tls=False, page_request=False)
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    if args.quick:
        args.items, args.requests = 2_000, 400
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(environ={}, overrides={"data_dir": Path(tmp), "demo_library": False})
        server = Reelhouse(config)
        root = Path(tmp) / "movies"
        root.mkdir()
        library = server.services.libraries.add(system_actor(), "Movies", "movies", [str(root)])
        add_rows(server.db, library.id, synthetic_movies(args.items))
        server.services.accounts.create_user(system_actor(), "owner", Role.OWNER, PASSWORD)
        gated, bare = serve_both(server)
        token = server.services.accounts.sign_in("owner", PASSWORD, "127.0.0.1", "bench").token
        path = f"/api/libraries/{library.id}/items?limit=50&sort=title"
        conns = {p: http.client.HTTPConnection("127.0.0.1", p, timeout=30) for p in (gated, bare)}
        samples: dict[int, list[float]] = {gated: [], bare: []}
        deadline = time.monotonic() + 150
        for p in conns:
            timed_gets(conns[p], path, token, 20)  # warm-up
        # One request each in turn, order flipped every round: load from other processes hits both alike.
        for n in range(args.requests):
            for p in (gated, bare) if n % 2 == 0 else (bare, gated):
                samples[p] += timed_gets(conns[p], path, token, 1)
            if time.monotonic() > deadline:
                break
        with_gate = statistics.median(samples[gated]) * 1000
        without = statistics.median(samples[bare]) * 1000
        work = gate_work_per_call(20_000) * 1000
        print(f"browse median with gate:    {with_gate:.3f} ms  ({len(samples[gated])} requests)")
        print(f"browse median without gate: {without:.3f} ms  ({len(samples[bare])} requests)")
        print(f"gate cost, end to end: {(with_gate - without) / without * 100:+.2f} % of a browse request")
        print(
            f"gate work in-process: {work * 1000:.1f} µs per request = {work / without * 100:.2f} % (target ≤ 5 %)"
        )


if __name__ == "__main__":
    main()
