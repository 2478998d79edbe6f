"""Users & Sharing for admins: roles, per-user grants, disable, delete, password reset, profile list."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reelhouse.domain.access import OTHERS_SIGN_IN, Action, Actor, Role, can, signed_in_with_password
from reelhouse.domain.library import LibraryKind
from reelhouse.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.database import Database
from reelhouse.persistence.twofactor import TwoFactorRepository
from reelhouse.services.audit import AuditService
from reelhouse.services.passwords import Passwords, check_password, check_pin
from reelhouse.services.twofactor import TwoFactorService

BOOL_GRANTS = ("hide_unrated", "may_download", "may_transcode", "may_connect_remotely", "may_see_location")
INT_GRANTS = ("max_bitrate_kbps", "max_streams")
# Bounds that no real grant reaches (a 1 Tbit/s bitrate, a million streams, the year 9999).
MAX_GRANT_NUMBER = 1_000_000_000
MAX_UNIX_TIME = 253_402_300_799
LABEL_GRANTS = ("allowed_labels", "blocked_labels")
GRANT_KEYS = frozenset({"libraries", "max_rating", "expires_at", *BOOL_GRANTS, *INT_GRANTS, *LABEL_GRANTS})


def check_grants(raw: dict[str, Any]) -> dict[str, Any]:
    """Grants as stored in users.grants; None for a key means 'back to the default' and drops it."""
    unknown = set(raw) - GRANT_KEYS
    if unknown:
        raise InvalidInput(
            "Unknown permission.", {k: f"{k} is not a permission Reelhouse knows." for k in sorted(unknown)}
        )
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if key == "libraries":
            if value != "all" and not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
                raise InvalidInput("Libraries are 'all' or a list of library ids.", key)
        elif key == "max_rating":
            if not isinstance(value, dict) or not all(
                k in LibraryKind.__members__.values() and isinstance(v, int) for k, v in value.items()
            ):
                raise InvalidInput("max_rating maps a library kind to a rating rank.", key)
        elif key in BOOL_GRANTS and not isinstance(value, bool):
            raise InvalidInput("Expected true or false.", key)
        elif key in INT_GRANTS and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_GRANT_NUMBER
        ):
            raise InvalidInput(f"Expected a whole number from 0 to {MAX_GRANT_NUMBER:,}.", key)
        elif key in LABEL_GRANTS and not (
            isinstance(value, list)
            and len(value) <= 100
            and all(isinstance(x, str) and 1 <= len(x) <= 64 for x in value)
        ):
            raise InvalidInput("Expected a list of up to 100 labels, each 1 to 64 characters.", key)
        elif key == "expires_at" and (
            not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= MAX_UNIX_TIME
        ):
            raise InvalidInput("Expected a Unix time before the year 10000.", key)
        out[key] = value
    return out


@dataclass(frozen=True)
class UserView:
    id: str
    username: str
    role: str
    disabled: bool
    created_at: float
    grants: dict[str, Any]
    has_password: bool
    two_factor: bool
    last_seen_at: float | None


@dataclass(frozen=True)
class Profile:
    id: str
    username: str
    has_pin: bool


class UserService:
    def __init__(
        self,
        db: Database,
        repo: AccountRepository,
        audit: AuditService,
        passwords: Passwords,
        twofactor: TwoFactorService,
        on_change: Callable[[str], object] | None = None,
    ) -> None:
        self._db = db
        self._repo = repo
        self._audit = audit
        self._passwords = passwords
        self._twofactor = twofactor
        # Told the user's id once a change is committed, so streams already open can be re-checked.
        self._on_change = on_change

    def _require_admin(self, actor: Actor) -> None:
        if not can(actor, Action.MANAGE_USERS):
            raise PermissionDenied("Only admins can manage users.")

    def _require_password_session(self, actor: Actor) -> None:
        """Acting on how another account signs in (its password, PIN, sessions, role or very existence) needs
        the admin's own password sign-in, as changing their own does: a stolen admin token must not take over
        or lock out other people's accounts."""
        if not signed_in_with_password(actor):
            raise PermissionDenied(OTHERS_SIGN_IN)

    def _view(self, user: Any, two_factor: set[str], seen: float | None) -> UserView:
        return UserView(
            user.id,
            user.username,
            user.role,
            bool(user.disabled),
            user.created_at,
            json.loads(user.grants or "{}"),
            user.password_hash is not None,
            user.id in two_factor,
            seen,
        )

    def all(self, actor: Actor) -> list[UserView]:
        self._require_admin(actor)
        with self._db.read() as conn:
            users = self._repo.list_users(conn)
            factors = self._twofactor_users(conn)
            seen = {
                u.id: max((t.last_seen_at for t in self._repo.tokens_of(conn, u.id)), default=None)
                for u in users
            }
        return [self._view(u, factors, seen[u.id]) for u in users]

    def get(self, actor: Actor, user_id: str) -> UserView:
        self._require_admin(actor)
        with self._db.read() as conn:
            user = self._repo.user_by_id(conn, user_id)
            if user is None:
                raise NotFound("No such user.")
            seen = max((t.last_seen_at for t in self._repo.tokens_of(conn, user.id)), default=None)
            return self._view(user, self._twofactor_users(conn), seen)

    def _twofactor_users(self, conn: Any) -> set[str]:
        return TwoFactorRepository().confirmed_users(conn)

    def _target(self, conn: Any, actor: Actor, user_id: str, what: str) -> Any:
        """The user to change, after the rules: the owner is untouchable, only the owner manages admins."""
        user = self._repo.user_by_id(conn, user_id)
        if user is None:
            raise NotFound("No such user.")
        if user.role == Role.OWNER.value:
            raise PermissionDenied(f"The owner cannot be {what}.")
        if user.role == Role.ADMIN.value and actor.role is not Role.OWNER:
            raise PermissionDenied("Only the owner can change an admin.")
        if user.id == actor.user_id:
            raise PermissionDenied(f"You cannot change your own account this way ({what}).")
        return user

    def update(
        self,
        actor: Actor,
        user_id: str,
        role: Role | None = None,
        grants: dict[str, Any] | None = None,
        disabled: bool | None = None,
        address: str | None = None,
    ) -> UserView:
        """Grants merge into the stored ones; every change is audited with before and after."""
        self._require_admin(actor)
        with self._db.begin() as conn:
            user = self._target(conn, actor, user_id, "changed")
            before = {
                "role": user.role,
                "disabled": bool(user.disabled),
                "grants": json.loads(user.grants or "{}"),
            }
            after = dict(before)
            changes: dict[str, Any] = {}
            if role is not None and role.value != user.role:
                if role is Role.OWNER:
                    raise Conflict("There is exactly one owner.")
                if role is Role.ADMIN and actor.role is not Role.OWNER:
                    raise PermissionDenied("Only the owner can make admins.")
                if (role is Role.MANAGED) != (user.role == Role.MANAGED.value):
                    raise InvalidInput(
                        "A managed profile and a password account cannot be turned into each other.",
                        "role",
                    )
                changes["role"] = after["role"] = role.value
            if grants is not None:
                merged = {**before["grants"], **grants}
                after["grants"] = check_grants({k: v for k, v in merged.items() if v is not None})
                changes["grants"] = after["grants"]
            if disabled is not None and disabled != before["disabled"]:
                changes["disabled"] = after["disabled"] = disabled
            if "role" in changes or "disabled" in changes:
                self._require_password_session(actor)
            if changes:
                self._repo.update_user(conn, user.id, **changes)
                if changes.get("disabled") or "role" in changes:
                    # Disabling ends every session and stream at the next request; a role change
                    # makes the user sign in again under the new rules.
                    self._repo.delete_tokens_of(conn, user.id)
                self._audit.record(
                    conn,
                    actor,
                    "user.update",
                    user.id,
                    {"username": user.username, "before": before, "after": after},
                    address,
                )
        if changes and self._on_change is not None:
            self._on_change(user_id)
        return self.get(actor, user_id)

    def delete(self, actor: Actor, user_id: str, address: str | None = None) -> None:
        self._require_admin(actor)
        self._require_password_session(actor)
        with self._db.begin() as conn:
            user = self._target(conn, actor, user_id, "deleted")
            self._repo.delete_user(conn, user.id)
            self._audit.record(
                conn, actor, "user.delete", user.id, {"username": user.username, "role": user.role}, address
            )
        if self._on_change is not None:
            self._on_change(user_id)

    def reset_password(self, actor: Actor, user_id: str, password: str, address: str | None = None) -> None:
        """Admins reset others' passwords (and two-factor, for a lost phone); the CLI may also reset the owner's."""
        self._require_admin(actor)
        self._require_password_session(actor)
        with self._db.begin() as conn:
            user = self._repo.user_by_id(conn, user_id)
            if user is None:
                raise NotFound("No such user.")
            cli = actor.user_id == "system"
            if not cli:
                user = self._target(conn, actor, user_id, "reset")
            if user.role == Role.MANAGED.value:
                raise InvalidInput("A managed profile has a PIN, not a password.", "password")
        check_password(password, user.username)
        new_hash = self._passwords.hash(password)
        with self._db.begin() as conn:
            self._repo.set_password_hash(conn, user.id, new_hash)
            self._repo.delete_tokens_of(conn, user.id)
            self._twofactor.reset_for(conn, user.id)
            self._audit.record(
                conn, actor, "user.password_reset", user.id, {"username": user.username}, address
            )

    def set_pin(self, actor: Actor, user_id: str, pin: str | None, address: str | None = None) -> None:
        self._require_admin(actor)
        self._require_password_session(actor)
        if pin:
            check_pin(pin)
        pin_hash = self._passwords.hash(pin) if pin else None
        with self._db.begin() as conn:
            user = self._target(conn, actor, user_id, "changed")
            if user.role != Role.MANAGED.value:
                raise InvalidInput("Only managed profiles have a PIN.", "pin")
            self._repo.set_password_hash(conn, user.id, pin_hash)
            self._repo.delete_tokens_of(conn, user.id)
            self._audit.record(conn, actor, "user.pin_change", user.id, {"has_pin": bool(pin)}, address)

    def id_of(self, actor: Actor, username: str) -> str:
        self._require_admin(actor)
        with self._db.read() as conn:
            user = self._repo.user_by_name(conn, username)
        if user is None:
            raise NotFound(f"No user named '{username}'.")
        return str(user.id)

    def profiles(self, home: bool) -> list[Profile]:
        """Managed profiles to pick from; nobody outside the home network learns even their names."""
        if not home:
            return []
        now = time.time()
        with self._db.read() as conn:
            users = self._repo.list_users(conn)
        out: list[Profile] = []
        for u in users:
            ends = json.loads(u.grants or "{}").get("expires_at")
            if u.role == Role.MANAGED.value and not u.disabled and (ends is None or ends > now):
                out.append(Profile(u.id, u.username, u.password_hash is not None))
        return out
