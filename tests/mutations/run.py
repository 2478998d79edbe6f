"""Apply each security mutation to a scratch copy of the repository and run the tests named for it.

Usage: ``./scripts/test --mutations [--only ID ...] [--list]``, or
``.venv/bin/python -m tests.mutations.run``. Exit status 0 only when every mutation was killed, the named tests
passed on the unmutated copy, and every snippet was found exactly once."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.mutations.catalogue import MUTATIONS, Mutation

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("src", "tests", "pyproject.toml", "docs", "README.md", "ARCHITECTURE.md")
PROBE = "_mutation_probe"
# A pytest plugin loaded into every run: it refuses to run unless `reelhouse` is imported from the scratch copy
# (so a mutation can never be "killed" or "survive" against the real tree), and lists the tests that failed.
PROBE_SOURCE = """
import os, sys
from pathlib import Path

def pytest_sessionstart(session):
    import reelhouse
    scratch = Path(os.environ["MUTATION_SCRATCH"]).resolve()
    if scratch not in Path(reelhouse.__file__).resolve().parents:
        sys.stderr.write(f"MUTATION PROBE: reelhouse imported from {reelhouse.__file__}, not {scratch}\\n")
        os._exit(97)

def pytest_runtest_logreport(report):
    if report.failed:
        with open(os.environ["MUTATION_FAILED"], "a", encoding="utf-8") as out:
            out.write(report.nodeid + "\\n")
"""
PROBE_BROKEN = 97


def snippet_problem(mutation: Mutation, root: Path) -> str | None:
    """Why ``mutation`` cannot be applied to the tree at ``root``, or None."""
    path = root / mutation.path
    if not path.is_file():
        return f"{mutation.path} does not exist"
    found = path.read_text(encoding="utf-8").count(mutation.snippet)
    if found != 1:
        return f"snippet found {found} times in {mutation.path} (must be exactly once)"
    for test in mutation.tests:
        file, _, name = test.partition("::")
        if not (root / file).is_file():
            return f"test file {file} does not exist"
        if name and f"def {name.split('::')[-1].split('[')[0]}(" not in (root / file).read_text(
            encoding="utf-8"
        ):
            return f"test {test} does not exist"
    return None


def make_scratch(working_tree: bool) -> Path:
    """A copy of the committed tree (others may have half-done edits in a shared working tree), plus the
    generated files git ignores under src (the vendored player script); or of the working tree as it is."""
    scratch = Path(tempfile.mkdtemp(prefix="reelhouse-mutations-"))
    present = [name for name in COPIED if (ROOT / name).exists()]
    if working_tree:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", ".ruff_cache")
        for name in present:
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, scratch / name, symlinks=True, ignore=ignore)
            else:
                shutil.copy2(ROOT / name, scratch / name)
    else:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD", *present],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
        generated = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "--others", "--ignored", "--exclude-standard", "src"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        for name in generated:
            if "__pycache__" not in name and ".egg-info" not in name:
                (scratch / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, scratch / name)
    (scratch / f"{PROBE}.py").write_text(PROBE_SOURCE, encoding="utf-8")
    return scratch


def run_tests(scratch: Path, tests: tuple[str, ...], stop_early: bool, log: Path) -> tuple[int, set[str]]:
    """Run ``tests`` against the scratch copy; returns pytest's status and the node ids that failed."""
    failed_file = scratch / ".failed"
    failed_file.unlink(missing_ok=True)
    env = dict(os.environ)
    # Before the editable install's path entry, so the scratch copy's `reelhouse` is the one imported, also
    # by servers the tests start as subprocesses.
    env["PYTHONPATH"] = os.pathsep.join([str(scratch / "src"), str(scratch)])
    env["MUTATION_SCRATCH"] = str(scratch)
    env["MUTATION_FAILED"] = str(failed_file)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [
        "nice", "-n", "10", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", PROBE,
        "-m", "not slow", *(["-x"] if stop_early else []), *tests,
    ]  # fmt: skip
    with log.open("w", encoding="utf-8") as out:
        status = subprocess.run(
            command, cwd=scratch, env=env, stdout=out, stderr=subprocess.STDOUT
        ).returncode
    failed = set(failed_file.read_text(encoding="utf-8").split()) if failed_file.exists() else set()
    return status, failed


def selected(test: str, nodeid: str) -> bool:
    return nodeid == test or nodeid.startswith((test + "::", test + "["))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", action="append", metavar="ID", help="run only this mutation (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy and the logs")
    parser.add_argument(
        "--working-tree", action="store_true", help="copy the working tree as it is, not the last commit"
    )
    options = parser.parse_args(argv)
    if options.list:
        for m in MUTATIONS:
            print(f"{m.id:22} {m.path.removeprefix('src/reelhouse/'):32} {m.description}")
        return 0
    chosen = [m for m in MUTATIONS if not options.only or m.id in options.only]
    unknown = set(options.only or ()) - {m.id for m in MUTATIONS}
    if unknown:
        print(f"unknown mutation ids: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    scratch = make_scratch(options.working_tree)
    problems = {m.id: p for m in chosen if (p := snippet_problem(m, scratch)) is not None}
    for mid, problem in problems.items():
        print(f"SNIPPET PROBLEM {mid}: {problem}", file=sys.stderr)
    if problems:
        shutil.rmtree(scratch, ignore_errors=True)
        print(f"mutations: tried 0, killed 0, survived 0 ({len(problems)} snippet problems)")
        return 1

    logs = scratch / "logs"
    logs.mkdir()
    results: list[tuple[str, str, float]] = []
    try:
        union = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
        print(f"baseline: {len(union)} test selections on the unmutated copy in {scratch}", flush=True)
        started = time.monotonic()
        status, failed = run_tests(scratch, union, stop_early=False, log=logs / "baseline.log")
        print(f"baseline: status {status} in {time.monotonic() - started:.0f}s", flush=True)
        if status == PROBE_BROKEN or status not in (0, 1):
            print((logs / "baseline.log").read_text(encoding="utf-8")[-4000:], file=sys.stderr)
            print("baseline broken: pytest could not run the tests against the scratch copy", file=sys.stderr)
            print("mutations: tried 0, killed 0, survived 0 (baseline broken)")
            return 1
        broken = {m.id for m in chosen if any(selected(t, f) for t in m.tests for f in failed)}
        for m in chosen:
            if m.id in broken:
                results.append((m.id, "baseline broken", 0.0))
                continue
            target = scratch / m.path
            original = target.read_text(encoding="utf-8")
            target.write_text(original.replace(m.snippet, m.replacement, 1), encoding="utf-8")
            started = time.monotonic()
            try:
                status, _failed = run_tests(scratch, m.tests, stop_early=True, log=logs / f"{m.id}.log")
            finally:
                target.write_text(original, encoding="utf-8")
            took = time.monotonic() - started
            if status == PROBE_BROKEN:
                verdict = "probe failed"
            elif status == 0:
                verdict = "SURVIVED"
            elif status == 1:
                verdict = "killed"
            else:
                verdict = f"error (pytest status {status})"
            results.append((m.id, verdict, took))
            print(f"  {m.id:22} {verdict:16} {took:6.1f}s", flush=True)
    finally:
        if not options.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"scratch copy and logs kept in {scratch}")

    print()
    print(f"{'mutation':22} {'result':16} {'time':>7}")
    for mid, verdict, took in results:
        print(f"{mid:22} {verdict:16} {took:6.1f}s")
    killed = sum(v == "killed" for _, v, _ in results)
    survived = sum(v == "SURVIVED" for _, v, _ in results)
    other = len(results) - killed - survived
    tried = killed + survived
    tail = f" ({other} not run: baseline broken or errors)" if other else ""
    print(f"mutations: tried {tried}, killed {killed}, survived {survived}{tail}")
    return 0 if survived == 0 and other == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
