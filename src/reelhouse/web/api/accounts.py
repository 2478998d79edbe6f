"""Setup, sign-in (password or managed profile) and sign-out routes."""

from __future__ import annotations

from aiohttp import web

from reelhouse.domain.network import NetworkPolicy, Zone, parse_address
from reelhouse.services.accounts import check_new_account
from reelhouse.services.users import UserService
from reelhouse.web.api.account_schemas import ProfileLoginIn, ProfileOut
from reelhouse.web.context import ZONE, actor, call, json_response, parse_body, peer_address, services
from reelhouse.web.middleware import caller_if_signed_in
from reelhouse.web.routing import Access, Route
from reelhouse.web.schemas import (
    LibraryOut,
    LoginIn,
    SessionStateOut,
    SetupIn,
    SetupStateOut,
    TokenOut,
    UserOut,
)
from reelhouse.web.session import clear_session_cookie, set_session_cookie


async def setup_state(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    needs = await call(request, svc.accounts.needs_setup)
    return json_response(
        SetupStateOut(needs_setup=needs, server_name=svc.settings.get("server_name"), version=svc.version)
    )


async def session_state(request: web.Request) -> web.StreamResponse:
    # One public question at start, so a signed-out browser meets no 401 (each is an error in its console).
    svc = services(request)
    needs = await call(request, svc.accounts.needs_setup)
    who = None if needs else await caller_if_signed_in(request)
    found = [] if who is None else await call(request, svc.libraries.visible, who)
    return json_response(
        SessionStateOut(
            needs_setup=needs,
            server_name=svc.settings.get("server_name"),
            version=svc.version,
            user=None if who is None else UserOut(id=who.user_id, username=who.username, role=who.role.value),
            libraries=[LibraryOut.of(lib, who.is_admin) for lib in found] if who else [],
        )
    )


async def complete_setup(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, SetupIn)
    check_new_account(body.username, body.password, body.password_again)
    signed = await call(
        request,
        services(request).accounts.complete_setup,
        body.code,
        body.username,
        body.password,
        peer_address(request),
        home_network(request),
    )
    response = json_response(token_out(signed), status=201)
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
        body.totp,
        home_network(request),
    )
    response = json_response(token_out(signed))
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


def home_network(request: web.Request) -> bool:
    """Is the caller on the home network? The gate's classification when it ran, else lan_networks."""
    zone = request.get(ZONE)
    if zone is None:
        address = parse_address(peer_address(request))
        policy = NetworkPolicy.from_settings(services(request).settings.values)
        zone = Zone.REMOTE.value if address is None else policy.zone_of(address).value
    return zone in (Zone.LOCAL.value, Zone.LAN.value)


def _users(request: web.Request) -> UserService:
    found = services(request).users
    assert found is not None, "app.py wires the users service"
    return found


async def profiles(request: web.Request) -> web.StreamResponse:
    found = await call(request, _users(request).profiles, home_network(request))
    return json_response([ProfileOut(id=p.id, username=p.username, has_pin=p.has_pin) for p in found])


async def profile_login(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, ProfileLoginIn)
    signed = await call(
        request,
        services(request).accounts.sign_in_profile,
        body.user_id,
        body.pin,
        peer_address(request),
        home_network(request),
    )
    response = json_response(token_out(signed))
    set_session_cookie(request, response, signed.token, signed.expires_at)
    return response


def token_out(signed: object) -> TokenOut:
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
        "GET",
        "/api/session",
        session_state,
        "Setup state and, when the caller is signed in, who they are and their libraries (never a 401)",
        Access.PUBLIC,
        "accounts",
        response=SessionStateOut,
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
    Route(
        "GET",
        "/api/auth/profiles",
        profiles,
        "Managed profiles to pick from (empty unless on the home network)",
        Access.PUBLIC,
        "accounts",
        response=ProfileOut,
        response_list=True,
    ),
    Route(
        "POST",
        "/api/auth/profile",
        profile_login,
        "Sign in as a managed profile, with its PIN when it has one (home network only)",
        Access.PUBLIC,
        "accounts",
        body=ProfileLoginIn,
        response=TokenOut,
    ),
    Route("POST", "/api/auth/logout", logout, "End this session", Access.USER, "accounts", status=204),
    Route("GET", "/api/me", me, "Who the caller is", Access.USER, "accounts", response=UserOut),
]
