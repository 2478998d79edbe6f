"""Where Jellyfin's apps put their credentials, and which device they say they are."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_plus

from aiohttp import web

from reelhouse.domain.access import Actor
from reelhouse.services.accounts import DeviceApp
from reelhouse.web.context import SERVICES
from reelhouse.web.middleware import token_actor

_SCHEMES = ("mediabrowser", "emby")


@dataclass(frozen=True)
class ClientInfo:
    """The app's own description of itself, from the `MediaBrowser` authorization header."""

    client: str = ""
    device: str = ""
    device_id: str = ""
    version: str = ""
    token: str = ""


CLIENT_INFO = web.RequestKey("jellyfin_client", ClientInfo)


def _parts(value: str) -> dict[str, str]:
    """`Key="value", Key2=value2`: commas inside quotes do not split, values are URL-encoded, the last
    duplicate wins (one client library sends Token twice)."""
    fields: dict[str, str] = {}
    current: list[str] = []
    quoted = False
    pieces: list[str] = []
    for char in value:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    for piece in pieces:
        key, sep, raw = piece.strip().partition("=")
        if sep and key:
            fields[key.strip().lower()] = unquote_plus(raw.strip())
    return fields


def client_info(request: web.Request) -> ClientInfo:
    cached: ClientInfo | None = request.get(CLIENT_INFO)
    if cached is not None:
        return cached
    header = request.headers.get("Authorization") or request.headers.get("X-Emby-Authorization") or ""
    scheme, _, rest = header.strip().partition(" ")
    fields = _parts(rest) if scheme.lower() in _SCHEMES else {}
    info = ClientInfo(
        client=fields.get("client", "")[:128],
        device=fields.get("device", "")[:128],
        device_id=fields.get("deviceid", "")[:128],
        version=fields.get("version", "")[:64],
        token=fields.get("token", ""),
    )
    request[CLIENT_INFO] = info
    return info


def query(request: web.Request, name: str) -> str:
    """A query value by its name in any case (apps send ``UserId``, ``userId`` and ``userid``)."""
    lowered = name.lower()
    return next((value for key, value in request.query.items() if key.lower() == lowered), "")


def token_of(request: web.Request) -> str:
    """The first of the places Jellyfin's clients put a token, in the server's own order."""
    return (
        client_info(request).token
        or request.headers.get("X-Emby-Token", "")
        or request.headers.get("X-MediaBrowser-Token", "")
        or query(request, "ApiKey")
        or query(request, "api_key")
    )


async def authenticate(request: web.Request) -> Actor | None:
    token = token_of(request)
    return await token_actor(request, token) if token else None


def enabled(app: web.Application) -> bool:
    """The `jellyfin_enabled` runtime setting: off, the whole API is unknown paths."""
    return bool(app[SERVICES].settings.get("jellyfin_enabled"))


def device_app(request: web.Request) -> DeviceApp:
    """The device an app signs in for. Without a DeviceId the token stands alone: nothing to replace."""
    info = client_info(request)
    return DeviceApp(client=info.client, device=info.device or info.client, device_id=info.device_id)
