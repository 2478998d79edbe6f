"""A transcode worker's HTTP listener: a job's ffmpeg playlist and finished segments, to web nodes with the
job's token, and nothing else.

This listener never sees a viewer: web nodes fetch from it after their own media access decision, and pass the
bytes on. So it knows no users and no sessions, only job tokens (256 random bits each, carried in an
``Authorization: Bearer`` header so they stay out of access logs). An unknown job, a wrong token and a name that is
not ffmpeg's playlist or a finished segment are the same 404; there is no listing of any folder."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from reelhouse.services.transcode_worker import WorkerJobs

_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t"}
JOBS = web.AppKey("jobs", WorkerJobs)


@dataclass(frozen=True)
class WorkerRoute:
    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    summary: str


def _not_found() -> web.Response:
    return web.Response(status=404, text="Not found.\n", headers={"Cache-Control": "no-store"})


async def job_file(request: web.Request) -> web.StreamResponse:
    jobs: WorkerJobs = request.app[JOBS]
    header = request.headers.get("Authorization", "")
    token = header[7:] if header[:7].lower() == "bearer " else ""
    path = jobs.file(request.match_info["job_id"], token, request.match_info["name"])
    if path is None:
        return _not_found()
    headers = {"Cache-Control": "no-store", "Content-Type": _TYPES[path.suffix]}
    try:
        if path.suffix == ".m3u8":
            # Small, and rewritten by ffmpeg as it goes: read whole, so the answer is one consistent version.
            body = await asyncio.to_thread(path.read_bytes)
            return web.Response(body=body, headers=headers)
    except OSError:
        return _not_found()
    return web.FileResponse(path, headers=headers)


WORKER_ROUTES = (
    WorkerRoute(
        "GET",
        "/jobs/{job_id}/{name}",
        job_file,
        "A job's ffmpeg.m3u8 or a finished segN.ts; needs the job's token.",
    ),
)


def worker_app(jobs: WorkerJobs) -> web.Application:
    app = web.Application()
    app[JOBS] = jobs
    for route in WORKER_ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
    return app


class SegmentListener:
    """The listener on a thread of its own, beside the Celery worker that runs in the main thread."""

    def __init__(self, jobs: WorkerJobs, host: str, port: int) -> None:
        self._app = worker_app(jobs)
        self._host = host
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(self._app, access_log=None)
        self.port = 0

    def start(self) -> int:
        """Binds before returning (a port in use fails the worker's start, not a later job); the bound port."""
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, self._host, self._port)
        self._loop.run_until_complete(site.start())
        self.port = int(self._runner.addresses[0][1])
        threading.Thread(target=self._loop.run_forever, name="segment-listener", daemon=True).start()
        return self.port

    def stop(self) -> None:
        future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
        future.result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
