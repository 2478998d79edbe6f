"""The aiohttp application: middleware in order, the route table mounted, OpenAPI built once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from reelhouse.web.api.system import OPENAPI, dumps
from reelhouse.web.client_routing import ClientApiResource
from reelhouse.web.context import EXECUTOR, SERVICES, Services
from reelhouse.web.errors import CLIENT_APIS, UNKNOWN_PATHS, error_middleware
from reelhouse.web.gate import GATE, NetworkGate
from reelhouse.web.middleware import ROUTE_TABLE, auth_middleware, security_headers
from reelhouse.web.openapi import build_document
from reelhouse.web.routes import ROUTES
from reelhouse.web.sockets import OPEN_SOCKETS, OpenSockets
from reelhouse.web.unknown_paths import UnknownPaths

MAX_BODY = 1024 * 1024


def build_web_app(services: Services, executor: ThreadPoolExecutor) -> web.Application:
    gate = NetworkGate(services.settings.values)
    services.settings.on_change(gate.settings_changed)
    app = web.Application(
        # The gate comes first: a refused peer never reaches error handling, routing or auth.
        middlewares=[gate.middleware, error_middleware, auth_middleware],
        client_max_size=MAX_BODY,
        handler_args={"max_line_size": 8190, "max_field_size": 8190},
    )
    app[SERVICES] = services
    app[EXECUTOR] = executor
    app[GATE] = gate
    app.on_startup.append(gate.on_startup)
    app[ROUTE_TABLE] = {route.key: route for route in ROUTES}
    app[CLIENT_APIS] = tuple({r.client.name: r.client for r in ROUTES if r.client is not None}.values())
    app[UNKNOWN_PATHS] = UnknownPaths()
    app[OPEN_SOCKETS] = OpenSockets()
    app.on_shutdown.append(app[OPEN_SOCKETS].close_all)
    app[OPENAPI] = dumps(build_document(ROUTES, services.version))
    clients: dict[str, ClientApiResource] = {}
    for route in ROUTES:
        if route.client is not None:
            if route.client.name not in clients:
                clients[route.client.name] = ClientApiResource(route.client, app)
                app.router.register_resource(clients[route.client.name])
            clients[route.client.name].add(route)
        elif route.method == "GET":
            app.router.add_get(route.path, route.handler)
        else:
            app.router.add_route(route.method, route.path, route.handler)
    app.on_response_prepare.append(security_headers)
    return app
