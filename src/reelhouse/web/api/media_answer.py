"""Answers that carry a file's bytes: exact ranges and conditionals, sent inside the handler and
registered under their viewer so that an admin's change can cut them."""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from typing import Any

from aiohttp import web

from reelhouse.domain.ranges import Decision, Outcome, Validators, decide
from reelhouse.web.context import services
from reelhouse.web.gate import cut_connection

_CONDITIONAL = (
    "Range",
    "If-Range",
    "If-None-Match",
    "If-Modified-Since",
    "If-Match",
    "If-Unmodified-Since",
    "Accept-Encoding",
)
MEDIA_CACHE = "private, max-age=3600"


class _RangedFile(web.FileResponse):
    """aiohttp's FileResponse (sendfile, Range) fed the request as our RFC 9110 rules decided it: it gets a
    Range only when we answer 206, and no conditional or Accept-Encoding header (it would otherwise serve a
    ``.gz`` sibling, misread an ETag If-Range and compare sub-second mtimes against second-precision dates)."""

    def __init__(self, path: str, view: web.BaseRequest, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self._view = view

    async def prepare(self, request: web.BaseRequest) -> Any:
        # The handler sends it (see _tracked); aiohttp's second prepare must not send the file again.
        if self.prepared:
            return self._payload_writer
        return await super().prepare(self._view)


def file_answer(
    request: web.Request, path: str, found: Validators, content_type: str, disposition: str | None = None
) -> web.StreamResponse:
    h = request.headers
    decision: Decision = decide(
        request.method,
        found,
        h.get("Range"),
        h.get("If-Range"),
        h.get("If-None-Match"),
        h.get("If-Modified-Since"),
        h.get("If-Match"),
    )
    common = {"ETag": found.etag, "Cache-Control": MEDIA_CACHE, "Accept-Ranges": "bytes"}
    if decision.outcome is Outcome.NOT_MODIFIED:
        return web.Response(status=304, headers=common)
    if decision.outcome is Outcome.PRECONDITION_FAILED:
        return web.Response(status=412, headers=common)
    if decision.outcome is Outcome.UNSATISFIABLE:
        return web.Response(status=416, headers={**common, "Content-Range": f"bytes */{found.size}"})
    headers = {key: value for key, value in h.items() if key.title() not in _CONDITIONAL}
    if decision.outcome is Outcome.PARTIAL:
        headers["Range"] = f"bytes={decision.start}-{decision.end}"
    extra = {"Content-Type": content_type, "Cache-Control": MEDIA_CACHE}
    if disposition:
        extra["Content-Disposition"] = disposition
    return _RangedFile(path, request.clone(headers=headers), headers=extra)


def tracked(request: web.Request, viewer: str, item_id: str) -> AbstractContextManager[None]:
    """Register a media answer being sent, so that an admin who ends or narrows the viewer's account cuts
    it mid-body. Sent inside the handler for that: aiohttp would otherwise send it after the handler returns."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    transport = request.transport

    def cut() -> None:
        # Called from the worker thread that saved the change; the connection belongs to the loop.
        if transport is not None:
            loop.call_soon_threadsafe(cut_connection, transport, task)

    return services(request).streaming.open.track(viewer, item_id, cut)
