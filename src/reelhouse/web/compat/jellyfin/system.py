"""Server info, ping and branding: what an app asks before and just after signing in."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from reelhouse.web.compat.jellyfin.answers import jellyfin_json
from reelhouse.web.context import services
from reelhouse.web.routing import Access, Route
from reelhouse.web.session import is_tls

# The Jellyfin release whose wire format this API follows; apps compare it with their minimum.
JELLYFIN_VERSION = "10.11.0"
PRODUCT = "Jellyfin Server"
TAG = "jellyfin"


def server_id(request: web.Request) -> str:
    return services(request).server_id


def base_url(request: web.Request) -> str:
    """The address the app used to reach this API, so answering it tells a caller nothing new (never the
    host's own interface addresses, which a stranger on a remote connection would otherwise learn)."""
    scheme = "https" if is_tls(request) else "http"
    prefix = request.path[: len("/jellyfin")]
    return f"{scheme}://{request.host}{prefix}"


def public_info(request: web.Request) -> dict[str, Any]:
    # Only what an app needs to recognise the server: no host OS, paths, or Reelhouse's own version.
    return {
        "LocalAddress": base_url(request),
        "ServerName": services(request).settings.get("server_name"),
        "Version": JELLYFIN_VERSION,
        "ProductName": PRODUCT,
        "OperatingSystem": "",
        "Id": server_id(request),
        "StartupWizardCompleted": True,
    }


async def info_public(request: web.Request) -> web.StreamResponse:
    return jellyfin_json(public_info(request))


async def info(request: web.Request) -> web.StreamResponse:
    # Apps call this to check a stored token; they read the same fields as the public answer.
    return jellyfin_json(
        {
            **public_info(request),
            "OperatingSystemDisplayName": "",
            "HasPendingRestart": False,
            "IsShuttingDown": False,
            "SupportsLibraryMonitor": True,
            "CanSelfRestart": False,
            "CanLaunchWebBrowser": False,
            "HasUpdateAvailable": False,
            "CastReceiverApplications": [],
        }
    )


async def ping(request: web.Request) -> web.StreamResponse:
    return jellyfin_json(PRODUCT)


async def branding(request: web.Request) -> web.StreamResponse:
    # No splash screen: Jellyfin's shows library artwork to anyone who opens the sign-in screen.
    return jellyfin_json({"LoginDisclaimer": "", "CustomCss": "", "SplashscreenEnabled": False})


async def branding_css(request: web.Request) -> web.StreamResponse:
    return web.Response(text="", content_type="text/css")


ROUTES = [
    Route(
        "GET",
        "/System/Info/Public",
        info_public,
        "Jellyfin: the server's id, name and version, before signing in",
        Access.PUBLIC,
        TAG,
    ),
    Route(
        "GET",
        "/System/Info",
        info,
        "Jellyfin: server info; apps check a stored token with it",
        Access.USER,
        TAG,
    ),
    Route("GET", "/System/Ping", ping, "Jellyfin: is the server there", Access.PUBLIC, TAG),
    Route("POST", "/System/Ping", ping, "Jellyfin: is the server there", Access.PUBLIC, TAG),
    Route(
        "GET",
        "/Branding/Configuration",
        branding,
        "Jellyfin: sign-in screen branding (none)",
        Access.PUBLIC,
        TAG,
    ),
    Route(
        "GET",
        "/Branding/Css",
        branding_css,
        "Jellyfin: custom CSS (empty)",
        Access.PUBLIC,
        TAG,
        produces="text/css",
    ),
    Route(
        "GET",
        "/Branding/Css.css",
        branding_css,
        "Jellyfin: custom CSS (empty)",
        Access.PUBLIC,
        TAG,
        produces="text/css",
    ),
]
