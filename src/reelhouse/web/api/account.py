"""The caller's own account: sessions and devices, API tokens, password and two-factor sign-in."""

from __future__ import annotations

from aiohttp import web

from reelhouse.domain.access import Role
from reelhouse.services.tokens import TokenView
from reelhouse.services.twofactor import TwoFactorService
from reelhouse.web.api.account_schemas import (
    AccountOut,
    ApiTokenIn,
    ApiTokenOut,
    CodeIn,
    EnrolmentOut,
    PasswordChangeIn,
    PasswordIn,
    QuickConnectOut,
    RecoveryCodesOut,
    RevokeAllIn,
    RevokedOut,
    SessionOut,
)
from reelhouse.web.context import actor, call, json_response, parse_body, peer_address, services
from reelhouse.web.routing import Access, Route
from reelhouse.web.schemas import UserOut
from reelhouse.web.session import clear_session_cookie


def _twofactor(request: web.Request) -> TwoFactorService:
    found = services(request).twofactor
    assert found is not None, "app.py wires the two-factor service"
    return found


def _session_out(view: TokenView) -> SessionOut:
    return SessionOut(**view.__dict__)


async def account(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    status = await call(request, _twofactor(request).status, who)
    required = who.role in (Role.OWNER, Role.ADMIN) and bool(
        services(request).settings.get("require_2fa_for_admins")
    )
    return json_response(
        AccountOut(
            user=UserOut(id=who.user_id, username=who.username, role=who.role.value),
            two_factor=status.enabled,
            two_factor_pending=status.pending,
            two_factor_required=required and not status.enabled,
            recovery_codes_left=status.recovery_codes_left,
        )
    )


async def sessions(request: web.Request) -> web.StreamResponse:
    found = await call(request, services(request).accounts.own_tokens.tokens, actor(request))
    return json_response([_session_out(v) for v in found])


async def revoke_session(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    session_id = request.match_info["session_id"]
    await call(
        request, services(request).accounts.own_tokens.revoke_token, who, session_id, peer_address(request)
    )
    response = web.Response(status=204)
    if session_id == who.session_id:
        clear_session_cookie(request, response)
    return response


async def revoke_all(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, RevokeAllIn)
    count = await call(
        request,
        services(request).accounts.own_tokens.revoke_all,
        actor(request),
        body.keep_current,
        peer_address(request),
    )
    response = json_response(RevokedOut(revoked=count))
    if not body.keep_current:
        clear_session_cookie(request, response)
    return response


async def create_token(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, ApiTokenIn)
    token, view = await call(
        request,
        services(request).accounts.own_tokens.create_api_token,
        actor(request),
        body.name,
        list(body.scopes),
        body.days,
        peer_address(request),
    )
    return json_response(ApiTokenOut(token=token, session=_session_out(view)), status=201)


async def change_password(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, PasswordChangeIn)
    await call(
        request,
        services(request).accounts.change_password,
        actor(request),
        body.current_password,
        body.new_password,
        peer_address(request),
    )
    response = web.Response(status=204)
    clear_session_cookie(request, response)
    return response


async def approve_quick_connect(request: web.Request) -> web.StreamResponse:
    found = services(request).quick_connect
    assert found is not None, "app.py wires Quick Connect"
    body = await parse_body(request, CodeIn)
    app = await call(request, found.approve, actor(request), body.code, peer_address(request))
    return json_response(QuickConnectOut(client=app.client, device=app.device))


async def begin_2fa(request: web.Request) -> web.StreamResponse:
    enrolment = await call(request, _twofactor(request).begin, actor(request))
    return json_response(EnrolmentOut(secret=enrolment.secret, uri=enrolment.uri, qr_svg=enrolment.qr_svg))


async def confirm_2fa(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, CodeIn)
    codes = await call(request, _twofactor(request).confirm, actor(request), body.code, peer_address(request))
    return json_response(RecoveryCodesOut(recovery_codes=codes))


async def disable_2fa(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, PasswordIn)
    who = actor(request)
    await call(
        request, services(request).accounts.check_own_password, who, body.password, peer_address(request)
    )
    await call(request, _twofactor(request).disable, who, peer_address(request))
    return web.Response(status=204)


TAG = "account"
ROUTES = [
    Route(
        "GET",
        "/api/account",
        account,
        "Your account and two-factor state",
        Access.USER,
        TAG,
        response=AccountOut,
    ),
    Route(
        "GET",
        "/api/account/sessions",
        sessions,
        "Your sessions, devices and API tokens (last seen, address)",
        Access.USER,
        TAG,
        response=SessionOut,
        response_list=True,
    ),
    Route(
        "DELETE",
        "/api/account/sessions/{session_id}",
        revoke_session,
        "Sign out one session or device, or revoke one API token",
        Access.USER,
        TAG,
        status=204,
        password_session=True,
    ),
    Route(
        "POST",
        "/api/account/sessions/revoke-all",
        revoke_all,
        "Sign out everywhere (optionally keeping this session)",
        Access.USER,
        TAG,
        body=RevokeAllIn,
        response=RevokedOut,
        password_session=True,
    ),
    Route(
        "POST",
        "/api/account/tokens",
        create_token,
        "Create an API token with scopes and an expiry; the token is shown once",
        Access.USER,
        TAG,
        body=ApiTokenIn,
        response=ApiTokenOut,
        status=201,
        password_session=True,
    ),
    Route(
        "POST",
        "/api/account/password",
        change_password,
        "Change your password; ends every session and token",
        Access.USER,
        TAG,
        body=PasswordChangeIn,
        status=204,
        password_session=True,
    ),
    Route(
        "POST",
        "/api/account/quick-connect",
        approve_quick_connect,
        "Approve an app's Quick Connect code; the app gets a device token for your account",
        Access.USER,
        TAG,
        body=CodeIn,
        response=QuickConnectOut,
        password_session=True,
    ),
    Route(
        "POST",
        "/api/account/2fa",
        begin_2fa,
        "Start two-factor enrolment: the secret and a QR code, shown once",
        Access.USER,
        TAG,
        response=EnrolmentOut,
        password_session=True,
    ),
    Route(
        "POST",
        "/api/account/2fa/confirm",
        confirm_2fa,
        "Confirm enrolment with a code; answers the one-time recovery codes",
        Access.USER,
        TAG,
        body=CodeIn,
        response=RecoveryCodesOut,
        password_session=True,
    ),
    Route(
        "POST",
        "/api/account/2fa/disable",
        disable_2fa,
        "Turn two-factor sign-in off (needs your password)",
        Access.USER,
        TAG,
        body=PasswordIn,
        status=204,
        password_session=True,
    ),
]
