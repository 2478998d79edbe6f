"""A linked server's settings, read and changed from this server on the signed-in admin's behalf: the browser
only ever talks to this server, which asks the other over the signed, pinned link (services/remote_admin.py).
A change for a server that does not answer is queued (202) and listed in its outbox until delivered,
cancelled or expired."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from reelhouse.domain.access import Action
from reelhouse.errors import Unavailable
from reelhouse.services.remote_admin import RemoteAdmin
from reelhouse.web.context import actor, call, json_response, parse_body, services
from reelhouse.web.routing import Route
from reelhouse.web.schemas import SettingsIn


class RemoteSettingOut(BaseModel):
    name: str
    type: str
    default: Any
    help: str
    section: str
    choices: list[str] = []
    local_only: bool = Field(
        default=False, description="the linked server never lets a link change it, whatever the value"
    )


class RemoteSettingsOut(BaseModel):
    registry: list[RemoteSettingOut]
    values: dict[str, Any]


class OutboxEntryOut(BaseModel):
    id: str
    link_id: str
    kind: str = Field(
        default="settings",
        description="settings, or a revocation: revoke_principal (changes: subject, seq), unlink",
    )
    idempotency_key: str
    changes: dict[str, Any]
    created_at: float
    expires_at: float
    state: str = Field(description="pending, sent, refused, cancelled or expired")
    attempts: int
    last_error: str | None = None
    response_status: int | None = None


class RemoteChangeOut(BaseModel):
    """200: applied there (values as they now are); 202: queued here (pending)."""

    applied: bool
    values: dict[str, Any] | None = None
    request_id: str | None = None
    pending: OutboxEntryOut | None = None


class OutboxOut(BaseModel):
    entries: list[OutboxEntryOut]


def _admin(request: web.Request) -> RemoteAdmin:
    found = services(request).remote_admin
    if found is None:
        raise Unavailable("Linked servers are not available on this server.")
    return found


async def remote_settings(request: web.Request) -> web.StreamResponse:
    answer = await call(
        request, _admin(request).remote_settings, actor(request), request.match_info["link_id"]
    )
    return json_response(RemoteSettingsOut.model_validate(answer))


async def change_remote_settings(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, SettingsIn)
    link_id = request.match_info["link_id"]
    sent = await call(request, _admin(request).change_remote, actor(request), link_id, body.values)
    if sent.status == 202:
        queued = RemoteChangeOut(applied=False, pending=OutboxEntryOut.model_validate(sent.document))
        return json_response(queued, status=202)
    doc = sent.document
    return json_response(
        RemoteChangeOut(applied=True, values=doc.get("values"), request_id=doc.get("request_id"))
    )


async def outbox(request: web.Request) -> web.StreamResponse:
    entries = await call(request, _admin(request).outbox, actor(request), request.match_info["link_id"])
    return json_response(OutboxOut(entries=[OutboxEntryOut.model_validate(e) for e in entries]))


async def cancel(request: web.Request) -> web.StreamResponse:
    link_id, entry_id = request.match_info["link_id"], request.match_info["entry_id"]
    entry = await call(request, _admin(request).cancel, actor(request), link_id, entry_id)
    return json_response(OutboxEntryOut.model_validate(entry))


ROUTES = [
    Route(
        "GET",
        "/api/servers/{link_id}/settings",
        remote_settings,
        "A linked server's settings registry and values, asked over the link (its manage scope)",
        Action.MANAGE_SETTINGS,
        "system",
        response=RemoteSettingsOut,
    ),
    Route(
        "PATCH",
        "/api/servers/{link_id}/settings",
        change_remote_settings,
        "Change a linked server's settings over the link, all or nothing; queued (202) while it is unreachable",
        Action.MANAGE_SETTINGS,
        "system",
        body=SettingsIn,
        response=RemoteChangeOut,
    ),
    Route(
        "GET",
        "/api/servers/{link_id}/outbox",
        outbox,
        "Changes for a linked server queued while it was unreachable: pending, sent, refused, cancelled, expired",
        Action.MANAGE_SETTINGS,
        "system",
        response=OutboxOut,
    ),
    Route(
        "DELETE",
        "/api/servers/{link_id}/outbox/{entry_id}",
        cancel,
        "Cancel a pending change for a linked server",
        Action.MANAGE_SETTINGS,
        "system",
        response=OutboxEntryOut,
    ),
]
