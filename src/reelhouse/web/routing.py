"""The shape of a route declaration: one table drives the router, auth, OpenAPI and the docs."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel

from reelhouse.domain.access import Action, Actor
from reelhouse.errors import ReelhouseError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Access(enum.Enum):
    PUBLIC = "public"
    USER = "user"


@dataclass(frozen=True)
class ClientApi:
    """A foreign client protocol (Jellyfin, Subsonic) served from the one route table under its own base path.

    It reads credentials where its clients put them and words refusals as its clients expect; every rule behind
    them (who may sign in, from where, what they may see) stays in the services and the auth middleware.
    """

    name: str
    prefix: str
    # Who calls, from the protocol's own credentials; None when there are none or they are not valid.
    authenticate: Callable[[web.Request], Awaitable[Actor | None]]
    # The protocol's error body for a status from the one error map (web/errors.py).
    render_error: Callable[[web.Request, int, ReelhouseError], web.StreamResponse]
    # Clients of some protocols spell paths in any case and add a trailing "/" or ".view".
    ignore_case: bool = False
    optional_suffixes: tuple[str, ...] = ()
    # Whether the API is served at all (a runtime setting, read from the app's services; routing runs before
    # a request knows its app): while it is not, its paths are unknown paths.
    enabled: Callable[[web.Application], bool] = lambda _app: True


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    access: Access | Action
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    response_list: bool = False
    # For non-JSON answers (media, images, pages): the content type documented in OpenAPI.
    produces: str = "application/json"
    status: int = 200
    # Changes how the account signs in (password, two-factor, tokens, other sessions): only a session from
    # signing in with the password may, never an API token or a profile pick, whatever its scopes.
    password_session: bool = False
    # Set for the routes of a client API: its credentials replace the cookie and bearer token, and its error
    # shape replaces ours. The path includes the client's prefix.
    client: ClientApi | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)
