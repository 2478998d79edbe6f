"""The one route table. Public routes are the short reviewed list; everything else needs a user."""

from __future__ import annotations

from reelhouse.web import pages
from reelhouse.web.api import accounts, catalogue, network, playback, system
from reelhouse.web.routing import Access, Route

ROUTES: tuple[Route, ...] = (
    *accounts.ROUTES,
    *catalogue.ROUTES,
    *playback.ROUTES,
    *system.ROUTES,
    *network.ROUTES,
    *pages.ROUTES,
)


def public_routes() -> set[tuple[str, str]]:
    return {r.key for r in ROUTES if r.access is Access.PUBLIC}
