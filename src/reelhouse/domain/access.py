"""Who is asking and what they may do: actors, roles, scopes and the one permission check."""

from __future__ import annotations

import enum
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reelhouse.domain.ids import LibraryId, UserId
from reelhouse.domain.library import LibraryKind


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    MANAGED = "managed"


class Action(enum.StrEnum):
    BROWSE = "browse"
    STREAM = "stream"
    DOWNLOAD = "download"
    TRANSCODE = "transcode"
    MANAGE_LIBRARIES = "manage_libraries"
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_AUDIT = "view_audit"


class TokenScope(enum.StrEnum):
    """What an API token may be used for; a session or device token carries every scope."""

    READ = "read"
    STREAM = "stream"
    ADMIN = "admin"


class Credential(enum.StrEnum):
    """How a caller proved who they are, as stored with the token (`auth_tokens.kind`)."""

    # Signed in with the password (and second factor): the only credential that may change how the account
    # signs in (password, two-factor, tokens, other sessions).
    SESSION = "session"
    # A managed profile picked on the home network, with or without a PIN.
    PROFILE = "profile"
    # An API token made by a session, with scopes.
    API = "api"
    # An app signed in for one device (Jellyfin's apps, by password or Quick Connect): every scope, but like
    # an API token it never changes how the account signs in.
    DEVICE = "device"
    # A music app's key or app password (the Subsonic API only): it reaches the music libraries alone, reads
    # and streams, and like an API token never changes how the account signs in.
    MUSIC_KEY = "music_key"
    MUSIC_PASSWORD = "music_password"  # noqa: S105 (a token kind, not a secret)


ADMIN_ACTIONS = frozenset(
    {Action.MANAGE_LIBRARIES, Action.MANAGE_USERS, Action.MANAGE_SETTINGS, Action.VIEW_AUDIT}
)
_SCOPE_OF_ACTION: dict[Action, TokenScope] = {
    Action.BROWSE: TokenScope.READ,
    Action.STREAM: TokenScope.STREAM,
    Action.DOWNLOAD: TokenScope.STREAM,
    Action.TRANSCODE: TokenScope.STREAM,
    **{action: TokenScope.ADMIN for action in ADMIN_ACTIONS},
}


@dataclass(frozen=True)
class LibraryScope:
    """The part of the catalogue one viewer may see. Every read of library data takes one."""

    user_id: UserId
    all_libraries: bool
    library_ids: frozenset[LibraryId] = frozenset()
    # Highest allowed content-rating rank per library kind (see domain.ratings); absent means no cap.
    max_rating_rank: Mapping[LibraryKind, int] = field(default_factory=dict)
    hide_unrated: bool = False
    allowed_labels: frozenset[str] = frozenset()
    blocked_labels: frozenset[str] = frozenset()

    def allows_library(self, library_id: LibraryId) -> bool:
        return self.all_libraries or library_id in self.library_ids

    @property
    def unrestricted(self) -> bool:
        return (
            self.all_libraries
            and not self.max_rating_rank
            and not self.hide_unrated
            and not self.allowed_labels
            and not self.blocked_labels
        )


LABEL_MASK_BITS = 62


def label_mask(labels: Iterable[str]) -> int:
    """A 62-bit summary of an item's labels, one bit per label by a stable hash (a one-hash Bloom filter).

    Items carry it in the browse indexes, so a label filter reads the index and probes the tag table only
    for rows whose bits match; a clear bit proves the label absent."""
    mask = 0
    for label in labels:
        mask |= 1 << (zlib.crc32(label.encode("utf-8", "surrogatepass")) % LABEL_MASK_BITS)
    return mask


@dataclass(frozen=True)
class UserPermissions:
    may_download: bool = False
    may_transcode: bool = True
    may_connect_remotely: bool = True
    max_bitrate_kbps: int | None = None
    max_streams: int | None = None
    # A photo's GPS and other location data: off unless granted; owners and admins always see it.
    may_see_location: bool = False


@dataclass(frozen=True)
class Actor:
    """An authenticated user as one request sees them."""

    user_id: UserId
    username: str
    role: Role
    scope: LibraryScope
    permissions: UserPermissions = UserPermissions()
    token_scopes: frozenset[TokenScope] = frozenset(TokenScope)
    session_id: str | None = None
    # None for actors built outside a request (the CLI, media grants): they never pass the auth middleware.
    credential: Credential | None = None

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)


def can(actor: Actor, action: Action, library_id: LibraryId | None = None) -> bool:
    """The one permission check: role, per-user grants, token scope and library scope together."""
    if _SCOPE_OF_ACTION[action] not in actor.token_scopes:
        return False
    if action in ADMIN_ACTIONS:
        return actor.is_admin
    if library_id is not None and not actor.scope.allows_library(library_id):
        return False
    if action is Action.DOWNLOAD:
        return actor.is_admin or actor.permissions.may_download
    if action is Action.TRANSCODE:
        return actor.is_admin or actor.permissions.may_transcode
    return True


def owner_scope(user_id: UserId) -> LibraryScope:
    return LibraryScope(user_id=user_id, all_libraries=True)


OTHERS_SIGN_IN = (
    "Only a session signed in with your password can change how other accounts sign in or make admins; "
    "an API token or an app cannot, whatever its scopes."
)


def signed_in_with_password(actor: Actor) -> bool:
    """Whether the actor may act on how an account signs in: a session from a password sign-in, or the CLI
    (run by someone who can already read the data directory). Never an API, device or music app token, a
    profile pick or a friend's session from their home server, whatever its scopes."""
    if actor.credential is None:
        return actor.user_id == "system"
    return actor.credential is Credential.SESSION


def system_actor(name: str = "cli") -> Actor:
    """The server itself, or the CLI run by someone who can already read the data directory."""
    return Actor(
        user_id=UserId("system"), username=name, role=Role.OWNER, scope=owner_scope(UserId("system"))
    )
