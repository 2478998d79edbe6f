"""The shape of a route declaration: one table drives the router, auth, OpenAPI and the docs."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel

from reelhouse.domain.access import Action

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Access(enum.Enum):
    PUBLIC = "public"
    USER = "user"


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

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)
