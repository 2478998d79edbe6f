"""Search as you type at 100,000 items: `/api/search/grouped` (the best few of each kind, and people) for the
first letters of a word, as typed, against `/api/search` (one ranked list) for the same text in the same run.

The catalogue: 50,000 films and a music library of 50,000 tracks with their albums and artists. Each typed
prefix is 2 to 6 letters of a common title word, the hardest case (thousands of matches). Issue #17's target:
grouped search p99 under 100 ms on the server side (timed over loopback with one keep-alive connection, so the
figure includes HTTP); the ratio to `/api/search` shows what grouping by kind costs.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_catalogue import PASSWORD, free_port, pct, signed_in, start  # noqa: E402
from benchmarks.bench_subsonic import music_rows  # noqa: E402
from tests.catalogue_factory import WORDS, add_rows, movie_server, synthetic_movies  # noqa: E402

from reelhouse.domain.access import Role, system_actor  # noqa: E402

TARGET_MS = 100.0


def prepare(data_dir: Path, items: int) -> None:
    server, _movies = movie_server(data_dir, synthetic_movies(items // 2))
    try:
        root = data_dir / "music"
        root.mkdir()
        music = server.services.libraries.add(system_actor(), "Music", "music", [str(root)])
        add_rows(server.db, music.id, music_rows(items // 2))
        server.services.accounts.create_user(system_actor(), "owner", Role.OWNER, PASSWORD)
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.items, args.requests = 10_000, 200
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        t0 = time.perf_counter()
        prepare(data_dir, args.items)
        print(f"built about {args.items} items in {time.perf_counter() - t0:.1f}s")
        proc = start(data_dir / "data", port := free_port())
        try:
            timer = signed_in(port)
            rng = random.Random(5)
            # What a typist sends: each prefix of a word from its second letter on.
            typed = []
            while len(typed) < args.requests:
                chosen = rng.choice(WORDS)
                typed.extend(chosen[:n] for n in range(2, min(len(chosen), 6) + 1))
            typed = typed[: args.requests]
            grouped = [f"/api/search/grouped?q={quote(t)}&per_kind=5" for t in typed]
            ranked = [f"/api/search?q={quote(t)}&limit=50" for t in typed]
            for path in grouped[:20] + ranked[:20]:
                timer.call("GET", path)
            times: dict[str, list[float]] = {"grouped": [], "ranked": []}
            # Interleaved, so both see the same caches and the same machine load.
            for g, r in zip(grouped, ranked, strict=True):
                for label, path in (("grouped", g), ("ranked", r)):
                    status, body, ms = timer.call("GET", path)
                    assert status == 200, (path, body[:200])
                    times[label].append(ms)
            g99, r99 = pct(times["grouped"], 0.99), pct(times["ranked"], 0.99)
            print(
                f"search as you type at {args.items} items: /api/search/grouped p50 {pct(times['grouped'], 0.5):.2f} ms,"
                f" p99 {g99:.2f} ms; /api/search p50 {pct(times['ranked'], 0.5):.2f} ms, p99 {r99:.2f} ms;"
                f" ratio p99 {g99 / r99:.2f}× (target p99 < {TARGET_MS:.0f} ms) {'PASS' if g99 < TARGET_MS else 'FAIL'}"
            )
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(20)


if __name__ == "__main__":
    main()
