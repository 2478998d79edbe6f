"""Server, settings, audit and OpenAPI routes."""

from __future__ import annotations

import functools
import gzip
import json

from aiohttp import web
from pydantic import BaseModel

from reelhouse.domain import settings as registry
from reelhouse.domain.access import Action
from reelhouse.domain.playback import Plan
from reelhouse.web.context import actor, call, json_response, parse_body, parse_query, peer_address, services
from reelhouse.web.errors import CLIENT_APIS
from reelhouse.web.routing import Access, Route
from reelhouse.web.schemas import (
    AuditChainOut,
    AuditEntryOut,
    AuditOut,
    AuditQuery,
    ServerOut,
    SettingsIn,
    SettingsOut,
    SettingSpecOut,
)

OPENAPI = web.AppKey("openapi", str)


class ServerInfoOut(ServerOut):
    # The base path of each client API that is turned on (`{"jellyfin": "/jellyfin", "subsonic": "/rest"}`),
    # so the Servers page can say what to type into a Jellyfin or Subsonic app. Here rather than in schemas.py
    # because only this route answers it.
    client_apis: dict[str, str]


class TranscodeProfileOut(BaseModel):
    """What the session's encoder makes: the playback plan's video and audio, no more."""

    # "h264" when the video is encoded, "copy" when it is passed through as it is.
    video: str
    # The encoded picture's height and bitrate; None when the video is copied.
    height: int | None
    video_kbps: int | None
    # "aac" when the audio is encoded, "copy" when it is passed through.
    audio: str
    audio_kbps: int | None


class TranscodeOut(BaseModel):
    """One HLS session's encoder as an admin sees it: where it runs, never who watches what."""

    session_id: str
    # "local" in this process, "worker" on a transcode worker (docs/scaling.md).
    encoder: str
    # The worker's name from the job's heartbeat; None locally, or before the worker has taken the job.
    worker: str | None
    # The segment the current encoder started at (a seek moves it).
    start_segment: int
    # Whether it holds one of the max_transcodes slots (an encoder nobody fetched from lately gives it back).
    holds_slot: bool
    # The workers' queue its current job was sent to, "cpu" or "gpu" (setting transcode_gpu); None locally.
    queue: str | None
    # Why it runs on CPU workers though GPUs are preferred ("fell back to CPU: no GPU worker took the job").
    fallback: str | None
    profile: TranscodeProfileOut


def _jsonable(values: dict[str, object]) -> dict[str, object]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


async def server(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    apis = {c.name: c.prefix for c in request.app.get(CLIENT_APIS, ()) if c.enabled(request.app)}
    return json_response(
        ServerInfoOut(
            name=svc.settings.get("server_name"), version=svc.version, needs_setup=False, client_apis=apis
        )
    )


async def get_settings(request: web.Request) -> web.StreamResponse:
    return json_response(SettingsOut(values=_jsonable(services(request).settings.values)))


async def save_settings(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, SettingsIn)
    values = await call(
        request, services(request).settings.apply, actor(request), body.values, peer_address(request)
    )
    return json_response(SettingsOut(values=_jsonable(values)))


async def settings_registry(request: web.Request) -> web.StreamResponse:
    return json_response(
        [
            SettingSpecOut(
                name=s.name,
                type=s.type,
                default=list(s.default) if isinstance(s.default, tuple) else s.default,
                help=s.help,
                section=s.section,
            )
            for s in registry.REGISTRY
        ]
    )


async def audit(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, AuditQuery)
    svc = services(request).audit
    entries = await call(request, svc.entries, actor(request), q.action, q.limit, q.before)
    report = await call(request, svc.check, actor(request))
    return json_response(
        AuditOut(
            entries=[AuditEntryOut.model_validate(e, from_attributes=True) for e in entries],
            chain=AuditChainOut(state=report.state, seq=report.seq, reason=report.reason),
        )
    )


async def transcodes(request: web.Request) -> web.StreamResponse:
    encoders = services(request).media.encoders
    remote = encoders.remote is not None
    return json_response(
        [
            TranscodeOut(
                session_id=s.id,
                encoder="worker" if remote else "local",
                worker=s.worker if remote else None,
                start_segment=s.process_start,
                holds_slot=s.holds_slot,
                queue=s.job.job.capability if remote and s.job is not None else None,
                fallback=s.fallback,
                profile=_profile(s.plan),
            )
            for s in encoders.active()
        ]
    )


def _profile(plan: Plan) -> TranscodeProfileOut:
    return TranscodeProfileOut(
        video="copy" if plan.video_copy else "h264",
        height=None if plan.video_copy else plan.height,
        video_kbps=None if plan.video_copy else plan.video_kbps,
        audio="copy" if plan.audio_copy else plan.audio_codec,
        audio_kbps=None if plan.audio_copy else plan.audio_kbps,
    )


@functools.lru_cache(maxsize=2)
def _gzipped(document: str) -> bytes:
    return gzip.compress(document.encode(), compresslevel=9, mtime=0)


async def openapi(request: web.Request) -> web.StreamResponse:
    """The web app reads this on every first load to learn which routes exist: about 450 kB as text and a
    tenth of that compressed, once per process (it holds no secret, so compressing it leaks nothing)."""
    document = request.app[OPENAPI]
    headers = {"Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("Accept-Encoding", "").lower():
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=_gzipped(document), content_type="application/json", headers=headers)
    return web.Response(text=document, content_type="application/json", headers=headers)


ROUTES = [
    Route(
        "GET",
        "/api/server",
        server,
        "This server's name and version",
        Access.USER,
        "system",
        response=ServerInfoOut,
    ),
    Route(
        "GET",
        "/api/settings",
        get_settings,
        "Current runtime settings",
        Action.MANAGE_SETTINGS,
        "settings",
        response=SettingsOut,
    ),
    Route(
        "PATCH",
        "/api/settings",
        save_settings,
        "Save Changes: apply a batch of settings, all or nothing",
        Action.MANAGE_SETTINGS,
        "settings",
        body=SettingsIn,
        response=SettingsOut,
    ),
    Route(
        "GET",
        "/api/settings/registry",
        settings_registry,
        "Every runtime setting with type, default and help",
        Action.MANAGE_SETTINGS,
        "settings",
        response=SettingSpecOut,
        response_list=True,
    ),
    Route(
        "GET",
        "/api/audit",
        audit,
        "Audit log entries, newest first, and the check of the whole hash chain",
        Action.VIEW_AUDIT,
        "audit",
        query=AuditQuery,
        response=AuditOut,
    ),
    Route(
        "GET",
        "/api/transcodes",
        transcodes,
        "Running HLS transcodes and the worker encoding each, without who watches what",
        Action.MANAGE_SETTINGS,
        "system",
        response=TranscodeOut,
        response_list=True,
    ),
    Route("GET", "/api/openapi.json", openapi, "This API's OpenAPI 3 document", Access.USER, "system"),
]


def dumps(document: dict[str, object]) -> str:
    return json.dumps(document, separators=(",", ":"))
