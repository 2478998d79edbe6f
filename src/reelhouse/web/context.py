"""What handlers share: the services container, the caller, input parsing and JSON answers."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from reelhouse.domain.access import Actor
from reelhouse.errors import AuthenticationRequired, InvalidInput
from reelhouse.services.accounts import AccountService
from reelhouse.services.audio_delivery import AudioDelivery
from reelhouse.services.audit import AuditService
from reelhouse.services.catalogue import CatalogueService
from reelhouse.services.certificate_upload import CertificateUpload
from reelhouse.services.certificates import CertificateService
from reelhouse.services.federation import FederationService
from reelhouse.services.home_sign_in import HomeSignIn
from reelhouse.services.invitations import InvitationService
from reelhouse.services.libraries import LibraryService
from reelhouse.services.link_scopes import LinkScopes
from reelhouse.services.media_access import MediaAccess
from reelhouse.services.music_apps import MusicAppService
from reelhouse.services.peer_keys import KeyRotation
from reelhouse.services.peer_links import PeerLinks
from reelhouse.services.peering import PeeringService
from reelhouse.services.playlists import PlaylistService
from reelhouse.services.playstate import PlayStateService
from reelhouse.services.privacy import PrivacyService
from reelhouse.services.quick_connect import QuickConnectService
from reelhouse.services.remote_admin import RemoteAdmin
from reelhouse.services.scanning import ScanService
from reelhouse.services.seek_previews import SeekPreviews
from reelhouse.services.settings import SettingsService
from reelhouse.services.twofactor import TwoFactorService
from reelhouse.services.users import UserService

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Services:
    accounts: AccountService
    audit: AuditService
    catalogue: CatalogueService
    libraries: LibraryService
    scanning: ScanService
    settings: SettingsService
    version: str
    playstate: PlayStateService
    # The one media access decision: every media byte the web layer sends comes from it.
    media: MediaAccess
    # Audio encodes and gapless copies, each decided by the media access decision before it starts.
    audio: AudioDelivery
    certificates: CertificateService | None = None
    privacy: PrivacyService | None = None
    users: UserService | None = None
    invitations: InvitationService | None = None
    twofactor: TwoFactorService | None = None
    certificate_upload: CertificateUpload | None = None
    quick_connect: QuickConnectService | None = None
    # Music apps' keys and app passwords, for the Subsonic API.
    music_apps: MusicAppService | None = None
    # Each user's playlists and play queue (the web API and Subsonic's).
    playlists: PlaylistService | None = None
    # Seek preview sheets, made in the background after scans and served through the media access decision.
    seek_previews: SeekPreviews | None = None
    # Linked servers: pairing and links (peering), and what the links say about each server (peer_links).
    peering: PeeringService | None = None
    peer_links: PeerLinks | None = None
    # Rotating this server's peer key, telling every linked server first.
    key_rotation: KeyRotation | None = None
    # Friends who sign in with their home server: granting them here or there, and their tokens.
    federation: FederationService | None = None
    # A linked server's settings, read and changed on a signed-in admin's behalf, and the outbox.
    remote_admin: RemoteAdmin | None = None
    # Settings → Linked servers: narrowing a link's scopes (the owner's, locally).
    link_scopes: LinkScopes | None = None
    # "Sign in with Home" in a browser: both the linked server's side and home's.
    home_sign_in: HomeSignIn | None = None
    # This server's id for the client APIs that name servers (Jellyfin's apps match it across answers).
    server_id: str = "0" * 32


SERVICES = web.AppKey("services", Services)
EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)
# Per-request values set by the middleware chain (gate first, then authentication).
ACTOR = web.RequestKey("actor", Actor)
PEER = web.RequestKey("peer", str)
ZONE = web.RequestKey("zone", str)
FORWARDED_TLS = web.RequestKey("forwarded_tls", bool)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def actor(request: web.Request) -> Actor:
    found: Actor | None = request.get(ACTOR)
    if found is None:
        # The auth middleware guarantees an actor on every non-public route; reaching here is a bug.
        raise AuthenticationRequired("Sign in first.")
    return found


def peer_address(request: web.Request) -> str | None:
    address: str | None = request.get(PEER) or request.remote
    return address


async def call(request: web.Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Services are synchronous (SQLite); run them off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app[EXECUTOR], functools.partial(fn, *args, **kwargs))


def _problems(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in error["loc"]) or "body"
        out[field] = error["msg"]
    return out


def parse_query(request: web.Request, model: type[M]) -> M:
    raw: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        raw[key] = values[0] if len(values) == 1 else values
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput("Some query parameters are not valid.", _problems(exc)) from None


async def parse_body(request: web.Request, model: type[M]) -> M:
    if request.content_type != "application/json":
        raise InvalidInput("Send a JSON body with Content-Type: application/json.", "body")
    raw = await request.read()
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidInput("The request body is not valid.", _problems(exc)) from None


def json_response(model: BaseModel | list[BaseModel] | dict[str, Any], status: int = 200) -> web.Response:
    if isinstance(model, BaseModel):
        body = model.model_dump_json()
    elif isinstance(model, list):
        body = "[" + ",".join(m.model_dump_json() for m in model) + "]"
    else:
        body = json.dumps(model)
    return web.Response(text=body, status=status, content_type="application/json")
