"""Scanner throughput: initial audio and video scans and an unchanged rescan, each against a same-run reference.

Run: .venv/bin/python benchmarks/bench_scan.py [--quick] [--workers N]
Targets: audio ≥ 1,500 files/s, video ≥ 300 files/s, unchanged rescan of 100,000 files ≤ 10 s.
Each scan also prints CPU seconds per 1,000 files (this process plus the identify workers), which a busy
machine inflates far less than wall-clock time, and the rate those CPU seconds allow on the given cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil
from mutagen.id3 import ID3, TALB, TIT2, TPE1, TPE2, TRCK
from tests.mediagen import MediaKit

from reelhouse.domain.library import Library, LibraryKind
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.scanner.runner import Scanner


def build_audio(kit: MediaKit, root: Path, count: int) -> None:
    master = kit.master("audio.mp3")
    for n in range(count):
        artist, album = f"Artist {n // 100:03d}", f"Album {n // 10:04d}"
        path = root / artist / album / f"{n % 10 + 1:02d} - Song {n}.mp3"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(master, path)
        tags = ID3()
        tags.add(TIT2(encoding=3, text=f"Song {n}"))
        tags.add(TPE1(encoding=3, text=artist))
        tags.add(TPE2(encoding=3, text=artist))
        tags.add(TALB(encoding=3, text=album))
        tags.add(TRCK(encoding=3, text=str(n % 10 + 1)))
        tags.save(path)


def build_video(kit: MediaKit, root: Path, count: int) -> None:
    master = kit.master("video.mp4").read_bytes()
    for n in range(count):
        folder = root / f"Movie {n:05d} ({1950 + n % 70})"
        folder.mkdir(parents=True, exist_ok=True)
        # A distinct tail per copy so that fingerprints differ, as real files' would.
        (folder / f"{folder.name}.mp4").write_bytes(master + n.to_bytes(8, "little"))


def build_linked(kit: MediaKit, root: Path, count: int) -> None:
    masters = root / ".masters"
    masters.mkdir(parents=True)
    for n in range(count):
        if n % 50_000 == 0:
            # ext4 allows 65,000 links to one inode: a fresh copy of the master for every 50,000 files.
            master = masters / f"{n}.mp3"
            shutil.copyfile(kit.master("audio.mp3"), master)
        folder = root / f"Artist {n // 1000:03d}" / f"Album {n // 10:05d}"
        if n % 10 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        os.link(master, folder / f"{n % 10 + 1:02d} - Track {n}.mp3")


def library(db: Database, kind: LibraryKind, root: Path) -> Library:
    with db.begin() as conn:
        return LibraryRepository().add(conn, f"{kind.value}-{root.name}", kind, [str(root)])


def ffprobe_rate(root: Path, sample: int) -> float:
    """Reference: one ffprobe subprocess per file, the usual way media servers probe."""
    files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs][:sample]
    started = time.perf_counter()
    for path in files:
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path],
            check=True,
            capture_output=True,
        )
    return len(files) / (time.perf_counter() - started)


def walk_seconds(root: Path) -> float:
    """Reference: a plain os.walk plus a stat of every file in the same tree."""
    started = time.perf_counter()
    for folder, _, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(folder, name))
    return time.perf_counter() - started


@dataclass(frozen=True)
class Timed:
    seconds: float
    cpu: float  # this process plus the identify workers
    seen: int
    errors: int

    def rate(self) -> float:
        return self.seen / self.seconds

    def cpu_per_1000(self) -> float:
        return self.cpu / max(1, self.seen) * 1000

    def cpu_bound_rate(self, cores: int) -> float:
        """Files/s if the scan had ``cores`` to itself: CPU per file, spread over the cores."""
        return self.seen / self.cpu * cores if self.cpu else float("inf")


def _worker_cpu(pids: list[int]) -> dict[int, float]:
    times = {}
    for pid in pids:
        try:
            cpu = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        times[pid] = cpu.user + cpu.system
    return times


def timed_scan(scanner: Scanner, lib: Library) -> Timed:
    before_workers = _worker_cpu(scanner.worker_pids())
    before = time.process_time()
    started = time.perf_counter()
    report = scanner.scan(lib)
    seconds = time.perf_counter() - started
    main_cpu = time.process_time() - before
    # Workers are kept between scans: count only what each spent during this one.
    after_workers = _worker_cpu(scanner.worker_pids())
    workers_cpu = sum(t - before_workers.get(pid, 0.0) for pid, t in after_workers.items())
    return Timed(seconds, main_cpu + workers_cpu, report.files_seen, len(report.errors))


def describe(label: str, timed: Timed, cores: int) -> str:
    return (
        f"{label}: {timed.seen} files in {timed.seconds:.2f}s = {timed.rate():,.0f} files/s wall; "
        f"CPU {timed.cpu_per_1000():.2f} s per 1,000 files (≈ {timed.cpu_bound_rate(cores):,.0f} files/s "
        f"on {cores} idle cores); errors {timed.errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument(
        "--workers", type=int, default=2, help="identify processes (default 2, as the target)"
    )
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    audio_n, video_n, rescan_n = 10_000 // scale, 2_000 // scale, 100_000 // scale
    cores = args.workers
    with tempfile.TemporaryDirectory(prefix="reelhouse-bench-") as tmp:
        base = Path(tmp)
        kit = MediaKit(base / "masters")
        db = Database(f"sqlite:///{base / 'bench.db'}")
        db.migrate()
        scanner = Scanner(db, base / "cache", workers=args.workers)
        started = time.perf_counter()
        scanner.warm()
        # A server keeps its workers between scans: their one-time start is shown apart from the scan rates.
        print(f"identify workers started in {time.perf_counter() - started:.2f}s")
        print(
            f"workers={args.workers} cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f} "
            f"sizes: audio={audio_n} video={video_n} rescan={rescan_n}"
        )

        build_audio(kit, base / "audio", audio_n)
        timed = timed_scan(scanner, library(db, LibraryKind.MUSIC, base / "audio"))
        reference = ffprobe_rate(base / "audio", 100 // scale)
        print(
            describe("audio initial scan", timed, cores) + f" (target ≥ 1,500); ffprobe per file "
            f"{reference:,.0f} files/s; ratio {timed.rate() / reference:.1f}x"
        )

        build_video(kit, base / "video", video_n)
        timed = timed_scan(scanner, library(db, LibraryKind.MOVIES, base / "video"))
        reference = ffprobe_rate(base / "video", 100 // scale)
        print(
            describe("video initial scan", timed, cores) + f" (target ≥ 300); ffprobe per file "
            f"{reference:,.0f} files/s; ratio {timed.rate() / reference:.1f}x"
        )

        build_linked(kit, base / "big", rescan_n)
        big = library(db, LibraryKind.MUSIC, base / "big")
        # The first scan of the large tree only sets up the rescan (hard links of one tiny file): not a target.
        print(describe("large initial scan (setup)", timed_scan(scanner, big), cores))
        timed = timed_scan(scanner, big)
        reference_seconds = walk_seconds(base / "big")
        print(
            f"unchanged rescan: {timed.seen} files in {timed.seconds:.2f}s (target ≤ 10 s); CPU "
            f"{timed.cpu:.2f}s; os.walk+stat {reference_seconds:.2f}s; ratio {timed.seconds / reference_seconds:.1f}x"
        )
        print(f"load at the end: {os.getloadavg()[0]:.1f}")
        scanner.close()
        db.close()


if __name__ == "__main__":
    main()
