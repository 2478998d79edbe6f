"""Route matching for client APIs whose apps spell paths loosely (any case, a trailing "/" or ".view")."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sized

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractResource, DynamicResource, ResourceRoute, UrlMappingMatchInfo
from yarl import URL

from reelhouse.web.routing import ClientApi, Route


class _LooseResource(DynamicResource):
    """One declared path; its canonical form stays the declared one, so the route table still finds it."""

    def __init__(self, path: str, client: ClientApi) -> None:
        super().__init__(path)
        suffixes = "|".join(re.escape(s) for s in client.optional_suffixes)
        pattern = f"(?:{self._pattern.pattern})(?:{suffixes})?" if suffixes else self._pattern.pattern
        self._pattern = re.compile(pattern, re.IGNORECASE if client.ignore_case else 0)


class ClientApiResource(AbstractResource, Sized):
    """Every route of one client API, found under its prefix by a linear match over the declared paths.

    aiohttp indexes resources by their literal path, which a case-blind match cannot use; so the whole API is
    one resource indexed at its prefix, and it picks the declared route itself.
    """

    def __init__(self, client: ClientApi, app: web.Application | None = None) -> None:
        super().__init__(name=None)
        self._client = client
        self._app = app
        self._prefix = client.prefix.rstrip("/")
        self._resources: list[_LooseResource] = []
        self._routes: list[ResourceRoute] = []

    def add(self, route: Route) -> None:
        if not route.path.startswith(self._prefix + "/"):
            raise ValueError(f"{route.path} is not under {self._client.name}'s prefix {self._prefix}")
        resource = _LooseResource(route.path, self._client)
        methods = ("GET", "HEAD") if route.method == "GET" else (route.method,)
        for method in methods:
            self._routes.append(resource.add_route(method, route.handler))
        self._resources.append(resource)

    @property
    def canonical(self) -> str:
        return self._prefix

    def url_for(self, **kwargs: str) -> URL:
        return URL.build(path=self._prefix)

    def add_prefix(self, prefix: str) -> None:
        raise NotImplementedError("a client API's prefix is part of its declared paths")

    def get_info(self) -> dict[str, str]:  # type: ignore[override]
        return {"prefix": self._prefix}

    def raw_match(self, path: str) -> bool:
        return path == self._prefix

    async def resolve(self, request: web.Request) -> tuple[UrlMappingMatchInfo | None, set[str]]:
        path = request.rel_url.path_safe
        if not path.startswith(self._prefix + "/"):
            return None, set()
        if self._app is not None and not self._client.enabled(self._app):
            return None, set()
        allowed: set[str] = set()
        for resource in self._resources:
            found, methods = await resource.resolve(request)
            if found is not None:
                return found, methods
            allowed |= methods
        return None, allowed

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[ResourceRoute]:
        return iter(self._routes)
