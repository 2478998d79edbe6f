"""Quick Connect: the app shows a code, a signed-in user approves it on Reelhouse's Account page
(`POST /api/account/quick-connect`), and the app trades its secret for a device token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from reelhouse.errors import InvalidInput
from reelhouse.services.quick_connect import Pending, QuickConnectService
from reelhouse.web.compat.jellyfin.answers import jellyfin_json
from reelhouse.web.compat.jellyfin.auth import client_info, device_app
from reelhouse.web.compat.jellyfin.users import authentication_result, body_fields, text_field
from reelhouse.web.context import call, peer_address, services
from reelhouse.web.routing import Access, Route

TAG = "jellyfin"


class SecretIn(BaseModel):
    """Documents the body; it is read by `body_fields`, whose field names any casing matches."""

    Secret: str


def _service(request: web.Request) -> QuickConnectService:
    found = services(request).quick_connect
    assert found is not None, "app.py wires Quick Connect"
    return found


def _result(request: web.Request, pending: Pending) -> dict[str, Any]:
    added = datetime.fromtimestamp(pending.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    return {
        "Authenticated": pending.approved,
        "Secret": pending.secret,
        "Code": pending.code,
        "DeviceId": pending.app.device_id,
        "DeviceName": pending.app.device,
        "AppName": pending.app.client,
        "AppVersion": client_info(request).version,
        "DateAdded": added,
    }


def _secret(request: web.Request) -> str:
    found = next((v for k, v in request.query.items() if k.lower() == "secret"), "")
    if not found:
        raise InvalidInput("Say which Quick Connect request: ?secret=…", "secret")
    return found


async def enabled(request: web.Request) -> web.StreamResponse:
    return jellyfin_json(True)


async def initiate(request: web.Request) -> web.StreamResponse:
    pending = await call(request, _service(request).initiate, device_app(request), peer_address(request))
    return jellyfin_json(_result(request, pending))


async def connect(request: web.Request) -> web.StreamResponse:
    pending = await call(request, _service(request).state, _secret(request))
    return jellyfin_json(_result(request, pending))


async def authenticate_with_quick_connect(request: web.Request) -> web.StreamResponse:
    fields = await body_fields(request)
    secret = text_field(fields, "Secret", 128)
    if not secret:
        raise InvalidInput("Secret is required.", "Secret")
    signed = await call(request, _service(request).redeem, secret, peer_address(request))
    return jellyfin_json(authentication_result(request, signed))


ROUTES = [
    Route("GET", "/QuickConnect/Enabled", enabled, "Jellyfin: Quick Connect is offered", Access.PUBLIC, TAG),
    Route(
        "POST",
        "/QuickConnect/Initiate",
        initiate,
        "Jellyfin: start a Quick Connect request; answers its code and secret",
        Access.PUBLIC,
        TAG,
    ),
    Route(
        "GET",
        "/QuickConnect/Connect",
        connect,
        "Jellyfin: whether a Quick Connect request (?secret=) was approved",
        Access.PUBLIC,
        TAG,
    ),
    Route(
        "POST",
        "/Users/AuthenticateWithQuickConnect",
        authenticate_with_quick_connect,
        "Jellyfin: trade an approved Quick Connect secret for a device token",
        Access.PUBLIC,
        TAG,
        body=SecretIn,
    ),
]
