"""Every Jellyfin-compatible route, as one slice of the one route table."""

from __future__ import annotations

from reelhouse.web.compat.jellyfin.answers import render_error
from reelhouse.web.compat.jellyfin.auth import authenticate
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
)

ROUTES: tuple[Route, ...] = ()
