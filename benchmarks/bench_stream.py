"""Direct-play throughput and Range requests/s through the grant-checked stream endpoint, beside nginx.

Reference measured in the same run: nginx (sendfile, one worker process) serving the same file from a loopback
port of its own. Targets: single and 8-stream throughput ≥ 0.8× nginx; random 256 KiB Range requests/s ≥ 0.2×.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_catalogue import PASSWORD, free_port, start  # noqa: E402

from reelhouse.config import load_config  # noqa: E402
from reelhouse.domain.access import Role, system_actor  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CURL = shutil.which("curl") or "/usr/bin/curl"
GIB = 1024**3
BLOCK = 256 * 1024


def make_file(path: Path, size: int) -> None:
    """A real two-second MP4 (so the scanner identifies it) padded with random bytes to ``size``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            shutil.which("ffmpeg") or "/usr/bin/ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25:duration=2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
        timeout=120,
    )
    chunk = os.urandom(1024 * 1024)
    with open(path, "ab") as handle:
        while handle.tell() + len(chunk) <= size:
            handle.write(chunk)
        handle.write(chunk[: size - handle.tell()])


def prepare(data_dir: Path, media: Path) -> None:
    from reelhouse.app import Reelhouse

    server = Reelhouse(load_config(environ={}, overrides={"data_dir": data_dir, "demo_library": False}))
    try:
        library = server.services.libraries.add(
            system_actor(), "Movies", "movies", [str(media.parent.parent)]
        )
        server.scanner.scan(library)
        server.services.accounts.create_user(system_actor(), "owner", Role.OWNER, PASSWORD)
    finally:
        server.close()


def nginx(folder: Path, port: int, work: Path) -> subprocess.Popen[bytes]:
    conf = work / "nginx.conf"
    conf.write_text(
        f"""daemon off; master_process off; worker_processes 1; pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  client_body_temp_path {work}; proxy_temp_path {work}; fastcgi_temp_path {work};
  uwsgi_temp_path {work}; scgi_temp_path {work};
  types {{ video/mp4 mp4; }}
  server {{ listen 127.0.0.1:{port}; root {folder}; }}
}}
"""
    )
    proc = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(0.5)
    return proc


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def curl_streams(url: str, count: int) -> tuple[float, int]:
    """Wall seconds and bytes for ``count`` whole-file downloads at once."""
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [CURL, "-s", "-o", "/dev/null", "-w", "%{size_download}", url], stdout=subprocess.PIPE
        )
        for _ in range(count)
    ]
    total = sum(int(p.communicate()[0] or 0) for p in procs)
    return time.perf_counter() - t0, total


def ranges_per_second(port: int, path: str, size: int, seconds: float, threads: int = 4) -> float:
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        rng = random.Random(slot)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop:
            start_at = rng.randrange(0, size - BLOCK)
            conn.request("GET", path, headers={"Range": f"bytes={start_at}-{start_at + BLOCK - 1}"})
            response = conn.getresponse()
            body = response.read()
            assert response.status == 206 and len(body) == BLOCK, response.status
            done[slot] += 1

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) / (time.perf_counter() - t0)


def run_side(
    name: str, pid: int, port: int, path: str, size: int, args: argparse.Namespace
) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}{path}"
    curl_streams(url, 1)  # warm the page cache and the connection path
    cpu0 = cpu_seconds(pid)
    singles = [curl_streams(url, 1) for _ in range(args.repeats)]
    single = max(b / s for s, b in singles) / 1e6
    wall, total = curl_streams(url, 8)
    multi = total / wall / 1e6
    cpu = (cpu_seconds(pid) - cpu0) / ((sum(b for _, b in singles) + total) / GIB)
    rps = ranges_per_second(port, path, size, args.seconds)
    print(
        f"{name:>9}: single {single:8.0f} MB/s | 8 streams {multi:8.0f} MB/s | {cpu:5.2f} CPU-s/GiB"
        f" | 256 KiB ranges {rps:7.0f} req/s"
    )
    return {"single": single, "multi": multi, "cpu": cpu, "rps": rps}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.size_mb, args.repeats, args.seconds = 256, 2, 2.0
    size = args.size_mb * 1024 * 1024
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        media = work / "movies" / "Big" / "big.mp4"
        make_file(media, size)
        data_dir = work / "data"
        prepare(data_dir, media)
        port, nginx_port = free_port(), free_port()
        server = start(data_dir, port)
        web = nginx(media.parent, nginx_port, work)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "POST",
                "/api/auth/login",
                body=json.dumps({"username": "owner", "password": PASSWORD}),
                headers={"Content-Type": "application/json"},
            )
            token = json.loads(conn.getresponse().read())["token"]
            conn.request("GET", "/api/search?q=big", headers={"Authorization": f"Bearer {token}"})
            item = json.loads(conn.getresponse().read())[0]["id"]
            conn.request(
                "POST",
                f"/api/items/{item}/playback",
                body=b"{}",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            answer = json.loads(conn.getresponse().read())
            assert answer["method"] == "direct", answer
            print(
                f"file {args.size_mb} MiB; reelhouse through the grant-checked /stream endpoint, nginx 1 worker"
            )
            ours = run_side("reelhouse", server.pid, port, answer["url"], size, args)
            ref = run_side("nginx", web.pid, nginx_port, "/big.mp4", size, args)
            for label, key, target in (
                ("single-stream throughput", "single", 0.8),
                ("8-stream throughput", "multi", 0.8),
                ("256 KiB Range requests/s", "rps", 0.2),
            ):
                ratio = ours[key] / ref[key]
                print(
                    f"{label}: {ratio:.2f}× nginx (target ≥ {target}×) {'PASS' if ratio >= target else 'FAIL'}"
                )
            print(
                f"CPU-seconds per GiB: {ours['cpu']:.2f} vs nginx {ref['cpu']:.2f} ({ours['cpu'] / max(ref['cpu'], 1e-6):.1f}×)"
            )
        finally:
            server.send_signal(signal.SIGINT)
            web.send_signal(signal.SIGQUIT)
            server.wait(20)
            web.wait(20)


if __name__ == "__main__":
    main()
