"""Sending what the media access decision opened: exact ranges and conditionals for files, a bounded write
timeout for encoder output, each sent inside the handler and registered under its viewer so that an admin's
change can cut it."""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from aiohttp import web

from reelhouse.domain.ranges import Decision, Outcome, Validators, decide
from reelhouse.errors import NotFound
from reelhouse.services.media_access import Allowed, Delivery
from reelhouse.services.media_files import OpenedFile
from reelhouse.services.progressive_encoders import AudioEncoder
from reelhouse.web.context import call, services
from reelhouse.web.gate import cut_connection

AUDIO_TYPES = {"opus": "audio/ogg", "aac": "audio/aac", "mp3": "audio/mpeg"}
# A client that stops reading holds an encoder; this long without taking a chunk, and the encoder is ended.
WRITE_TIMEOUT_SECONDS = 20.0

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

    async def _sendfile(self, request: web.BaseRequest, fobj: Any, offset: int, count: int) -> Any:
        # aiohttp stops quietly at an early end of file, leaving a kept-alive connection that owes the client
        # bytes it will wait for forever. Every way of sending leaves the file's position after the last byte
        # sent; a file cut short under us ends the connection, so the client sees the body is incomplete.
        writer = await super()._sendfile(request, fobj, offset, count)
        if fobj.tell() < offset + count and request.transport is not None:
            request.transport.abort()
        return writer


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
        h.get("If-Unmodified-Since"),
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


def tracked(request: web.Request, allowed: Allowed) -> AbstractContextManager[None]:
    """Register a media answer being sent, so that an admin who ends or narrows the viewer's account cuts
    it mid-body. Sent inside the handler for that: aiohttp would otherwise send it after the handler returns."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    transport = request.transport

    def cut() -> None:
        # Called from the worker thread that saved the change; the connection belongs to the loop.
        if transport is not None:
            loop.call_soon_threadsafe(cut_connection, transport, task)

    viewer = allowed.viewer
    return services(request).media.open.track(viewer.user_id, allowed.item.summary.id, cut, viewer.session_id)


async def _send(
    request: web.Request,
    opened: OpenedFile,
    answer: web.StreamResponse,
    tracking: AbstractContextManager[None],
) -> web.StreamResponse:
    try:
        with tracking:
            try:
                await answer.prepare(request)
                await answer.write_eof()
            except ConnectionError:
                pass  # the player went away, or the stream was cut: aiohttp logs the access and moves on
    finally:
        opened.close()
    return answer


async def send_file(
    request: web.Request, delivery: Delivery, disposition: str | None = None
) -> web.StreamResponse:
    """Send an opened file (through its descriptor's name, so a path swapped meanwhile changes nothing), then
    close it. Registered under its viewer while it is sent."""
    opened = delivery.file
    answer = file_answer(request, opened.proc_path, opened.validators, delivery.content_type, disposition)
    return await _send(request, opened, answer, tracked(request, delivery.allowed))


async def send_image(
    request: web.Request, opened: OpenedFile, content_type: str, cache: str
) -> web.StreamResponse:
    answer = file_answer(request, opened.proc_path, opened.validators, content_type)
    answer.headers["Cache-Control"] = cache
    return await _send(request, opened, answer, nullcontext())


async def send_stream(
    request: web.Request,
    allowed: Allowed,
    encoder: AudioEncoder,
    content_type: str,
    length: int | None = None,
) -> web.StreamResponse:
    """Relay an encoder's output; the encoder ends when the client leaves, is cut, or stops reading.

    With `length` (an estimate, for players that need a Content-Length to show progress or to cache), exactly
    that many bytes are sent: the encode is cut there, or padded with zeros, which audio decoders skip, so the
    answer's framing always holds."""
    media = services(request).media
    loop = asyncio.get_running_loop()
    response = web.StreamResponse(headers={"Content-Type": content_type, "Cache-Control": "no-store"})
    if length is not None:
        response.content_length = length
    stdout = encoder.process.stdout
    try:
        assert stdout is not None
        with tracked(request, allowed):
            await response.prepare(request)
            sent = 0
            while length is None or sent < length:
                chunk = await loop.run_in_executor(None, stdout.read1, 65536)  # type: ignore[attr-defined]
                if not chunk:
                    break
                if length is not None:
                    chunk = chunk[: length - sent]
                sent += len(chunk)
                await asyncio.wait_for(response.write(chunk), WRITE_TIMEOUT_SECONDS)
            while length is not None and sent < length:
                pad = min(65536, length - sent)
                sent += pad
                await asyncio.wait_for(response.write(bytes(pad)), WRITE_TIMEOUT_SECONDS)
            await response.write_eof()
    except (ConnectionError, TimeoutError):
        if request.transport is not None:
            request.transport.close()
    finally:
        await loop.run_in_executor(None, media.encoders.stop, encoder)
    return response


async def send_segment(request: web.Request, session: Any, number: str) -> web.StreamResponse:
    """One HLS segment of a session the media access decision already allowed, encoded on demand."""
    if not number.isdigit() or len(number) > 7:
        raise NotFound("No such segment.")
    path = await call(request, services(request).media.encoders.segment, session, int(number))
    return web.FileResponse(path, headers={"Content-Type": "video/mp2t", "Cache-Control": "no-store"})
