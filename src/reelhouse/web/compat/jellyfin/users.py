"""Signing in by name, signing out, and the user as Jellyfin's apps see them (their Policy from the grants)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from reelhouse.domain.access import Action, Actor, can
from reelhouse.domain.grants import grants_to_actor
from reelhouse.errors import InvalidInput, NotFound
from reelhouse.services.accounts import SignIn
from reelhouse.web.api.accounts import home_network
from reelhouse.web.compat.jellyfin.answers import jellyfin_json
from reelhouse.web.compat.jellyfin.auth import client_info, device_app
from reelhouse.web.compat.jellyfin.bodies import json_fields
from reelhouse.web.compat.jellyfin.ids import from_jellyfin, to_jellyfin
from reelhouse.web.compat.jellyfin.system import server_id
from reelhouse.web.context import actor, call, peer_address, services
from reelhouse.web.routing import Access, Route

TAG = "jellyfin"
MAX_BODY = 64 * 1024


class AuthenticateByNameIn(BaseModel):
    """Documents the body; it is read by `body_fields`, whose field names any casing matches."""

    Username: str
    Pw: str


async def body_fields(request: web.Request) -> dict[str, Any]:
    """A JSON object's fields by lower-cased name: apps send `Username`, `username` and `Pw` alike."""
    return await json_fields(request, MAX_BODY)


def text_field(fields: dict[str, Any], name: str, limit: int = 256) -> str:
    value = fields.get(name.lower(), "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text.", name)
    return value[:limit]


def policy(who: Actor) -> dict[str, Any]:
    """What the apps show and hide; the server never trusts it back, every request is checked again."""
    scope, allowed = who.scope, who.permissions
    transcode = can(who, Action.TRANSCODE)
    ranks = list(scope.max_rating_rank.values())
    return {
        "IsAdministrator": who.is_admin,
        "IsHidden": True,
        "IsDisabled": False,
        "EnableAllFolders": scope.all_libraries,
        "EnabledFolders": [] if scope.all_libraries else sorted(to_jellyfin(i) for i in scope.library_ids),
        "MaxParentalRating": min(ranks) if ranks else None,
        "BlockedTags": sorted(scope.blocked_labels),
        "AllowedTags": sorted(scope.allowed_labels),
        "EnableContentDownloading": can(who, Action.DOWNLOAD),
        "EnableMediaPlayback": can(who, Action.STREAM),
        "EnableAudioPlaybackTranscoding": transcode,
        "EnableVideoPlaybackTranscoding": transcode,
        "EnablePlaybackRemuxing": transcode,
        "EnableRemoteAccess": allowed.may_connect_remotely,
        "RemoteClientBitrateLimit": (allowed.max_bitrate_kbps or 0) * 1000,
        "MaxActiveSessions": allowed.max_streams or 0,
        "EnableUserPreferenceAccess": True,
        "EnableRemoteControlOfOtherUsers": False,
        "EnableSharedDeviceControl": False,
        "EnableLiveTvAccess": False,
        "EnableLiveTvManagement": False,
        "EnableContentDeletion": False,
        "EnableSyncTranscoding": False,
        "EnableMediaConversion": False,
        "EnableAllDevices": True,
        "EnableAllChannels": False,
        "EnablePublicSharing": False,
        "AuthenticationProviderId": "Reelhouse",
        "PasswordResetProviderId": "Reelhouse",
        "SyncPlayAccess": "None",
    }


def user_dto(request: web.Request, who: Actor) -> dict[str, Any]:
    return {
        "Name": who.username,
        "ServerId": server_id(request),
        "Id": to_jellyfin(who.user_id),
        "HasPassword": True,
        "HasConfiguredPassword": True,
        "HasConfiguredEasyPassword": False,
        "EnableAutoLogin": False,
        "Configuration": {
            "PlayDefaultAudioTrack": True,
            "SubtitleMode": "Default",
            "DisplayMissingEpisodes": False,
            "HidePlayedInLatest": True,
            "RememberAudioSelections": True,
            "RememberSubtitleSelections": True,
            "EnableNextEpisodeAutoPlay": True,
            "GroupedFolders": [],
            "OrderedViews": [],
            "LatestItemsExcludes": [],
            "MyMediaExcludes": [],
        },
        "Policy": policy(who),
    }


def authentication_result(request: web.Request, signed: SignIn) -> dict[str, Any]:
    who, info = signed.actor, client_info(request)
    session = who.session_id
    return {
        "User": user_dto(request, who),
        "SessionInfo": {
            "Id": to_jellyfin(session) if session else "",
            "UserId": to_jellyfin(who.user_id),
            "UserName": who.username,
            "Client": info.client,
            "DeviceId": info.device_id,
            "DeviceName": info.device,
            "ApplicationVersion": info.version,
            "IsActive": True,
            "ServerId": server_id(request),
            "PlayableMediaTypes": [],
            "SupportedCommands": [],
            "SupportsMediaControl": False,
            "SupportsRemoteControl": False,
        },
        "AccessToken": signed.token,
        "ServerId": server_id(request),
    }


async def authenticate_by_name(request: web.Request) -> web.StreamResponse:
    fields = await body_fields(request)
    # The same sign-in as the web page's: the throttle, the address rules, disabled and ended accounts.
    signed = await call(
        request,
        services(request).accounts.sign_in,
        text_field(fields, "Username", 128),
        text_field(fields, "Pw"),
        peer_address(request),
        "",
        None,
        home_network(request),
        device_app(request),
    )
    return jellyfin_json(authentication_result(request, signed))


async def logout(request: web.Request) -> web.StreamResponse:
    await call(request, services(request).accounts.sign_out, actor(request))
    return web.Response(status=204)


async def public_users(request: web.Request) -> web.StreamResponse:
    # No user names for strangers: apps then ask for the name to be typed.
    return jellyfin_json([])


async def me(request: web.Request) -> web.StreamResponse:
    return jellyfin_json(user_dto(request, actor(request)))


async def user_by_id(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    wanted = from_jellyfin(request.match_info["user_id"])
    if wanted == who.user_id:
        return jellyfin_json(user_dto(request, who))
    users = services(request).users
    if users is None or not can(who, Action.MANAGE_USERS):
        # Another user is, to a member, a user that does not exist.
        raise NotFound("No such user.")
    view = await call(request, users.get, who, wanted)
    other = grants_to_actor(view.id, view.username, view.role, json.dumps(view.grants), "", None)
    return jellyfin_json(user_dto(request, other))


ROUTES = [
    Route(
        "POST",
        "/Users/AuthenticateByName",
        authenticate_by_name,
        "Jellyfin: sign in with name and password; answers a device token",
        Access.PUBLIC,
        TAG,
        body=AuthenticateByNameIn,
    ),
    Route(
        "POST",
        "/Sessions/Logout",
        logout,
        "Jellyfin: revoke the caller's token",
        Access.USER,
        TAG,
        status=204,
    ),
    Route(
        "GET", "/Users/Public", public_users, "Jellyfin: users to pick from (always none)", Access.PUBLIC, TAG
    ),
    Route("GET", "/Users/Me", me, "Jellyfin: the signed-in user and their policy", Access.USER, TAG),
    Route(
        "GET",
        "/Users/{user_id}",
        user_by_id,
        "Jellyfin: one user (yourself; an admin, anyone)",
        Access.USER,
        TAG,
    ),
]
