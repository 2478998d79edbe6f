"""The one route table. Public routes are the short reviewed list; everything else needs a user."""

from __future__ import annotations

from reelhouse.web import pages
from reelhouse.web.api import (
    account,
    accounts,
    catalogue,
    collections,
    federation,
    home_sign_in,
    invitations,
    links,
    music_apps,
    network,
    playback,
    playlists,
    playstate,
    renditions,
    seek_previews,
    server_admin,
    servers,
    shelves,
    system,
    users,
)
from reelhouse.web.compat.jellyfin import routes as jellyfin
from reelhouse.web.compat.subsonic import routes as subsonic
from reelhouse.web.routing import Access, Route

ROUTES: tuple[Route, ...] = (
    *accounts.ROUTES,
    *account.ROUTES,
    *music_apps.ROUTES,
    *users.ROUTES,
    *invitations.ROUTES,
    *catalogue.ROUTES,
    *collections.ROUTES,
    *shelves.ROUTES,
    *playback.ROUTES,
    *playstate.ROUTES,
    *playlists.ROUTES,
    *renditions.ROUTES,
    *seek_previews.ROUTES,
    *system.ROUTES,
    *servers.ROUTES,
    *links.ROUTES,
    *federation.ROUTES,
    *home_sign_in.ROUTES,
    *server_admin.ROUTES,
    *network.ROUTES,
    *pages.ROUTES,
    *jellyfin.ROUTES,
    *subsonic.ROUTES,
)


def public_routes() -> set[tuple[str, str]]:
    return {r.key for r in ROUTES if r.access is Access.PUBLIC}
