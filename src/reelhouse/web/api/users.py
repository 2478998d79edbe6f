"""Users & Sharing for admins: create users and profiles, roles, grants, disable, delete, reset."""

from __future__ import annotations

from aiohttp import web

from reelhouse.domain.access import Action, Role
from reelhouse.services.users import UserService, UserView
from reelhouse.web.api.account_schemas import (
    Grants,
    LabelsOut,
    PasswordIn,
    PinIn,
    UserCreateIn,
    UserDetailOut,
    UserPatchIn,
)
from reelhouse.web.context import actor, call, json_response, parse_body, peer_address, services
from reelhouse.web.routing import Route


def _users(request: web.Request) -> UserService:
    found = services(request).users
    assert found is not None, "app.py wires the users service"
    return found


def _out(view: UserView) -> UserDetailOut:
    return UserDetailOut(**{**view.__dict__, "grants": Grants.model_validate(view.grants)})


async def list_users(request: web.Request) -> web.StreamResponse:
    found = await call(request, _users(request).all, actor(request))
    return json_response([_out(v) for v in found])


async def create_user(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, UserCreateIn)
    who = actor(request)
    user_id = await call(
        request,
        services(request).accounts.create_user,
        who,
        body.username,
        Role(body.role),
        body.password,
        body.pin,
        body.grants.model_dump(exclude_none=True),
        peer_address(request),
    )
    view = await call(request, _users(request).get, who, user_id)
    return json_response(_out(view), status=201)


async def get_user(request: web.Request) -> web.StreamResponse:
    view = await call(request, _users(request).get, actor(request), request.match_info["user_id"])
    return json_response(_out(view))


async def update_user(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, UserPatchIn)
    view = await call(
        request,
        _users(request).update,
        actor(request),
        request.match_info["user_id"],
        Role(body.role) if body.role else None,
        # Fields sent as null reset to the default; fields left out keep their value.
        body.grants.model_dump(exclude_unset=True) if body.grants is not None else None,
        body.disabled,
        peer_address(request),
    )
    return json_response(_out(view))


async def delete_user(request: web.Request) -> web.StreamResponse:
    await call(
        request, _users(request).delete, actor(request), request.match_info["user_id"], peer_address(request)
    )
    return web.Response(status=204)


async def reset_password(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, PasswordIn)
    await call(
        request,
        _users(request).reset_password,
        actor(request),
        request.match_info["user_id"],
        body.password,
        peer_address(request),
    )
    return web.Response(status=204)


async def set_pin(request: web.Request) -> web.StreamResponse:
    body = await parse_body(request, PinIn)
    await call(
        request,
        _users(request).set_pin,
        actor(request),
        request.match_info["user_id"],
        body.pin,
        peer_address(request),
    )
    return web.Response(status=204)


async def labels(request: web.Request) -> web.StreamResponse:
    found = await call(request, services(request).catalogue.labels, actor(request))
    return json_response(LabelsOut(labels=found))


TAG = "users"
ADMIN = Action.MANAGE_USERS
ROUTES = [
    Route(
        "GET",
        "/api/users",
        list_users,
        "Every user with role and grants",
        ADMIN,
        TAG,
        response=UserDetailOut,
        response_list=True,
    ),
    Route(
        "POST",
        "/api/users",
        create_user,
        "Create a member, admin (owner only, from a password sign-in's session) or managed profile",
        ADMIN,
        TAG,
        body=UserCreateIn,
        response=UserDetailOut,
        status=201,
    ),
    Route("GET", "/api/users/{user_id}", get_user, "One user", ADMIN, TAG, response=UserDetailOut),
    Route(
        "PATCH",
        "/api/users/{user_id}",
        update_user,
        "Change a user's role, grants or disabled state (audited with before and after); a change of role or "
        "disabled state needs a password sign-in's session",
        ADMIN,
        TAG,
        body=UserPatchIn,
        response=UserDetailOut,
    ),
    Route(
        "DELETE",
        "/api/users/{user_id}",
        delete_user,
        "Delete a user (never the owner)",
        ADMIN,
        TAG,
        status=204,
        password_session=True,
    ),
    Route(
        "POST",
        "/api/users/{user_id}/password",
        reset_password,
        "Set a new password for a user; ends their sessions and resets two-factor",
        ADMIN,
        TAG,
        body=PasswordIn,
        status=204,
        password_session=True,
    ),
    Route(
        "POST",
        "/api/users/{user_id}/pin",
        set_pin,
        "Set or clear a managed profile's PIN",
        ADMIN,
        TAG,
        body=PinIn,
        status=204,
        password_session=True,
    ),
    Route(
        "GET",
        "/api/labels",
        labels,
        "Every label titles carry (from .nfo tags), to choose a user's allowed and blocked labels from",
        ADMIN,
        TAG,
        response=LabelsOut,
    ),
]
