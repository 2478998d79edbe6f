"""Sessions as an app sees them: it reports what it can do, and lists its own session, never anyone else's."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from reelhouse.web.compat.jellyfin.answers import jellyfin_json
from reelhouse.web.compat.jellyfin.auth import client_info
from reelhouse.web.compat.jellyfin.ids import to_jellyfin
from reelhouse.web.compat.jellyfin.mapping import jellyfin_date
from reelhouse.web.compat.jellyfin.system import server_id
from reelhouse.web.context import actor
from reelhouse.web.routing import Access, Route

TAG = "jellyfin"


async def capabilities(request: web.Request) -> web.StreamResponse:
    # Apps announce their playable types and remote-control commands after signing in. Nothing here acts
    # on them (no remote control between devices), so they are accepted and not kept.
    return web.Response(status=204)


async def own_sessions(request: web.Request) -> web.StreamResponse:
    # Jellyfin lists every user's sessions to admins; here nobody learns what others are watching, not even
    # an admin through an app: the caller's own session only.
    who = actor(request)
    app = client_info(request)
    return jellyfin_json(
        [
            {
                "Id": who.session_id or "",
                "UserId": to_jellyfin(who.user_id),
                "UserName": who.username,
                "Client": app.client,
                "DeviceId": app.device_id,
                "DeviceName": app.device,
                "ApplicationVersion": app.version,
                "ServerId": server_id(request),
                "IsActive": True,
                "SupportsMediaControl": False,
                "SupportsRemoteControl": False,
                "PlayableMediaTypes": [],
                "SupportedCommands": [],
                "LastActivityDate": jellyfin_date(datetime.now(UTC)),
            }
        ]
    )


ROUTES = [
    Route(
        "POST",
        "/Sessions/Capabilities",
        capabilities,
        "Accept an app's capabilities",
        Access.USER,
        TAG,
        status=204,
    ),
    Route(
        "POST",
        "/Sessions/Capabilities/Full",
        capabilities,
        "Accept an app's full capabilities",
        Access.USER,
        TAG,
        status=204,
    ),
    Route(
        "GET",
        "/Sessions",
        own_sessions,
        "The caller's own session, as Jellyfin lists sessions",
        Access.USER,
        TAG,
    ),
]
