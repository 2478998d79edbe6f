"""Music apps' own credentials for the Subsonic API: per-app keys and app passwords, never the account's.

A key (OpenSubsonic's apiKey) is stored as its SHA-256 only. An app password serves the apps that know only
Subsonic's older ways: `p` (plain or hex) is checked against its hash, while token auth (`t` = md5(password +
salt)) needs the password itself, so a sealed copy is kept, under a key outside the database as the TOTP secrets
are. Both are rows of auth_tokens, listed and revocable with the account's other tokens; both sign in as an
actor that sees only the music libraries the user sees, reads and streams, and administers nothing."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reelhouse.domain.access import Actor, Credential, TokenScope
from reelhouse.domain.grants import account_ended, grants_to_actor
from reelhouse.domain.ids import LibraryId
from reelhouse.errors import AuthenticationRequired, InvalidInput, PermissionDenied
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.database import Database
from reelhouse.persistence.music_apps import MusicAppRepository
from reelhouse.services.accounts import TOUCH_EVERY
from reelhouse.services.audit import AuditService
from reelhouse.services.throttle import Throttle
from reelhouse.services.tokens import TokenView, hash_secret

SCOPES = ",".join(sorted((TokenScope.READ, TokenScope.STREAM)))
KINDS = {"key": Credential.MUSIC_KEY, "password": Credential.MUSIC_PASSWORD}
WRONG = "Wrong username or app password."


class TokenAuthUnavailable(AuthenticationRequired):
    """Subsonic's token auth asked of an account with no app password: it needs a password the server can
    read, and the account's own is never kept that way."""


class BadApiKey(AuthenticationRequired):
    """An apiKey that is not (or no longer) a music app key."""


class MusicAppService:
    def __init__(
        self,
        db: Database,
        accounts: AccountRepository,
        repo: MusicAppRepository,
        audit: AuditService,
        throttle: Callable[[], Throttle],
        key: bytes,
        music_ids: Callable[[], frozenset[str]],
    ) -> None:
        self._db = db
        # The music libraries' ids, from the library service's list: read on every request of every app, a
        # statement of its own cost a tenth of a millisecond a request.
        self._music_ids = music_ids
        self._accounts = accounts
        self._repo = repo
        self._audit = audit
        # The sign-in throttle itself (the account service's), so guesses here and at sign-in add up.
        self._throttle = throttle
        self._aead = AESGCM(hashlib.sha256(b"reelhouse music apps\0" + key).digest())

    # Made on the Account page -----------------------------------------------------------------------
    def create(self, actor: Actor, name: str, kind: str, address: str | None = None) -> tuple[str, TokenView]:
        """A new key or app password, answered once; only its hash (and a password's sealed copy) is kept."""
        credential = KINDS.get(kind)
        if credential is None:
            raise InvalidInput("Choose a key or an app password.", "kind")
        if not {TokenScope.READ, TokenScope.STREAM} <= actor.token_scopes:
            raise PermissionDenied("A music app key needs a session that may read and stream.")
        label = name.strip()[:128]
        if not label:
            raise InvalidInput("Name the app this is for, so you know which to revoke.", "name")
        # ≥128 random bits, so one SHA-256 is enough, as for every token.
        secret = (
            ("rs_" + secrets.token_urlsafe(32))
            if credential is Credential.MUSIC_KEY
            else secrets.token_hex(12)
        )
        with self._db.begin() as conn:
            token_id = self._accounts.add_token(
                conn, actor.user_id, hash_secret(secret), credential.value, label, SCOPES, None, address
            )
            if credential is Credential.MUSIC_PASSWORD:
                self._repo.add_secret(conn, token_id, actor.user_id, self._seal(token_id, secret))
            self._audit.record(
                conn, actor, "token.create", token_id, {"name": label, "kind": credential.value}, address
            )
        now = time.time()
        view = TokenView(token_id, credential.value, label, SCOPES.split(","), now, now, address, None, False)
        return secret, view

    def _seal(self, token_id: str, secret: str) -> str:
        nonce = secrets.token_bytes(12)
        return base64.urlsafe_b64encode(
            nonce + self._aead.encrypt(nonce, secret.encode(), token_id.encode())
        ).decode()

    def _open(self, token_id: str, stored: str) -> str | None:
        # A lost or replaced music-apps.key opens nothing: those app passwords stop working, never a 500.
        try:
            raw = base64.urlsafe_b64decode(stored.encode())
            return self._aead.decrypt(raw[:12], raw[12:], token_id.encode()).decode()
        except (InvalidTag, ValueError, binascii.Error):
            return None

    # Signing in with them --------------------------------------------------------------------------------
    def by_key(self, key: str, address: str | None) -> Actor:
        # Counted per address only: a key names no account, and one shared counter for every key would let
        # a stranger's twenty bad guesses lock every listener's apps out (a key is 256 random bits: the
        # per-address counters are what stop a flood).
        with self._throttle().attempt("#music-key", address, known=True) as attempt:
            who = (
                self._actor(hash_secret(key), Credential.MUSIC_KEY, address) if 0 < len(key) <= 128 else None
            )
            if who is None:
                attempt.failed()
                raise BadApiKey("That API key is not valid; make a new one on the Account page.")
            attempt.succeeded()
        return who

    def by_password(self, username: str, password: str, address: str | None, home: bool) -> Actor:
        """`p`: an app password, plain or as Subsonic's `enc:` hex; the account's own password never works."""
        if password.startswith("enc:"):
            try:
                password = bytes.fromhex(password[4:]).decode()
            except (ValueError, UnicodeDecodeError):
                raise AuthenticationRequired(WRONG) from None
        account = username.strip().casefold()[:64]
        with self._throttle().attempt(account, address, home) as attempt:
            who = self._actor(hash_secret(password[:256]), Credential.MUSIC_PASSWORD, address)
            if who is None or who.username.casefold() != account:
                attempt.failed()
                raise AuthenticationRequired(WRONG)
            attempt.succeeded()
        return who

    def by_token(self, username: str, token: str, salt: str, address: str | None, home: bool) -> Actor:
        """`t` = md5(app password + `s`): each of the user's app passwords is opened and tried."""
        account = username.strip().casefold()[:64]
        with self._throttle().attempt(account, address, home) as attempt:
            with self._db.read() as conn:
                rows = self._repo.sealed_of(conn, account, Credential.MUSIC_PASSWORD.value)
            if not rows:
                attempt.release()
                raise TokenAuthUnavailable(
                    "Token sign-in needs an app password: make one on the Account page, or use an API key."
                )
            wanted = token.strip().lower().encode()
            match = None
            for row in rows:
                secret = self._open(row.token_id, row.sealed)
                digest = (
                    hashlib.md5((secret + salt).encode(), usedforsecurity=False).hexdigest() if secret else ""
                )
                if secret and hmac.compare_digest(digest.encode(), wanted):
                    match = row
            who = self._actor(match.token_hash, Credential.MUSIC_PASSWORD, address) if match else None
            if who is None:
                attempt.failed()
                raise AuthenticationRequired(WRONG)
            attempt.succeeded()
        return who

    def _actor(self, token_hash: str, credential: Credential, address: str | None) -> Actor | None:
        with self._db.read() as conn:
            row = self._accounts.token_with_user(conn, token_hash)
        music = self._music_ids()
        now = time.time()
        if row is None or row.kind != credential.value or account_ended(row.grants, row.disabled, now):
            return None
        if row.expires_at is not None and row.expires_at < now:
            return None
        if now - row.last_seen_at > TOUCH_EVERY:
            with self._db.begin() as conn:
                self._accounts.touch_token(conn, row.token_id, address)
        who = grants_to_actor(row.user_id, row.username, row.role, row.grants, SCOPES, row.token_id)
        # The music libraries among those the user sees, whatever the user's own grants say beyond them.
        visible = frozenset(LibraryId(x) for x in music if who.scope.allows_library(LibraryId(x)))
        scope = replace(who.scope, all_libraries=False, library_ids=visible)
        return replace(who, scope=scope, credential=credential)
