"""Every Jellyfin-compatible route, as one slice of the one route table."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from reelhouse.web.compat.jellyfin import (
    browse,
    images,
    playback,
    playstate,
    quickconnect,
    sessions,
    socket,
    streams,
    system,
    users,
)
from reelhouse.web.compat.jellyfin.answers import render_error
from reelhouse.web.compat.jellyfin.auth import authenticate, enabled
from reelhouse.web.routing import ClientApi, Route

# The base path people type into a Jellyfin app after the server's address.
BASE = "/jellyfin"
JELLYFIN = ClientApi(
    name="jellyfin",
    prefix=BASE,
    authenticate=authenticate,
    render_error=render_error,
    ignore_case=True,
    optional_suffixes=("/",),
    enabled=enabled,
)


def mounted(*slices: Iterable[Route]) -> tuple[Route, ...]:
    """Each module declares its routes by Jellyfin's own paths (`/System/Info`) and imports nothing from
    here, so there is no import cycle; they are mounted under BASE as routes of JELLYFIN here."""
    return tuple(
        dataclasses.replace(
            route,
            path=route.path if route.path.startswith(BASE + "/") else BASE + route.path,
            client=JELLYFIN,
        )
        for routes in slices
        for route in routes
    )


ROUTES: tuple[Route, ...] = mounted(
    system.ROUTES,
    users.ROUTES,
    quickconnect.ROUTES,
    browse.ROUTES,
    playstate.ROUTES,
    playback.ROUTES,
    streams.ROUTES,
    images.ROUTES,
    socket.ROUTES,
    sessions.ROUTES,
)
