"""Transcode workers (issue #19): the first HLS segment through a worker, and eight sessions at once over two
workers against their playback deadlines.

Everything is real and on loopback: a redis-server, two `reelhouse worker` processes that see the library under
another path than the web node does (a hard link: the same file, another folder), and `reelhouse serve`.

Reference measured in the same run: the same server build, media and profile with no broker, so ffmpeg runs in
the web process. Targets: the median first 720p segment of a 1080p source through a worker ≤ 1.3× the median
local one (the profile bench_hls.py measures); eight sessions started together over two workers, every segment
of every session before its playback deadline.

The eight sessions play the lowest rung of the ladder (240p, 400 kbit/s H.264, AAC) from a 480p source, so that
eight encodes fit on a 2-core machine; the first segment at that profile is shown too, without a target (its
encode is so short that the worker's fixed cost of a job, tens of milliseconds, is most of it).
"""

from __future__ import annotations

import argparse
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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_catalogue import PASSWORD, free_port  # noqa: E402
from bench_hls import Api  # noqa: E402
from tests.workers.worker_kit import RedisServer, WorkerProcess  # noqa: E402

from reelhouse.config import load_config  # noqa: E402
from reelhouse.domain.access import Role, system_actor  # noqa: E402
from reelhouse.services.hls_session import SEGMENT_SECONDS  # noqa: E402

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
VIEWERS = 8
FIRST_SEGMENT_TARGET = 1.3
# Profile → (height of its generated source, the players' maximum height).
PROFILES = {"720p": (1080, 720), "240p": (480, 240)}
# Each profile's film, named so that a search finds it alone.
TITLES = {"720p": "Premiere", "240p": "Matinee"}


def source(path: Path, seconds: int, height: int) -> None:
    """An H.264/AAC MP4 with a keyframe every two seconds, as a phone or a camera makes them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width = height * 16 // 9 // 2 * 2
    video = f"testsrc2=size={width}x{height}:rate=30:duration={seconds}"
    subprocess.run(
        [
            *(FFMPEG, "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", video),
            *("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p"),
            *("-c:a", "aac", "-b:a", "128k", "-shortest", str(path)),
        ],
        check=True,
        timeout=600,
    )


def prepare(data_dir: Path, root: Path) -> str:
    """A data folder with the library, an owner and seven viewers, and room for every viewer's transcode."""
    from reelhouse.app import Reelhouse

    server = Reelhouse(load_config(environ={}, overrides={"data_dir": data_dir, "demo_library": False}))
    try:
        library = server.services.libraries.add(system_actor(), "Movies", "movies", [str(root)])
        server.scanner.scan(library)
        server.services.accounts.create_user(system_actor(), "owner", Role.OWNER, PASSWORD)
        for n in range(1, VIEWERS):
            server.services.accounts.create_user(system_actor(), f"viewer{n}", Role.MEMBER, PASSWORD)
        server.services.settings.apply(system_actor(), {"max_transcodes": 2 * VIEWERS})
        return library.id
    finally:
        server.close()


def serve(data_dir: Path, port: int, broker_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REELHOUSE_SCAN_INTERVAL_MINUTES": "0",
        "REELHOUSE_WATCH_LIBRARIES": "false",
        "REELHOUSE_SCAN_ON_START": "false",
        "REELHOUSE_DEMO_LIBRARY": "false",
        "REELHOUSE_LOG_LEVEL": "warning",
        # Two servers run side by side: neither may take the default HTTPS or peer port.
        "REELHOUSE_HTTPS_PORT": "off",
        "REELHOUSE_PEER_PORT": "off",
        "REELHOUSE_TRANSCODE_BROKER_URL": broker_url,
    }
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "reelhouse.cli.main", "serve", "--host", "127.0.0.1"),
                *("--port", str(port), "--data-dir", str(data_dir)),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start: {log.read_text(errors='replace')[-2000:]}")


def signed_in(port: int, username: str) -> Api:
    api = Api(port)
    status, body = api.call("POST", "/api/auth/login", {"username": username, "password": PASSWORD})
    assert status == 200, body
    api.token = json.loads(body)["token"]
    return api


@dataclass
class Playback:
    """One player: its session, and when each segment's last byte arrived (monotonic seconds)."""

    user: str
    session_id: str = ""
    started: float = 0.0
    arrivals: list[float] = field(default_factory=list)
    error: str = ""

    def lateness(self) -> list[float]:
        # Playback starts when segment 0 has arrived; segment n is due n segment lengths later.
        first = self.arrivals[0]
        return [t - (first + n * SEGMENT_SECONDS) for n, t in enumerate(self.arrivals)][1:]


def play(api: Api, item: str, profile: dict[str, object], device: str, record: Playback, count: int) -> None:
    """Start playback and fetch ``count`` segments in order, each as soon as the one before arrived."""
    status, body = api.call("POST", f"/api/items/{item}/playback", {**profile, "device_id": device})
    answer = json.loads(body)
    assert status == 200 and answer["method"] == "transcode", (status, body[:300])
    record.session_id = answer["session_id"]
    base = answer["url"].rsplit("/", 1)[0]
    record.started = time.monotonic()
    master = api.call("GET", answer["url"])[1].decode()
    variant = api.call("GET", f"{base}/{master.strip().splitlines()[-1]}")[1].decode()
    lines = [line for line in variant.splitlines() if ".ts?" in line]
    for line in lines[:count]:
        status, data = api.call("GET", f"{base}/{line}")
        assert status == 200 and data[:1] == b"\x47", (status, data[:200])
        record.arrivals.append(time.monotonic())


def stop(api: Api, record: Playback) -> None:
    if record.session_id:
        api.call("DELETE", f"/api/hls/{record.session_id}")


def first_segments(
    servers: dict[str, Api], items: dict[str, dict[str, str]], rounds: int
) -> dict[tuple[str, str], list[float]]:
    """Master request → first segment's last byte per (profile, server), alternating which server goes first."""
    times: dict[tuple[str, str], list[float]] = {(p, name): [] for p in PROFILES for name in servers}
    for n in range(rounds):
        for label, (_, height) in PROFILES.items():
            order = list(servers) if n % 2 == 0 else list(reversed(servers))
            for name in order:
                record = Playback("owner")
                try:
                    play(servers[name], items[name][label], profile(height), f"bench-first-{n}", record, 1)
                except AssertionError as exc:
                    raise RuntimeError(f"first segment, {label}, {name}, round {n + 1}: {exc}") from None
                finally:
                    stop(servers[name], record)
                times[(label, name)].append(record.arrivals[0] - record.started)
                # Let the cancelled encoder end before the next measurement starts its own.
                time.sleep(0.5)
    return times


def eight_at_once(
    port: int, item: str, client: dict[str, object], count: int
) -> tuple[list[Playback], dict[str, str]]:
    """Eight viewers press play together; returns their playbacks and which worker encoded each session."""
    users = ["owner", *(f"viewer{n}" for n in range(1, VIEWERS))]
    apis = [signed_in(port, user) for user in users]
    records = [Playback(user) for user in users]
    gate = threading.Barrier(VIEWERS)

    def run(api: Api, record: Playback) -> None:
        gate.wait()
        try:
            play(api, item, client, "bench-eight", record, count)
        except Exception as exc:  # noqa: BLE001 - one failed player is reported, not a crash of the others
            record.error = repr(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(apis, records, strict=True)]
    for thread in threads:
        thread.start()
    # Once every player has its first segment, every job has a worker: ask the admin view where each runs.
    while any(thread.is_alive() for thread in threads) and not all(r.arrivals or r.error for r in records):
        time.sleep(0.2)
    listed = json.loads(apis[0].call("GET", "/api/transcodes")[1])
    where = {entry["session_id"]: f"{entry['encoder']} {entry['worker']}" for entry in listed}
    for thread in threads:
        thread.join()
    for api, record in zip(apis, records, strict=True):
        stop(api, record)
    return records, where


def profile(height: int) -> dict[str, object]:
    return {
        "profile": {
            "containers": ["mp4"],
            "video_codecs": ["h264"],
            "audio_codecs": ["aac"],
            "max_width": height * 16 // 9,
            "max_height": height,
        }
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60, help="length of the 480p source the eight play")
    parser.add_argument("--play", type=int, default=45, help="seconds each of the eight players plays")
    parser.add_argument("--rounds", type=int, default=7, help="first-segment rounds per server and profile")
    parser.add_argument("--slots", type=int, default=4, help="slots of each worker")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.play, args.rounds = 30, 21, 3
    # The figures depend on what else the machine runs; say how busy it was.
    print("load average at start: " + " ".join(f"{n:.2f}" for n in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        work = Path(tmp)
        movies, mount = work / "srv" / "movies", work / "mnt" / "nas" / "films"
        for label, (source_height, _) in PROFILES.items():
            t0 = time.perf_counter()
            seconds = args.seconds if label == "240p" else 20
            film = movies / TITLES[label] / f"{TITLES[label].lower()}.mp4"
            source(film, seconds, source_height)
            print(f"made a {seconds} s {source_height}p30 H.264 source in {time.perf_counter() - t0:.1f} s")
            # The worker's machine mounts the library elsewhere: the same file under another path.
            (mount / film.parent.name).mkdir(parents=True)
            os.link(film, mount / film.parent.name / film.name)
        libraries = {name: prepare(work / name, movies) for name in ("remote", "local")}
        broker = RedisServer()
        started: list[subprocess.Popen[bytes]] = []
        workers: list[WorkerProcess] = []
        try:
            for n in (1, 2):
                folder = work / f"worker-{n}"
                workers.append(
                    WorkerProcess(folder, broker.url, {libraries["remote"]: mount}, ("cpu",), args.slots)
                )
            ports = {"remote": free_port(), "local": free_port()}
            for name, url in (("remote", broker.url), ("local", "")):
                started.append(serve(work / name, ports[name], url, work / f"{name}.err"))
            servers = {name: signed_in(port, "owner") for name, port in ports.items()}
            items = {name: {label: found(api, label) for label in PROFILES} for name, api in servers.items()}
            times = first_segments(servers, items, args.rounds)
            count = args.play // SEGMENT_SECONDS
            records, where = eight_at_once(ports["remote"], items["remote"]["240p"], profile(240), count)
        except BaseException:
            for log in (work / "remote.err", work / "local.err", *(w.err for w in workers)):
                print(f"== {log.name} ({log.parent.name})\n{log.read_text(errors='replace')[-3000:]}")
            raise
        finally:
            for proc in started:
                proc.send_signal(signal.SIGINT)
                proc.wait(30)
            for worker in workers:
                worker.stop()
            broker.stop()
    print("load average at the end: " + " ".join(f"{n:.2f}" for n in os.getloadavg()))
    return report(times, records, where, args)


def found(api: Api, label: str) -> str:
    (hit,) = json.loads(api.call("GET", f"/api/search?q={TITLES[label]}")[1])
    return str(hit["id"])


def report(
    times: dict[tuple[str, str], list[float]],
    records: list[Playback],
    where: dict[str, str],
    args: argparse.Namespace,
) -> int:
    ratios = {}
    for label, (source_height, _) in PROFILES.items():
        for name, how in (("remote", "through a worker"), ("local", "local ffmpeg (reference)")):
            shown = " ".join(f"{t:.2f}" for t in times[(label, name)])
            median = statistics.median(times[(label, name)])
            print(
                f"first {label} segment of a {source_height}p source, {how}: median {median:.2f} s  [{shown}]"
            )
        remote, local = (statistics.median(times[(label, name)]) for name in ("remote", "local"))
        ratios[label] = remote / local
        verdict = (
            f"(target ≤ {FIRST_SEGMENT_TARGET}×) {'PASS' if ratios[label] <= FIRST_SEGMENT_TARGET else 'FAIL'}"
            if label == "720p"
            else f"(no target; the worker adds {remote - local:+.2f} s)"
        )
        print(f"first {label} segment, worker ÷ local: {ratios[label]:.2f}× {verdict}")
    first_ok = ratios["720p"] <= FIRST_SEGMENT_TARGET
    count = args.play // SEGMENT_SECONDS
    print(
        f"{VIEWERS} sessions at once at 240p (400 kbit/s) from a 480p source, 2 workers × {args.slots} slots,"
        f" {count} segments of {SEGMENT_SECONDS} s each, fetched in order as soon as the one before arrived."
        f" Playback starts when segment 0 has arrived; segment n is due {SEGMENT_SECONDS} s × n later;"
        " lateness = arrival of its last byte − due time (negative: early)"
    )
    late_ok = True
    for record in records:
        if record.error or len(record.arrivals) < count:
            late_ok = False
            print(f"  {record.user:8} FAILED: {record.error or f'{len(record.arrivals)} segments'}")
            continue
        worst = max(record.lateness())
        late_ok = late_ok and worst <= 0
        print(
            f"  {record.user:8} first segment {record.arrivals[0] - record.started:5.2f} s,"
            f" worst lateness {worst:+6.2f} s  on {where.get(record.session_id, 'not listed')}"
        )
    spread = Counter(where.get(r.session_id, "not listed") for r in records)
    print("sessions per encoder: " + ", ".join(f"{name}: {n}" for name, n in sorted(spread.items())))
    two_workers = len([name for name in spread if name.startswith("worker ")]) == 2
    print(
        f"{VIEWERS} at once over two workers, no segment late:"
        f" {'PASS' if late_ok and two_workers else 'FAIL'}"
        + ("" if two_workers else " (the sessions did not spread over both workers)")
    )
    return 0 if first_ok and late_ok and two_workers else 1


if __name__ == "__main__":
    sys.exit(main())
