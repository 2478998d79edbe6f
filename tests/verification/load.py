"""Load engine shared by benchmarks/bench_load.py, bench_soak.py and the slow leak test: direct-play
and HLS clients against a server process, with random aborts, and the leak census afterwards."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import aiohttp
import psutil

from tests.verification import media
from tests.verification.process import ServerProcess, prepare

# A player that may not take H.264 makes the server transcode; the HLS clients use it.
HLS_PROFILE = {"profile": {"containers": ["mp4"], "video_codecs": ["hevc"], "audio_codecs": ["aac"]}}


@dataclass
class Tally:
    requests: int = 0
    aborted: int = 0
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    ttfb: list[float] = field(default_factory=list)
    segment_ttfb: list[float] = field(default_factory=list)
    bytes_read: int = 0
    hls_sessions: set[str] = field(default_factory=set)

    def status(self, what: str, status: int, allowed: tuple[int, ...]) -> bool:
        self.requests += 1
        if status >= 500:
            self.server_errors.append(f"{what}: {status}")
        elif status not in allowed:
            self.unexpected.append(f"{what}: {status}")
        return status in allowed


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[98]


@dataclass
class Census:
    fds: int
    sockets: int
    media_fds: list[str]
    pipes: int
    ffmpeg: int
    threads: int
    rss_mb: float
    tmp_entries: list[str]
    session_dirs: list[str]


def census(server: ServerProcess, tmpdir: Path) -> Census:
    proc = psutil.Process(server.proc.pid)
    children = [c for c in proc.children(recursive=True) if "ffmpeg" in c.name()]
    transcode = server.data_dir / "cache" / "transcode"
    targets = []
    for fd in Path(f"/proc/{server.proc.pid}/fd").iterdir():
        try:
            targets.append(str(fd.readlink()))
        except OSError:
            continue  # closed between listing and reading: not held
    media_root = str(server.data_dir.parent / "media")
    return Census(
        fds=len(targets),
        sockets=sum(t.startswith("socket:") for t in targets),
        # The database's pooled connections may stay open; media files and segments must not.
        media_fds=sorted(t for t in targets if t.startswith((media_root, str(transcode)))),
        pipes=sum(t.startswith("pipe:") for t in targets),
        ffmpeg=len(children),
        threads=proc.num_threads(),
        rss_mb=proc.memory_info().rss / 2**20,
        tmp_entries=sorted(p.name for p in tmpdir.iterdir()),
        session_dirs=sorted(p.name for p in transcode.iterdir()) if transcode.exists() else [],
    )


class Rig:
    """A prepared data dir, a film long enough for several HLS segments, and a running server."""

    def __init__(self, base: Path, seconds: float = 24.0) -> None:
        self.base = base
        self.data = base / "data"
        self.tmpdir = base / "server-tmp"
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        library = base / "media"
        media.movie(library / "Load Film (2020)" / "Load Film (2020).mp4", seconds=seconds, size="640x360")
        prepare(self.data)
        self.server = ServerProcess(self.data, {"TMPDIR": str(self.tmpdir)})
        self.owner = self.server.sign_in()
        answer = self.owner.request("PATCH", "/api/settings", body={"values": {"max_transcodes": 8}})
        assert answer.status == 200, answer.body
        made = self.owner.post("/api/libraries", {"name": "Load", "kind": "movies", "paths": [str(library)]})
        self.library_id = made.json()["id"]
        deadline = time.monotonic() + 60
        while self.owner.get(f"/api/libraries/{self.library_id}/scan").json()["running"]:
            assert time.monotonic() < deadline, "scan did not finish"
            time.sleep(0.1)
        items = self.owner.get(f"/api/libraries/{self.library_id}/items").json()["items"]
        self.item_id = items[0]["id"]
        self.base_url = f"http://127.0.0.1:{self.server.port}"
        self.headers = {"Authorization": f"Bearer {self.owner.token}"}

    def stop(self) -> None:
        self.server.stop()


async def _direct_client(
    rig: Rig, http: aiohttp.ClientSession, tally: Tally, until: float, rng: random.Random
) -> None:
    while time.monotonic() < until:
        async with http.post(f"{rig.base_url}/api/items/{rig.item_id}/playback", json={}) as answer:
            if not tally.status("playback", answer.status, (200,)):
                await asyncio.sleep(0.2)
                continue
            url = (await answer.json())["url"]
        headers = {}
        roll = rng.random()
        if roll < 0.4:
            start = rng.randrange(0, 200_000)
            headers["Range"] = f"bytes={start}-" if rng.random() < 0.5 else f"bytes={start}-{start + 65535}"
        started = time.monotonic()
        response = await http.get(urljoin(rig.base_url, url), headers=headers)
        try:
            if not tally.status("stream", response.status, (200, 206, 416)):
                continue
            first = await response.content.read(4096)
            tally.ttfb.append(time.monotonic() - started)
            tally.bytes_read += len(first)
            if rng.random() < 0.3:
                # Walk away mid-body: the connection is dropped, as a closed browser tab does.
                tally.aborted += 1
                response.close()
                continue
            async for chunk in response.content.iter_chunked(65536):
                tally.bytes_read += len(chunk)
        finally:
            response.release()


async def _hls_client(
    rig: Rig, http: aiohttp.ClientSession, tally: Tally, until: float, rng: random.Random
) -> None:
    while time.monotonic() < until:
        async with http.post(f"{rig.base_url}/api/items/{rig.item_id}/playback", json=HLS_PROFILE) as answer:
            if not tally.status("hls start", answer.status, (200,)):
                await asyncio.sleep(1.0)
                continue
            body = await answer.json()
        session_id = body["session_id"]
        if session_id:
            tally.hls_sessions.add(session_id)
        master_url = urljoin(rig.base_url, body["url"])
        async with http.get(master_url) as answer:
            if not tally.status("master", answer.status, (200,)):
                continue
            master = await answer.text()
        variant = next(line for line in master.splitlines() if line and not line.startswith("#"))
        variant_url = urljoin(master_url, variant)
        async with http.get(variant_url) as answer:
            if not tally.status("variant", answer.status, (200,)):
                continue
            playlist = await answer.text()
        segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
        for segment in segments:
            if time.monotonic() >= until:
                break
            started = time.monotonic()
            response = await http.get(urljoin(variant_url, segment))
            try:
                if not tally.status("segment", response.status, (200,)):
                    break
                first = await response.content.read(1024)
                tally.segment_ttfb.append(time.monotonic() - started)
                tally.bytes_read += len(first)
                if rng.random() < 0.15:
                    tally.aborted += 1
                    response.close()
                    break
                tally.bytes_read += len(await response.read())
            finally:
                response.release()
        if session_id:
            # A player that moves on ends its session; abandoned ones would hold a transcode slot until
            # the reaper's minute is up, and a second start would then meet the max_transcodes cap.
            async with http.delete(f"{rig.base_url}/api/hls/{session_id}") as answer:
                tally.status("hls end", answer.status, (204, 404))
            tally.hls_sessions.discard(session_id)


async def run_load(rig: Rig, seconds: float, direct: int, hls: int, seed: int = 1) -> Tally:
    tally = Tally()
    until = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=direct + hls + 8)
    async with aiohttp.ClientSession(headers=rig.headers, timeout=timeout, connector=connector) as http:
        clients = [
            _direct_client(rig, http, tally, until, random.Random(seed * 1000 + i)) for i in range(direct)
        ]
        clients += [_hls_client(rig, http, tally, until, random.Random(seed * 2000 + i)) for i in range(hls)]
        await asyncio.gather(*clients)
        # The polite end for sessions whose player vanished; the reaper would get them after a minute.
        for session_id in tally.hls_sessions:
            async with http.delete(f"{rig.base_url}/api/hls/{session_id}") as answer:
                tally.status("hls end", answer.status, (204, 404))
    return tally


def settle(rig: Rig, baseline: Census, timeout: float = 20.0) -> Census:
    """Wait for the server to let go of what the load held; returns the last census."""
    deadline = time.monotonic() + timeout
    while True:
        found = census(rig.server, rig.tmpdir)
        clean = (
            found.sockets <= baseline.sockets
            and not found.media_fds
            and found.pipes <= baseline.pipes
            and found.ffmpeg == 0
            and not found.session_dirs
        )
        if clean or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


async def reference_ttfb(rig: Rig, count: int = 200) -> list[float]:
    """GET /api/me: HTTP plus authentication, no media; the reference the stream TTFB is divided by."""
    out: list[float] = []
    async with aiohttp.ClientSession(headers=rig.headers) as http:
        for _ in range(count):
            started = time.monotonic()
            async with http.get(f"{rig.base_url}/api/me") as answer:
                await answer.read()
            out.append(time.monotonic() - started)
    return out
