"""How a user's stored grants (a JSON record) become the Actor that every permission check reads."""

from __future__ import annotations

import json
import time
from typing import Any

from reelhouse.domain.access import Actor, LibraryScope, Role, TokenScope, UserPermissions
from reelhouse.domain.ids import LibraryId, UserId
from reelhouse.domain.library import LibraryKind


def account_ended(grants_json: str, disabled: bool, now: float | None = None) -> bool:
    """Disabled, or past the end date a time-limited friend was given."""
    if disabled:
        return True
    ends = json.loads(grants_json or "{}").get("expires_at")
    return ends is not None and float(ends) <= (now or time.time())


def grants_to_actor(
    user_id: str, username: str, role: str, grants_json: str, scopes: str, session: str | None
) -> Actor:
    grants: dict[str, Any] = json.loads(grants_json or "{}")
    role_value = Role(role)
    admin = role_value in (Role.OWNER, Role.ADMIN)
    libraries = grants.get("libraries", "all")
    scope = LibraryScope(
        user_id=UserId(user_id),
        all_libraries=admin or libraries == "all",
        library_ids=frozenset(LibraryId(x) for x in (libraries if isinstance(libraries, list) else [])),
        max_rating_rank={}
        if admin
        else {LibraryKind(k): int(v) for k, v in grants.get("max_rating", {}).items()},
        hide_unrated=False if admin else bool(grants.get("hide_unrated", False)),
        allowed_labels=frozenset() if admin else frozenset(grants.get("allowed_labels", [])),
        blocked_labels=frozenset() if admin else frozenset(grants.get("blocked_labels", [])),
    )
    permissions = UserPermissions(
        may_download=bool(grants.get("may_download", admin)),
        may_transcode=bool(grants.get("may_transcode", True)),
        # Managed profiles are household members picked from a list: home network only, always.
        may_connect_remotely=role_value is not Role.MANAGED
        and bool(grants.get("may_connect_remotely", True)),
        max_bitrate_kbps=grants.get("max_bitrate_kbps"),
        max_streams=grants.get("max_streams"),
        may_see_location=admin or bool(grants.get("may_see_location", False)),
    )
    return Actor(
        user_id=UserId(user_id),
        username=username,
        role=role_value,
        scope=scope,
        permissions=permissions,
        token_scopes=frozenset(TokenScope(s) for s in scopes.split(",") if s),
        session_id=session,
    )
