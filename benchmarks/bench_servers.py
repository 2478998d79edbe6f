"""Linked servers: how long pairing takes, and how fast the Servers page shows ten linked servers while one of
them sits at a blackholed address (it accepts connections and never answers).

Real servers on loopback in this process, each with its own data folder and peer listener.
- Pairing: the wall time of `PeeringService.dial` (a TLS 1.3 connection, SPAKE2 on both sides, key
  confirmation, sealed link records, both links written), over several pairings. Reference in the same run: the
  same connection and three requests of the same sizes to the same listener without the protocol's work
  (three wrong-route POSTs answered 404). Target (issue #18): ≤ 1 s.
- Servers page: Chromium opens #/servers on the home server until all eleven cards are drawn, with ten linked
  servers (nine answering, one blackholed), after the poller has been through them once. Reference in the same
  run: the same page with no linked server. Target: ≤ 500 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_webapp import CHROMIUM_ARGS  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from tests.harness import RunningServer  # noqa: E402

from reelhouse.domain.access import Role, system_actor  # noqa: E402

OWNER = system_actor("bench")
PAIR_TARGET_S = 1.0
PAGE_TARGET_MS = 500.0


def wait_listening(server: RunningServer) -> int:
    deadline = time.monotonic() + 15
    while server.server.peer_port is None:
        if time.monotonic() > deadline:
            raise RuntimeError("peer listener did not open")
        time.sleep(0.02)
    return server.server.peer_port


def bare_round_trips(port: int, sizes: list[int]) -> float:
    """A TLS connection and the pairing's three POSTs, to a route that does no work (404)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    started = time.perf_counter()
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    for size in sizes:
        conn.request("POST", "/peer/v1/none", b"x" * size, {"Content-Type": "application/json"})
        conn.getresponse().read()
    conn.close()
    return time.perf_counter() - started


def render_ms(port: int, token: str, expected: int, runs: int) -> float:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_cookies([{"name": "reelhouse", "value": token, "url": f"http://127.0.0.1:{port}"}])
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/#/")
        page.wait_for_load_state("networkidle")
        times = []
        for _ in range(runs):
            page.goto(f"http://127.0.0.1:{port}/#/")
            page.wait_for_load_state("networkidle")
            took = page.evaluate(
                """async (expected) => {
                  const t = performance.now();
                  location.hash = '#/servers';
                  while (document.querySelectorAll('li.server').length !== expected) {
                    await new Promise((r) => requestAnimationFrame(r));
                  }
                  return performance.now() - t;
                }""",
                expected,
            )
            times.append(float(took))
        browser.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairings", type=int, default=9)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = RunningServer(root / "home", peer_port=0)
        others = [RunningServer(root / f"away{n}", peer_port=0) for n in range(args.pairings)]
        hole = socket.socket()
        try:
            home.create_user("owner", Role.OWNER)
            token = home.sign_in("owner").token
            base_ms = render_ms(home.port, token, 1, args.runs)

            pair_s, bare_s = [], []
            links = []
            for away in others:
                issued = away.server.peering.issue_code(OWNER)
                port = wait_listening(away)
                bare_s.append(bare_round_trips(port, [300, 100, 400]))
                started = time.perf_counter()
                links.append(home.server.peering.dial(OWNER, issued.link).id)
                pair_s.append(time.perf_counter() - started)
            # The tenth: paired, then its address is a socket that accepts and never answers.
            last = RunningServer(root / "blackholed", peer_port=0)
            issued = last.server.peering.issue_code(OWNER)
            wait_listening(last)
            blackholed = home.server.peering.dial(OWNER, issued.link).id
            last.stop()
            hole.bind(("127.0.0.1", 0))
            hole.listen(16)
            with home.server.db.begin() as conn:
                conn.exec_driver_sql(
                    "UPDATE peer_links SET addresses = ? WHERE id = ?",
                    (json.dumps([f"127.0.0.1:{hole.getsockname()[1]}"]), blackholed),
                )
            started = time.perf_counter()
            for link_id in [*links, blackholed]:
                home.server.peer_links.poll(link_id)
            poll_s = time.perf_counter() - started
            statuses = [v.status.value for v in home.server.peer_links.views()]
            linked_ms = render_ms(home.port, token, 11, args.runs)
        finally:
            hole.close()
            for server in [home, *others]:
                server.stop()
    pair_p50, bare_p50 = statistics.median(pair_s), statistics.median(bare_s)
    print(
        f"pairing: p50 {pair_p50 * 1000:.0f} ms, max {max(pair_s) * 1000:.0f} ms over {len(pair_s)}; the same "
        f"connection and round trips without the protocol {bare_p50 * 1000:.1f} ms; ratio {pair_p50 / bare_p50:.1f}x; "
        f"target ≤ {PAIR_TARGET_S * 1000:.0f} ms {'PASS' if max(pair_s) <= PAIR_TARGET_S else 'FAIL'}"
    )
    print(
        f"status poll of all ten, one at a time (one blackholed): {poll_s:.1f} s; statuses {sorted(statuses)}"
    )
    print(
        f"Servers page with ten linked servers (one blackholed): {linked_ms:.0f} ms to draw all eleven cards; "
        f"with none: {base_ms:.0f} ms; ratio {linked_ms / base_ms:.2f}x; target ≤ {PAGE_TARGET_MS:.0f} ms "
        f"{'PASS' if linked_ms <= PAGE_TARGET_MS else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
