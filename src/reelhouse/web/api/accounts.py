"""Setup, sign-in and sign-out routes."""

from __future__ import annotations

from aiohttp import web

from reelhouse.web.context import actor, call, json_response, parse_body, peer_address, services
from reelhouse.web.routing import Access, Route
from reelhouse.web.schemas import LoginIn, SetupIn, SetupStateOut, TokenOut, UserOut
from reelhouse.web.session import clear_session_cookie, set_session_cookie


async def setup_state(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    needs = await call(request, svc.accounts.needs_setup)
    return json_response(
        SetupStateOut(needs_setup=needs, server_name=svc.settings.get("server_name"), version=svc.version)
    )


async def complete_setup(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, SetupIn)
    signed = await call(
        request,
        services(request).accounts.complete_setup,
        body.code,
        body.username,
        body.password,
        peer_address(request),
    )
    response = json_response(_token_out(signed), status=201)
    set_session_cookie(request, response, signed.token, signed.expires_at)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, LoginIn)
    signed = await call(
        request,
        services(request).accounts.sign_in,
        body.username,
        body.password,
        peer_address(request),
        body.device,
    )
    response = json_response(_token_out(signed))
    set_session_cookie(request, response, signed.token, signed.expires_at)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    await call(request, services(request).accounts.sign_out, actor(request))
    response = web.Response(status=204)
    clear_session_cookie(request, response)
    return response


async def me(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    return json_response(UserOut(id=who.user_id, username=who.username, role=who.role.value))


def _token_out(signed: object) -> TokenOut:
    who = signed.actor  # type: ignore[attr-defined]
    return TokenOut(
        token=signed.token,  # type: ignore[attr-defined]
        expires_at=signed.expires_at,  # type: ignore[attr-defined]
        user=UserOut(id=who.user_id, username=who.username, role=who.role.value),
    )


ROUTES = [
    Route(
        "GET",
        "/api/setup",
        setup_state,
        "Whether the server still needs its owner",
        Access.PUBLIC,
        "accounts",
        response=SetupStateOut,
    ),
    Route(
        "POST",
        "/api/setup",
        complete_setup,
        "Create the owner with the one-time setup code",
        Access.PUBLIC,
        "accounts",
        body=SetupIn,
        response=TokenOut,
        status=201,
    ),
    Route(
        "POST",
        "/api/auth/login",
        login,
        "Sign in; answers a bearer token (and a cookie for the web page)",
        Access.PUBLIC,
        "accounts",
        body=LoginIn,
        response=TokenOut,
    ),
    Route("POST", "/api/auth/logout", logout, "End this session", Access.USER, "accounts", status=204),
    Route("GET", "/api/me", me, "Who the caller is", Access.USER, "accounts", response=UserOut),
]
