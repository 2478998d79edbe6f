"""Client APIs in the one route table: loose path matching, their own credentials and their own error shape."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from reelhouse.domain.access import Actor, LibraryScope, Role
from reelhouse.domain.ids import UserId
from reelhouse.errors import ReelhouseError
from reelhouse.web.client_routing import ClientApiResource
from reelhouse.web.errors import CLIENT_APIS, error_middleware
from reelhouse.web.middleware import ROUTE_TABLE, auth_middleware, route_of
from reelhouse.web.routing import Access, ClientApi, Route

ALICE = Actor(
    user_id=UserId("u1"),
    username="alice",
    role=Role.MEMBER,
    scope=LibraryScope(UserId("u1"), all_libraries=True),
)


async def _who(request: web.Request) -> Actor | None:
    return ALICE if request.headers.get("X-Test-Token") == "good" else None


def _render(request: web.Request, status: int, exc: ReelhouseError) -> web.Response:
    return web.json_response({"client_error": exc.message}, status=status)


LOOSE = ClientApi("loose", "/loose", _who, _render, ignore_case=True, optional_suffixes=("/", ".view"))


async def _echo(request: web.Request) -> web.Response:
    route = route_of(request)
    assert route is not None
    return web.json_response(
        {"route": route.path, **request.match_info, "user": request.get("actor", None) and "x"}
    )


def _route(method: str, path: str, access: Access = Access.USER) -> Route:
    return Route(method, path, _echo, "test", access, "test", client=LOOSE)


ROUTES = (
    _route("GET", "/loose/System/Info/Public", Access.PUBLIC),
    _route("GET", "/loose/Items/{item_id}"),
    _route("POST", "/loose/Sessions/Playing"),
)


def _app() -> web.Application:
    app = web.Application(middlewares=[error_middleware, auth_middleware])
    app[ROUTE_TABLE] = {route.key: route for route in ROUTES}
    app[CLIENT_APIS] = (LOOSE,)
    resource = ClientApiResource(LOOSE)
    for route in ROUTES:
        resource.add(route)
    app.router.register_resource(resource)
    return app


def _exchange(method: str, path: str, **headers: str) -> tuple[int, dict[str, object]]:
    async def go() -> tuple[int, dict[str, object]]:
        async with TestClient(TestServer(_app(), host="127.0.0.1")) as client:
            answer = await client.request(method, path, headers=headers)
            return answer.status, json.loads(await answer.text())

    return asyncio.run(go())


def test_paths_match_in_any_case_and_with_the_clients_suffixes() -> None:
    for path in ("/loose/System/Info/Public", "/loose/system/info/public", "/loose/SYSTEM/info/Public/"):
        assert _exchange("GET", path) == (200, {"route": "/loose/System/Info/Public", "user": None}), path
    assert _exchange("GET", "/loose/system/info/public.view")[0] == 200


def test_the_declared_route_is_found_so_its_access_rule_applies() -> None:
    assert _exchange("GET", "/loose/items/abc") == (401, {"client_error": "Sign in first."})
    status, body = _exchange("GET", "/loose/items/abc", **{"X-Test-Token": "good"})
    assert (status, body["route"], body["item_id"]) == (200, "/loose/Items/{item_id}", "abc")


def test_the_session_cookie_is_never_a_client_credential() -> None:
    status, _ = _exchange("GET", "/loose/items/abc", Cookie="__Host-reelhouse_session=anything")
    assert status == 401


def test_unknown_paths_and_methods_answer_in_the_clients_shape() -> None:
    assert _exchange("GET", "/loose/Nope") == (404, {"client_error": "No such endpoint."})
    status, body = _exchange("GET", "/loose/sessions/playing")
    assert status == 405 and "client_error" in body


def test_a_path_outside_the_prefix_is_not_the_clients() -> None:
    status, body = _exchange("GET", "/LOOSE/system/info/public")
    assert status == 404 and "client_error" not in body
