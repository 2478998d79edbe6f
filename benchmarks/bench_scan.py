"""Scanner throughput: initial audio and video scans and an unchanged rescan, each against a same-run reference.

Run: .venv/bin/python benchmarks/bench_scan.py [--quick] [--workers N]
Targets: audio ≥ 1,500 files/s, video ≥ 300 files/s, unchanged rescan of 100,000 files ≤ 10 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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
    master = kit.master("audio.mp3")
    for n in range(count):
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
        subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path],
                       check=True, capture_output=True)
    return len(files) / (time.perf_counter() - started)


def walk_seconds(root: Path) -> float:
    """Reference: a plain os.walk plus a stat of every file in the same tree."""
    started = time.perf_counter()
    for folder, _, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(folder, name))
    return time.perf_counter() - started


def timed_scan(scanner: Scanner, lib: Library) -> tuple[float, int, int]:
    started = time.perf_counter()
    report = scanner.scan(lib)
    return time.perf_counter() - started, report.files_seen, len(report.errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--workers", type=int, default=2, help="identify processes (default 2, as the target)")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    audio_n, video_n, rescan_n = 10_000 // scale, 2_000 // scale, 100_000 // scale
    with tempfile.TemporaryDirectory(prefix="reelhouse-bench-") as tmp:
        base = Path(tmp)
        kit = MediaKit(base / "masters")
        db = Database(f"sqlite:///{base / 'bench.db'}")
        db.migrate()
        scanner = Scanner(db, base / "cache", workers=args.workers)
        print(f"workers={args.workers} cpus={os.cpu_count()} sizes: audio={audio_n} video={video_n} rescan={rescan_n}")

        build_audio(kit, base / "audio", audio_n)
        seconds, seen, errors = timed_scan(scanner, library(db, LibraryKind.MUSIC, base / "audio"))
        rate, reference = seen / seconds, ffprobe_rate(base / "audio", 200 // scale * 2)
        print(f"audio initial scan: {seen} files in {seconds:.2f}s = {rate:,.0f} files/s (target ≥ 1,500); "
              f"ffprobe per file {reference:,.0f} files/s; ratio {rate / reference:.1f}x; errors {errors}")

        build_video(kit, base / "video", video_n)
        seconds, seen, errors = timed_scan(scanner, library(db, LibraryKind.MOVIES, base / "video"))
        rate, reference = seen / seconds, ffprobe_rate(base / "video", 200 // scale * 2)
        print(f"video initial scan: {seen} files in {seconds:.2f}s = {rate:,.0f} files/s (target ≥ 300); "
              f"ffprobe per file {reference:,.0f} files/s; ratio {rate / reference:.1f}x; errors {errors}")

        build_linked(kit, base / "big", rescan_n)
        big = library(db, LibraryKind.MUSIC, base / "big")
        seconds, seen, _ = timed_scan(scanner, big)
        print(f"large initial scan: {seen} files in {seconds:.1f}s = {seen / seconds:,.0f} files/s")
        seconds, seen, _ = timed_scan(scanner, big)
        reference_seconds = walk_seconds(base / "big")
        print(f"unchanged rescan: {seen} files in {seconds:.2f}s (target ≤ 10 s); "
              f"os.walk+stat {reference_seconds:.2f}s; ratio {seconds / reference_seconds:.1f}x")
        db.close()


if __name__ == "__main__":
    main()
