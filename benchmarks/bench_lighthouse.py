"""Lighthouse scores of Home, a library page and an item page at 100,000 items, and Home's first render.

Targets (issue #17 item 10): accessibility ≥ 95 and performance ≥ 90 on each page; Home's first render ≤ 500 ms.
Reference measured in the same run: the app as it was at commit fcaa292 (the start of this round), served from a
`git worktree` of that commit on a catalogue seeded the same way by that commit's own code (so its migrations match).

Lighthouse is pinned in benchmarks/lighthouse/package-lock.json (12.2.3: 13 needs Node 22, this machine has 20).
Install it once, by hand, before running this (benchmarks are not part of the test command):

    (cd benchmarks/lighthouse && npm ci)
    nice -n 10 .venv/bin/python benchmarks/bench_lighthouse.py [--quick]

Lighthouse runs with its desktop preset by default (simulated throttling: 40 ms RTT, 10 Mbit/s, no CPU slowdown);
--form-factor mobile uses its default mobile settings instead (slow 4G, 4× CPU slowdown, phone screen). Against
Debian's /usr/bin/chromium, headless. The signed-in session reaches it as a Cookie header (--extra-headers).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_webapp import (  # noqa: E402
    CHROMIUM_ARGS,
    free_port,
    prepare,
    signed_in_state,
    start_server,
    wait_for_scans,
)
from playwright.sync_api import Browser, sync_playwright  # noqa: E402

THEN = "fcaa292"
LIGHTHOUSE = ROOT / "benchmarks" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
TARGETS = {"accessibility": 95, "performance": 90}
HOME_TARGET_MS = 500.0
# Seeds a catalogue with the old commit's own code, so the database is at that commit's migration head.
SEED_THEN = (
    "import sys; from pathlib import Path; sys.path.insert(0, 'benchmarks'); "
    "import reelhouse; assert reelhouse.__file__.startswith(sys.argv[3]), reelhouse.__file__; "
    "from bench_webapp import prepare; print(prepare(Path(sys.argv[1]), int(sys.argv[2])))"
)


@contextlib.contextmanager
def old_tree(folder: Path) -> Iterator[Path]:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), THEN], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=False)


@contextlib.contextmanager
def serving(data_dir: Path, src: Path | None) -> Iterator[str]:
    """A server on its own port; with src, one importing reelhouse from there (the venv's install is /work/main)."""
    port = free_port()
    saved = os.environ.get("PYTHONPATH")
    if src is not None:
        os.environ["PYTHONPATH"] = str(src)
    try:
        proc = start_server(data_dir, port)
    finally:
        if src is not None:
            if saved is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = saved
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def session_cookie(state: Any) -> str:
    return next(f"{c['name']}={c['value']}" for c in state["cookies"] if c["name"] == "reelhouse")


def first_item(browser: Browser, state: Any, base: str, library_id: str) -> str:
    context = browser.new_context(storage_state=state)
    answer = context.request.get(f"{base}/api/libraries/{library_id}/items?limit=1")
    assert answer.ok, answer.text()
    item_id = str(answer.json()["items"][0]["id"])
    context.close()
    return item_id


def home_render(browser: Browser, state: Any, base: str) -> float:
    """Cold load of Home (fresh context, empty cache) to the mark the router sets once the page is in the DOM."""
    context = browser.new_context(storage_state=state, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{base}/")
    page.wait_for_function(
        "() => performance.getEntriesByName('reelhouse:rendered').length > 0", timeout=30_000
    )
    rendered = page.evaluate("() => performance.getEntriesByName('reelhouse:rendered')[0].startTime")
    page.wait_for_load_state("networkidle")
    context.close()
    return float(rendered)


def lighthouse(url: str, cookie: str, out: Path, form_factor: str) -> dict[str, Any]:
    # Lighthouse's settings without a preset are its mobile ones; there is no "mobile" preset to name.
    preset = ["--preset=desktop"] if form_factor == "desktop" else []
    argv = [
        str(LIGHTHOUSE),
        url,
        *preset,
        "--only-categories=performance,accessibility",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        "--chrome-flags=" + " ".join(CHROMIUM_ARGS),
        "--extra-headers=" + json.dumps({"Cookie": cookie}),
    ]
    subprocess.run(argv, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=600)
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    final = report.get("finalDisplayedUrl") or report.get("finalUrl", "")
    if "signin" in final:
        raise SystemExit(f"Lighthouse was not signed in: it ended on {final}")
    return report


def score(report: dict[str, Any], category: str) -> int:
    return round(100 * (report["categories"][category]["score"] or 0))


def costliest(report: dict[str, Any], category: str, count: int = 5) -> list[tuple[float, str, str]]:
    """The audits that cost the most points in a category: weight × (1 − score), as points out of 100."""
    refs = report["categories"][category]["auditRefs"]
    total = sum(r["weight"] for r in refs) or 1
    lost = []
    for ref in refs:
        audit = report["audits"][ref["id"]]
        if ref["weight"] and audit.get("score") is not None and audit["score"] < 1:
            points = 100 * ref["weight"] * (1 - audit["score"]) / total
            lost.append((points, ref["id"], str(audit.get("displayValue", ""))))
    return sorted(lost, reverse=True)[:count]


def measure(
    browser: Browser, base: str, library_id: str, runs: int, out: Path, form_factor: str
) -> tuple[dict[str, dict[str, Any]], list[float]]:
    state = signed_in_state(browser, base)
    wait_for_scans(browser, state, base, library_id)
    item_id = first_item(browser, state, base, library_id)
    pages = {
        "Home": f"{base}/",
        "library": f"{base}/#/library/{library_id}",
        "item": f"{base}/#/item/{item_id}",
    }
    home_render(browser, state, base)  # warm the server's caches and Chromium's code cache
    renders = [home_render(browser, state, base) for _ in range(runs)]
    cookie = session_cookie(state)
    reports = {
        name: lighthouse(url, cookie, out / f"{name}.json", form_factor) for name, url in pages.items()
    }
    return reports, renders


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
}


def metrics(report: dict[str, Any]) -> str:
    return ", ".join(
        f"{short} {report['audits'][audit].get('displayValue', '?')}" for audit, short in METRICS.items()
    )


def report(
    form_factor: str,
    count: int,
    now: tuple[dict[str, dict[str, Any]], list[float]],
    then: tuple[dict[str, dict[str, Any]], list[float]],
) -> None:
    print(f"\nLighthouse 12.2.3, {form_factor}, {count:,} items (now = working tree, then = {THEN})")
    print(f"{'page':<8} {'category':<14} {'now':>4} {'then':>5}  target  verdict (now)")
    for page in now[0]:
        for category, target in TARGETS.items():
            a, b = score(now[0][page], category), score(then[0][page], category)
            print(f"{page:<8} {category:<14} {a:>4} {b:>5}  ≥ {target:<4}  {verdict(a >= target)}")
    a, b = statistics.median(now[1]), statistics.median(then[1])
    print(
        f"Home first render, median of {len(now[1])} cold loads: now {a:.0f} ms, then {b:.0f} ms; "
        f"target ≤ {HOME_TARGET_MS:.0f} ms: {verdict(a <= HOME_TARGET_MS)}"
    )
    print(f"  runs now:  {', '.join(f'{t:.0f}' for t in now[1])}")
    print(f"  runs then: {', '.join(f'{t:.0f}' for t in then[1])}")
    print("\nLighthouse's metrics (simulated):")
    for page in now[0]:
        print(f"  {page:<8} now:  {metrics(now[0][page])}")
        print(f"  {'':<8} then: {metrics(then[0][page])}")
    print("\nAudits costing the most points now (points out of 100, Lighthouse's display value):")
    costs = [
        (page, category, costliest(lh, category))
        for page, lh in now[0].items()
        for category in TARGETS
        if score(lh, category) < 100
    ]
    for page, category, lost in costs:
        print(f"  {page} / {category}:")
        for points, audit, shown in lost:
            print(f"    -{points:5.1f}  {audit}  {shown}")
    if not costs:
        print("  none: every score is 100")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7, help="cold loads of Home for its first render")
    parser.add_argument("--quick", action="store_true", help="10,000 items, 3 runs")
    parser.add_argument("--form-factor", choices=["desktop", "mobile"], default="desktop")
    parser.add_argument("--keep", type=Path, help="folder to keep Lighthouse's JSON reports in")
    args = parser.parse_args()
    if args.quick:
        args.items, args.runs = 10_000, 3
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: (cd benchmarks/lighthouse && npm ci)")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        out = args.keep or tmp / "reports"
        for side in ("now", "then"):
            (out / side).mkdir(parents=True, exist_ok=True)
        with old_tree(tmp / "then-tree") as tree:
            started = time.perf_counter()
            now_library = prepare(tmp / "now-data", args.items)
            seed = [
                sys.executable,
                "-c",
                SEED_THEN,
                str(tmp / "then-data"),
                str(args.items),
                str(tree / "src"),
            ]
            env = {**os.environ, "PYTHONPATH": str(tree / "src")}
            then_library = subprocess.run(
                seed, cwd=tree, env=env, check=True, capture_output=True, text=True
            ).stdout.split()[-1]
            print(f"seeded {args.items:,} items twice in {time.perf_counter() - started:.1f} s")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                # One server at a time, so the two apps never compete for the two cores.
                # The factory puts the server's data folder inside the folder it is given, beside the library.
                with serving(tmp / "now-data" / "data", None) as base:
                    now = measure(browser, base, now_library, args.runs, out / "now", args.form_factor)
                with serving(tmp / "then-data" / "data", tree / "src") as base:
                    then = measure(browser, base, then_library, args.runs, out / "then", args.form_factor)
                browser.close()
    report(args.form_factor, args.items, now, then)


if __name__ == "__main__":
    main()
