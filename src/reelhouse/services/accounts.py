"""Accounts: first-run setup, users, passwords, sign-in and the tokens that authenticate requests."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reelhouse.domain.access import (
    Actor,
    LibraryScope,
    Role,
    TokenScope,
    UserPermissions,
)
from reelhouse.domain.ids import LibraryId, UserId
from reelhouse.domain.library import LibraryKind
from reelhouse.errors import AuthenticationRequired, Conflict, InvalidInput
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.database import Database
from reelhouse.services.audit import AuditService

SESSION_IDLE = 14 * 86400
SESSION_ABSOLUTE = 90 * 86400
TOUCH_EVERY = 60.0
COMMON_PASSWORDS = frozenset(
    """password password1 password123 123456789012 1234567890 qwertyuiop iloveyou123 letmein123
    welcome123 admin12345 administrator passw0rd123 qwerty123456 football123 monkey123456
    reelhouse reelhouse123 changeme123 111111111111 000000000000 abcdefghijkl""".split()
)
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def hash_secret(secret: str) -> str:
    """Tokens and codes carry ≥128 random bits, so one SHA-256 is enough; only the hash is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_username(username: str) -> str:
    name = username.strip()
    if not 1 <= len(name) <= 32 or not set(name) <= USERNAME_CHARS:
        raise InvalidInput(
            "A username is 1 to 32 letters, digits, dots, dashes or underscores.", {"username": "invalid"}
        )
    return name


def check_password(password: str, username: str = "") -> None:
    if len(password) < 10:
        raise InvalidInput("A password needs at least 10 characters.", {"password": "too short"})
    if len(password) > 256:
        raise InvalidInput("A password can have at most 256 characters.", {"password": "too long"})
    if password.lower() in COMMON_PASSWORDS or (username and username.lower() in password.lower()):
        raise InvalidInput("That password is too easy to guess.", {"password": "too common"})


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
        may_connect_remotely=bool(grants.get("may_connect_remotely", True)),
        max_bitrate_kbps=grants.get("max_bitrate_kbps"),
        max_streams=grants.get("max_streams"),
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


@dataclass(frozen=True)
class SignIn:
    token: str
    actor: Actor
    expires_at: float


class AccountService:
    def __init__(self, db: Database, repo: AccountRepository, audit: AuditService) -> None:
        self._db = db
        self._repo = repo
        self._audit = audit
        # OWASP's argon2id minimum: 19 MiB, two passes, one lane.
        self._hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
        self._hashing = threading.BoundedSemaphore(2)
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    # Setup ---------------------------------------------------------------------------------
    def needs_setup(self) -> bool:
        with self._db.read() as conn:
            return self._repo.count_users(conn) == 0

    def issue_setup_code(self) -> str | None:
        """A fresh one-time code when nobody owns the server yet; only its hash is stored."""
        with self._db.begin() as conn:
            if self._repo.count_users(conn) > 0:
                self._repo.clear_setup_codes(conn)
                return None
            code = "-".join(secrets.token_hex(4) for _ in range(4))
            self._repo.replace_setup_code(conn, hash_secret(code))
        return code

    def complete_setup(self, code: str, username: str, password: str, address: str | None) -> SignIn:
        name = check_username(username)
        check_password(password, name)
        password_hash = self._hash(password)
        with self._db.begin() as conn:
            if self._repo.count_users(conn) > 0:
                raise Conflict("This server already has an owner.")
            if not self._repo.setup_code_matches(conn, hash_secret(code.strip().lower())):
                self._audit.record(conn, None, "setup.failed", None, {}, address)
                raise AuthenticationRequired("That setup code is not right. Look for it in the server's log.")
            user_id = self._repo.add_user(conn, name, Role.OWNER.value, password_hash, {})
            self._repo.clear_setup_codes(conn)
            actor = grants_to_actor(user_id, name, Role.OWNER.value, "{}", ",".join(TokenScope), None)
            self._audit.record(conn, actor, "setup.owner_created", user_id, {"username": name}, address)
        return self.sign_in(name, password, address, "web")

    def create_user(self, actor: Actor | None, username: str, role: Role, password: str | None) -> UserId:
        """Also used by the CLI (actor None), run by someone who can already read the data directory."""
        name = check_username(username)
        password_hash = None
        if password is not None:
            check_password(password, name)
            password_hash = self._hash(password)
        with self._db.begin() as conn:
            if self._repo.user_by_name(conn, name) is not None:
                raise Conflict(f"A user named '{name}' already exists.")
            if role is Role.OWNER and self._repo.count_users(conn) > 0:
                owners = [u for u in self._repo.list_users(conn) if u.role == Role.OWNER.value]
                if owners:
                    raise Conflict("This server already has an owner; there is exactly one.")
            user_id = self._repo.add_user(conn, name, role.value, password_hash, {})
            if role is Role.OWNER:
                self._repo.clear_setup_codes(conn)
            self._audit.record(conn, actor, "user.create", user_id, {"username": name, "role": role.value})
        return user_id

    # Sign-in -------------------------------------------------------------------------------
    def _hash(self, password: str) -> str:
        with self._hashing:
            return self._hasher.hash(password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        with self._hashing:
            try:
                return (
                    self._hasher.verify(password_hash or self._dummy_hash, password)
                    and password_hash is not None
                )
            except (VerificationError, InvalidHashError):
                return False

    def sign_in(self, username: str, password: str, address: str | None, device: str) -> SignIn:
        with self._db.read() as conn:
            user = self._repo.user_by_name(conn, username.strip()) if len(username) <= 64 else None
        # The same hash work is done for unknown users, so timing does not tell who exists.
        ok = self._verify(user.password_hash if user else None, password[:256])
        if user is None or not ok or user.disabled:
            with self._db.begin() as conn:
                self._audit.record(
                    conn, None, "auth.login_failed", None, {"username": username[:64]}, address
                )
            raise AuthenticationRequired("That username and password do not match.")
        if self._hasher.check_needs_rehash(user.password_hash):
            with self._db.begin() as conn:
                self._repo.set_password_hash(conn, user.id, self._hash(password))
        token = secrets.token_urlsafe(32)
        expires = time.time() + SESSION_ABSOLUTE
        scopes = ",".join(TokenScope)
        with self._db.begin() as conn:
            session_id = self._repo.add_token(
                conn, user.id, hash_secret(token), "session", device[:128] or "web", scopes, expires, address
            )
            actor = grants_to_actor(user.id, user.username, user.role, user.grants, scopes, session_id)
            self._audit.record(conn, actor, "auth.login", user.id, {"device": device[:128]}, address)
        return SignIn(token, actor, expires)

    def authenticate(self, token: str, address: str | None) -> Actor | None:
        if not token or len(token) > 128:
            return None
        with self._db.read() as conn:
            row = self._repo.token_with_user(conn, hash_secret(token))
        if row is None or row.disabled:
            return None
        now = time.time()
        if row.expires_at is not None and row.expires_at < now:
            return None
        if row.kind == "session" and row.last_seen_at + SESSION_IDLE < now:
            return None
        if now - row.last_seen_at > TOUCH_EVERY:
            with self._db.begin() as conn:
                self._repo.touch_token(conn, row.token_id, address)
        return grants_to_actor(row.user_id, row.username, row.role, row.grants, row.scopes, row.token_id)

    def sign_out(self, actor: Actor) -> None:
        if actor.session_id is None:
            return
        with self._db.begin() as conn:
            self._repo.delete_token(conn, actor.session_id)
            self._audit.record(conn, actor, "auth.logout", actor.user_id)

    def list_users(self) -> list[dict[str, Any]]:
        with self._db.read() as conn:
            return [
                {"id": u.id, "username": u.username, "role": u.role, "disabled": bool(u.disabled)}
                for u in self._repo.list_users(conn)
            ]
