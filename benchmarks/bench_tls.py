"""TLS streaming throughput of Reelhouse's HTTPS listener against nginx, same certificate, same run.

Both serve one large file over loopback with the same certificate and the same Mozilla intermediate TLS
settings; curl downloads it (a C client, so the client is not the bottleneck) and reports bytes per second.
Reelhouse's side is the production HTTPS context (services/certificates.py) with the network gate in front
of an aiohttp FileResponse, which is how media files are served. Printed: medians and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from aiohttp import web  # noqa: E402

from reelhouse.domain import settings as registry  # noqa: E402
from reelhouse.services.certificates import TLS12_CIPHERS, CertificateService  # noqa: E402
from reelhouse.web.gate import NetworkGate  # noqa: E402

NGINX = "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_reelhouse(certs: CertificateService, media: Path) -> int:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port = free_port()

    async def media_file(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(media)

    async def start() -> None:
        gate = NetworkGate(registry.defaults())
        app = web.Application(middlewares=[gate.middleware])
        app.router.add_get("/media.bin", media_file)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, ssl_context=certs.context()).start()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(30)
    return port


def start_nginx(work: Path, certs: CertificateService, media: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    sendfile on;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {certs.directory / "server.pem"};
        ssl_certificate_key {certs.directory / "server.key"};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers {TLS12_CIPHERS};
        ssl_ecdh_curve X25519:prime256v1:secp384r1;
        root {media.parent};
    }}
}}
"""
    )
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(work)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"nginx did not start: {proc.stderr.read() if proc.stderr else b''!r}")


def download(port: int, ca: Path) -> float:
    out = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "--cacert",
            str(ca),
            "--resolve",
            f"localhost:{port}:127.0.0.1",
            "-w",
            "%{speed_download} %{http_code}",
            f"https://localhost:{port}/media.bin",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    speed, code = out.stdout.split()
    assert code == "200", code
    return float(speed) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.quick:
        args.mib, args.runs = 256, 3
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        media = work / "www" / "media.bin"
        media.parent.mkdir()
        with media.open("wb") as f:
            chunk = os.urandom(1 << 20)
            for _ in range(args.mib):
                f.write(chunk)
        # nginx workers drop to an unprivileged user when started as root: let them read the file.
        for path in (work, media.parent):
            path.chmod(0o755)
        media.chmod(0o644)
        certs = CertificateService(work / "certs", ["localhost"], ["127.0.0.1"])
        ours = start_reelhouse(certs, media)
        nginx, theirs = start_nginx(work, certs, media)
        ca = certs.directory / "ca.pem"
        try:
            results: dict[str, list[float]] = {"reelhouse": [], "nginx": []}
            deadline = time.monotonic() + 150
            for n in range(args.runs):
                order = (("reelhouse", ours), ("nginx", theirs))
                for name, port in order if n % 2 == 0 else order[::-1]:
                    results[name].append(download(port, ca))
                if time.monotonic() > deadline:
                    break
        finally:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(10)
        ours_mb = statistics.median(results["reelhouse"])
        nginx_mb = statistics.median(results["nginx"])
        print(
            f"file: {args.mib} MiB over TLS on loopback, {len(results['nginx'])} downloads each, curl client"
        )
        print(f"reelhouse (aiohttp FileResponse, HTTPS listener): {ours_mb:,.0f} MB/s")
        print(f"nginx 1.22 (same certificate and TLS settings):   {nginx_mb:,.0f} MB/s")
        print(f"ratio reelhouse / nginx: {ours_mb / nginx_mb:.2f}")


if __name__ == "__main__":
    main()
