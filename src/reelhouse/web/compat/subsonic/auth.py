"""Who a Subsonic app is: an apiKey (OpenSubsonic), or a username with an app password sent as `p` (plain or
`enc:` hex) or as Subsonic's token (`t` = md5(password + salt), `s`). The account's own password is never
accepted: it is not kept in a form token auth could use, and apps store what they are given."""

from __future__ import annotations

from aiohttp import web

from reelhouse.domain.access import Actor
from reelhouse.errors import AuthenticationRequired
from reelhouse.services.music_apps import MusicAppService
from reelhouse.web.api.accounts import home_network
from reelhouse.web.compat.subsonic.answers import ConflictingAuth, MissingParameter, params
from reelhouse.web.context import call, peer_address, services


def _music_apps(request: web.Request) -> MusicAppService:
    found = services(request).music_apps
    assert found is not None, "app.py wires the music apps service"
    return found


async def authenticate(request: web.Request) -> Actor | None:
    """Raises the error its apps expect (40, 41, 43, 44) rather than answering None, so that an app tells
    its user what to do; the auth middleware applies every other rule to the actor answered."""
    given = await params(request)
    key, user = given.get("apiKey", ""), given.get("u", "")
    apps = _music_apps(request)
    address = peer_address(request)
    if key:
        if user:
            raise ConflictingAuth("Send either apiKey or u, not both.")
        found: Actor = await call(request, apps.by_key, key, address)
        return found
    if not user:
        raise MissingParameter("Sign in with apiKey, or with u and an app password.")
    home = home_network(request)
    if given.get("t") or given.get("s"):
        token, salt = given.get("t", ""), given.get("s", "")
        if not token or not salt:
            raise MissingParameter("Token sign-in needs both t and s.")
        found = await call(request, apps.by_token, user, token[:64], salt[:128], address, home)
        return found
    password = given.get("p", "")
    if not password:
        raise AuthenticationRequired("Sign in with apiKey, or with u and an app password.")
    found = await call(request, apps.by_password, user, password, address, home)
    return found
