"""Web app first render of a 100,000-item library page in Chromium, and the bytes it fetches.

Reference measured in the same run: a static HTML page listing the same 50 items (same stylesheet), served over
loopback by the standard library's HTTP server. Target: the app's first render ≤ 1 s; no request larger than needed
(the items request carries one page, never the library).
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, sync_playwright  # noqa: E402
from tests.catalogue_factory import movie_server, synthetic_movies  # noqa: E402

from reelhouse.domain.access import Role, system_actor  # noqa: E402

PASSWORD = "benchmark password 1"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
STATIC = ROOT / "src" / "reelhouse" / "web" / "static"
# Resource Timing for every request of the page: what was fetched and how many bytes crossed the wire.
RESOURCES_JS = """() => performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
  .map(e => ({name: e.name, transfer: e.transferSize, body: e.encodedBodySize, decoded: e.decodedBodySize,
              start: e.startTime, end: e.responseEnd}))"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(data_dir: Path, count: int) -> str:
    server, library = movie_server(data_dir, synthetic_movies(count))
    try:
        server.services.accounts.create_user(system_actor(), "owner", Role.OWNER, PASSWORD)
        return str(library.id)
    finally:
        server.close()


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REELHOUSE_SCAN_INTERVAL_MINUTES": "0",
        "REELHOUSE_WATCH_LIBRARIES": "false",
        # The seeded rows have no files behind them; a scan would only mark them all missing.
        "REELHOUSE_SCAN_ON_START": "false",
        "REELHOUSE_DEMO_LIBRARY": "false",
        "REELHOUSE_LOG_LEVEL": "warning",
    }
    argv = [sys.executable, "-m", "reelhouse.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--https-port", "off"]
    proc = subprocess.Popen(
        [*argv, "--data-dir", str(data_dir)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
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


def reference_page(folder: Path, items: list[dict[str, Any]], library: str) -> None:
    """The same 50 items as plain server-rendered HTML: the fastest a page of them could be."""
    cards = "\n".join(
        f'<li class="card-item tall"><a class="poster-link" href="#"><span class="poster">'
        f'<span class="placeholder">{html.escape(i["title"][:1])}</span></span>'
        f'<span class="title">{html.escape(i["title"])}</span><span class="meta">{i["year"] or ""}</span></a></li>'
        for i in items
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Reference</title>'
        '<link rel="stylesheet" href="app.css"></head><body><main>'
        f'<h1>{html.escape(library)}</h1><ul class="grid">{cards}</ul></main></body></html>'
    )
    (folder / "index.html").write_text(page, encoding="utf-8")
    shutil.copyfile(STATIC / "app.css", folder / "app.css")


def serve_folder(folder: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, int(httpd.server_address[1])


def signed_in_state(browser: Browser, base: str) -> Any:
    context = browser.new_context()
    # The server scans its libraries when it starts; sign-in may meet a busy database until that settles.
    for _ in range(120):
        answer = context.request.post(
            f"{base}/api/auth/login", data={"username": "owner", "password": PASSWORD, "device": "benchmark"}
        )
        if answer.status != 503:
            break
        time.sleep(0.5)
    assert answer.ok, answer.text()
    state = context.storage_state()
    context.close()
    return state


def wait_for_scans(browser: Browser, state: Any, base: str, library_id: str) -> None:
    context = browser.new_context(storage_state=state)
    for _ in range(600):
        answer = context.request.get(f"{base}/api/libraries/{library_id}/scan")
        if answer.ok and not answer.json()["running"]:
            break
        time.sleep(0.5)
    context.close()


def app_render(browser: Browser, state: Any, url: str) -> tuple[float, list[dict[str, Any]]]:
    """Cold load (fresh context, empty cache) to the moment the grid of 50 posters is in the document."""
    context = browser.new_context(storage_state=state, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => document.querySelectorAll('.grid li').length === 50", timeout=30_000)
    rendered = page.evaluate(
        "() => performance.getEntriesByName('reelhouse:rendered').map(m => m.startTime).pop()"
    )
    resources = page.evaluate(RESOURCES_JS)
    # Let requests made after the first render (the genre list) finish, so they do not slow the next load.
    page.wait_for_load_state("networkidle")
    context.close()
    return float(rendered), resources


def reference_render(browser: Browser, url: str) -> tuple[float, list[dict[str, Any]]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => document.querySelectorAll('.grid li').length === 50")
    done = page.evaluate("() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
    resources = page.evaluate(RESOURCES_JS)
    context.close()
    return float(done), resources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="20,000 items, 3 runs")
    args = parser.parse_args()
    if args.quick:
        args.items, args.runs = 20_000, 3

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        library_id = prepare(data_dir, args.items)
        print(f"seeded {args.items:,} items in {time.perf_counter() - started:.1f} s")
        port = free_port()
        # movie_server keeps the server's own data one folder down, beside the library folder.
        proc = start_server(data_dir / "data", port)
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                state = signed_in_state(browser, base)
                wait_for_scans(browser, state, base, library_id)
                first_url = f"{base}/#/library/{library_id}"
                last_offset = (args.items - 1) // 50 * 50
                deep_url = f"{base}/#/library/{library_id}?sort=year&offset={last_offset - 50}"
                app_render(browser, state, first_url)  # warm the server's caches and Chromium's code cache
                first = [app_render(browser, state, first_url) for _ in range(args.runs)]
                deep = [app_render(browser, state, deep_url) for _ in range(args.runs)]

                items_answer = json.loads(
                    browser.new_context(storage_state=state)
                    .request.get(f"{base}/api/libraries/{library_id}/items?limit=50")
                    .text()
                )
                ref_dir = Path(tmp) / "reference"
                ref_dir.mkdir()
                reference_page(ref_dir, items_answer["items"], "Movies")
                httpd, ref_port = serve_folder(ref_dir)
                reference_render(browser, f"http://127.0.0.1:{ref_port}/index.html")
                ref = [
                    reference_render(browser, f"http://127.0.0.1:{ref_port}/index.html")
                    for _ in range(args.runs)
                ]
                httpd.shutdown()
                browser.close()
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()

    report(args.items, first, deep, ref)


def report(
    count: int,
    first: list[tuple[float, list[dict[str, Any]]]],
    deep: list[tuple[float, list[dict[str, Any]]]],
    ref: list[tuple[float, list[dict[str, Any]]]],
) -> None:
    med = lambda runs: statistics.median(t for t, _ in runs)  # noqa: E731
    app_ms, deep_ms, ref_ms = med(first), med(deep), med(ref)
    resources = first[-1][1]
    total = sum(r["transfer"] for r in resources)
    ref_total = sum(r["transfer"] for r in ref[-1][1])
    largest = max(resources, key=lambda r: r["transfer"])
    items_requests = [r for r in resources if "/items?" in r["name"]]
    print(f"library of {count:,} items, first page, first render (median of {len(first)} cold loads):")
    print(f"  web app:   {app_ms:7.0f} ms  (target ≤ 1000 ms: {'met' if app_ms <= 1000 else 'NOT met'})")
    print(f"  last page: {deep_ms:7.0f} ms  (offset near {count:,}, sorted by year)")
    print(f"  reference: {ref_ms:7.0f} ms  (static HTML page of the same 50 items)")
    print(f"  ratio web app / reference: {app_ms / ref_ms:.1f}×")
    print(f"bytes over the wire, cold: web app {total / 1024:.1f} KiB in {len(resources)} requests;")
    print(f"  reference {ref_total / 1024:.1f} KiB; ratio {total / max(ref_total, 1):.1f}×")
    print(f"  largest request: {largest['name'].split('/', 3)[-1]} {largest['transfer'] / 1024:.1f} KiB")
    for r in items_requests:
        print(
            f"  items request: {r['name'].split('/', 3)[-1]} {r['transfer'] / 1024:.1f} KiB (one page of 50)"
        )
    print("  waterfall of the last cold load (start → end, ms since navigation):")
    for r in sorted(resources, key=lambda r: r["start"]):
        print(f"    {r['start']:6.0f} → {r['end']:6.0f}  {r['transfer']:7d} B  {r['name'].split('/', 3)[-1]}")


if __name__ == "__main__":
    main()
