""" "Sign in with Home" in a browser (services/home_sign_in.py). On the linked server: the home servers its sign-in
page offers, starting a sign-in (the state goes into a cookie only this browser holds) and the callback home
sends the browser back to. On home: what the approval page shows, and approving, which answers the redirect."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from reelhouse.errors import ReelhouseError
from reelhouse.services.home_sign_in import CALLBACK_PATH, REQUEST_SECONDS, HomeSignIn, Started
from reelhouse.web.api.accounts import home_network
from reelhouse.web.context import actor, call, json_response, parse_body, parse_query, peer_address, services
from reelhouse.web.routing import Access, Route
from reelhouse.web.schemas import Strict
from reelhouse.web.session import is_tls, set_session_cookie

STATE_COOKIE = "rh_home_state"


class HomeServerOut(BaseModel):
    id: str
    name: str


class HomeServersOut(BaseModel):
    # Named only to the home network; elsewhere empty, and ask_name says whether to offer one button that asks
    # for the friend's home server by name.
    servers: list[HomeServerOut]
    ask_name: bool


class StartByNameIn(Strict):
    server: str = Field(min_length=1, max_length=128)


class StartOut(BaseModel):
    authorize_url: str


class AuthorizeQuery(BaseModel):
    client_id: str = Field(max_length=256)
    request_uri: str = Field(max_length=256)


class AuthorizeIn(AuthorizeQuery):
    redirect_uri: str | None = Field(default=None, max_length=512)


class AuthorizeInfoOut(BaseModel):
    server: str
    return_to: str
    user: str


class AuthorizeOut(BaseModel):
    redirect: str


def _service(request: web.Request) -> HomeSignIn:
    found = services(request).home_sign_in
    if found is None:
        raise web.HTTPNotFound()
    return found


async def home_servers(request: web.Request) -> web.StreamResponse:
    found, ask_name = await call(request, _service(request).offered, home_network(request))
    servers = [HomeServerOut.model_validate(s) for s in found]
    return json_response(HomeServersOut(servers=servers, ask_name=ask_name))


def _origin(request: web.Request) -> str:
    return f"{'https' if is_tls(request) else 'http'}://{request.host}"


async def start(request: web.Request) -> web.StreamResponse:
    started = await call(
        request,
        _service(request).start,
        request.match_info["link_id"],
        _origin(request),
        peer_address(request),
    )
    return _started(request, started)


async def start_by_name(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, StartByNameIn)
    started = await call(
        request, _service(request).start_by_name, body.server, _origin(request), peer_address(request)
    )
    return _started(request, started)


def _started(request: web.Request, started: Started) -> web.StreamResponse:
    response = json_response(StartOut(authorize_url=started.authorize_url))
    # Lax: home sends the browser back with a top-level GET from its own site. Scoped to the callback.
    response.set_cookie(
        STATE_COOKIE,
        started.state,
        max_age=REQUEST_SECONDS,
        path=CALLBACK_PATH,
        httponly=True,
        samesite="Lax",
        secure=is_tls(request),
    )
    return response


async def callback(request: web.Request) -> web.StreamResponse:
    q = request.query
    try:
        signed = await call(
            request,
            _service(request).finish,
            q.get("state"),
            request.cookies.get(STATE_COOKIE),
            q.get("code"),
            q.get("iss"),
            peer_address(request),
        )
    except ReelhouseError:
        # A plain page load cannot show a problem document: the sign-in page says it.
        response = _see_other("/#/signin?home=refused")
    else:
        response = _see_other("/#/")
        set_session_cookie(request, response, signed.token, signed.expires_at)
    response.del_cookie(STATE_COOKIE, path=CALLBACK_PATH)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _see_other(location: str) -> web.Response:
    # The documented text/html body, a link to the same place, for a client that does not follow redirects.
    return web.Response(
        status=303,
        headers={"Location": location},
        text=f'<!doctype html><a href="{location}">Continue</a>',
        content_type="text/html",
    )


async def authorize_info(request: web.Request) -> web.StreamResponse:
    q = parse_query(request, AuthorizeQuery)
    answer = await call(request, _service(request).describe, actor(request), q.client_id, q.request_uri)
    return json_response(AuthorizeInfoOut.model_validate(answer))


async def authorize(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, AuthorizeIn)
    svc = _service(request)
    answer = await call(
        request, svc.approve, actor(request), body.client_id, body.request_uri, body.redirect_uri
    )
    return json_response(AuthorizeOut.model_validate(answer))


ROUTES = [
    Route(
        "GET",
        "/api/auth/home",
        home_servers,
        "Linked servers whose users may sign in here with their home account (named on the home network only)",
        Access.PUBLIC,
        "accounts",
        response=HomeServersOut,
    ),
    Route(
        "POST",
        "/api/auth/home/start",
        start_by_name,
        "Start signing in with the linked home server of that name (for friends away from the home network)",
        Access.PUBLIC,
        "accounts",
        body=StartByNameIn,
        response=StartOut,
    ),
    Route(
        "POST",
        "/api/auth/home/{link_id}/start",
        start,
        "Start signing in with a linked home server: the URL of its approval page; sets the state cookie",
        Access.PUBLIC,
        "accounts",
        response=StartOut,
    ),
    Route(
        "GET",
        CALLBACK_PATH,
        callback,
        "Where the home server sends the browser back with a one-time code; redirects to the app",
        Access.PUBLIC,
        "accounts",
        produces="text/html",
        status=303,
    ),
    Route(
        "GET",
        "/api/auth/authorize",
        authorize_info,
        "Home: which linked server asks the caller to sign in there, for the approval page",
        Access.USER,
        "accounts",
        query=AuthorizeQuery,
        response=AuthorizeInfoOut,
    ),
    Route(
        "POST",
        "/api/auth/authorize",
        authorize,
        "Home: approve a linked server's sign-in request; the redirect back to it, with a one-time code",
        Access.USER,
        "accounts",
        body=AuthorizeIn,
        response=AuthorizeOut,
        password_session=True,
    ),
]
