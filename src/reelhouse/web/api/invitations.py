"""Invitations: admins create, list and revoke links; a friend checks and redeems one."""

from __future__ import annotations

from aiohttp import web

from reelhouse.domain.access import Action, Role
from reelhouse.services.invitations import InvitationService, InvitationView
from reelhouse.web.api.account_schemas import (
    Grants,
    InvitationCheckIn,
    InvitationIn,
    InvitationOfferOut,
    InvitationOut,
    NewInvitationOut,
    RedeemIn,
)
from reelhouse.web.api.accounts import token_out
from reelhouse.web.context import actor, call, json_response, parse_body, peer_address, services
from reelhouse.web.routing import Access, Route
from reelhouse.web.schemas import TokenOut
from reelhouse.web.session import is_tls, set_session_cookie


def _invitations(request: web.Request) -> InvitationService:
    found = services(request).invitations
    assert found is not None, "app.py wires the invitations service"
    return found


def _out(view: InvitationView) -> InvitationOut:
    return InvitationOut(**{**view.__dict__, "grants": Grants.model_validate(view.grants), "live": view.live})


async def create(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, InvitationIn)
    base = f"{'https' if is_tls(request) else 'http'}://{request.host}"
    made = await call(
        request,
        _invitations(request).create,
        actor(request),
        base,
        body.grants.model_dump(exclude_none=True),
        Role(body.role),
        body.days,
        body.max_uses,
        body.note,
        peer_address(request),
        body.message,
    )
    return json_response(
        NewInvitationOut(invitation=_out(made.invitation), code=made.code, url=made.url), status=201
    )


async def list_invitations(request: web.Request) -> web.StreamResponse:
    found = await call(request, _invitations(request).list, actor(request))
    return json_response([_out(v) for v in found])


async def revoke(request: web.Request) -> web.StreamResponse:
    await call(
        request,
        _invitations(request).revoke,
        actor(request),
        request.match_info["invitation_id"],
        peer_address(request),
    )
    return web.Response(status=204)


async def check(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, InvitationCheckIn)
    view = await call(request, _invitations(request).check, body.code, peer_address(request))
    return json_response(
        InvitationOfferOut(
            server_name=services(request).settings.get("server_name"),
            role=view.role,
            message=view.message,
            expires_at=view.expires_at,
        )
    )


async def redeem(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, RedeemIn)
    signed = await call(
        request, _invitations(request).redeem, body.code, body.username, body.password, peer_address(request)
    )
    response = json_response(token_out(signed), status=201)
    set_session_cookie(request, response, signed.token, signed.expires_at)
    return response


TAG = "invitations"
ADMIN = Action.MANAGE_USERS
ROUTES = [
    Route(
        "POST",
        "/api/invitations",
        create,
        "Create an invitation link with the libraries and permissions it grants",
        ADMIN,
        TAG,
        body=InvitationIn,
        response=NewInvitationOut,
        status=201,
    ),
    Route(
        "GET",
        "/api/invitations",
        list_invitations,
        "Invitations with uses, expiry and who redeemed them",
        ADMIN,
        TAG,
        response=InvitationOut,
        response_list=True,
    ),
    Route(
        "DELETE", "/api/invitations/{invitation_id}", revoke, "Revoke an invitation", ADMIN, TAG, status=204
    ),
    Route(
        "POST",
        "/api/invitations/check",
        check,
        "What an invitation code offers, before redeeming it",
        Access.PUBLIC,
        TAG,
        body=InvitationCheckIn,
        response=InvitationOfferOut,
    ),
    Route(
        "POST",
        "/api/invitations/redeem",
        redeem,
        "Redeem an invitation: creates the account with its grants and signs in",
        Access.PUBLIC,
        TAG,
        body=RedeemIn,
        response=TokenOut,
        status=201,
    ),
]
