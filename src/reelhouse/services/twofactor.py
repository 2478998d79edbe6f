"""Two-factor sign-in: TOTP enrolment with a QR code, code checks, and hashed one-time recovery codes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reelhouse.domain.access import Actor
from reelhouse.errors import Conflict, InvalidInput, Unavailable
from reelhouse.persistence.database import Database
from reelhouse.persistence.twofactor import TwoFactorRepository
from reelhouse.services.audit import AuditService

STEP = 30
RECOVERY_CODES = 10
KEY_MISMATCH = (
    "Two-factor codes cannot be checked: the server's two-factor key file (totp.key in the data folder) is "
    "missing or is not the one this account enrolled with. Sign in with one of your recovery codes and enrol "
    "your app again, restore totp.key from a backup of the data folder, or ask the owner to run "
    "`reelhouse user reset-password NAME`, which turns two-factor off."
)


class SealedSecretUnreadable(Exception):
    """The stored TOTP secret does not open with this server's totp.key."""


def _recovery_hash(code: str) -> str:
    normal = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(("recovery:" + normal).encode()).hexdigest()


@dataclass(frozen=True)
class Enrolment:
    """Shown once: the secret as text and as a QR code (SVG) for an authenticator app."""

    secret: str
    uri: str
    qr_svg: str


@dataclass(frozen=True)
class TwoFactorStatus:
    enabled: bool
    pending: bool
    recovery_codes_left: int


class TwoFactorService:
    """TOTP secrets must stay readable to check codes, so they are sealed with a key kept in the data
    directory, not in the database: a leaked database or backup alone does not yield them."""

    def __init__(
        self,
        db: Database,
        repo: TwoFactorRepository,
        audit: AuditService,
        setting: Callable[[str], Any],
        key: bytes,
    ) -> None:
        self._db = db
        self._repo = repo
        self._audit = audit
        self._setting = setting
        self._aead = AESGCM(hashlib.sha256(b"reelhouse totp\0" + key).digest())

    def _seal(self, user_id: str, secret: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), user_id.encode())
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def _open(self, user_id: str, stored: str) -> str:
        # The key is remade when totp.key is lost, and then no secret sealed before opens: say so, never a 500.
        try:
            raw = base64.urlsafe_b64decode(stored.encode())
            return self._aead.decrypt(raw[:12], raw[12:], user_id.encode()).decode()
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise SealedSecretUnreadable from exc

    def enrolled(self, user_id: str) -> bool:
        with self._db.read() as conn:
            row = self._repo.get(conn, user_id)
        return row is not None and row.confirmed_at is not None

    def status(self, actor: Actor) -> TwoFactorStatus:
        with self._db.read() as conn:
            row = self._repo.get(conn, actor.user_id)
            left = self._repo.recovery_left(conn, actor.user_id)
        return TwoFactorStatus(
            row is not None and row.confirmed_at is not None,
            row is not None and row.confirmed_at is None,
            left,
        )

    def begin(self, actor: Actor) -> Enrolment:
        if self.enrolled(actor.user_id):
            raise Conflict("Two-factor sign-in is already on; turn it off first to enrol a new app.")
        # 160 bits, the size RFC 4226 recommends for the shared secret.
        secret = pyotp.random_base32(32)
        with self._db.begin() as conn:
            self._repo.start(conn, actor.user_id, self._seal(actor.user_id, secret))
        uri = pyotp.TOTP(secret).provisioning_uri(
            name=actor.username, issuer_name=self._setting("server_name")
        )
        return Enrolment(secret, uri, segno.make(uri, error="m").svg_inline(scale=4))

    def confirm(self, actor: Actor, code: str, address: str | None = None) -> list[str]:
        """The first good code switches two-factor on and answers the recovery codes, shown once."""
        with self._db.read() as conn:
            row = self._repo.get(conn, actor.user_id)
        if row is None or row.confirmed_at is not None:
            raise Conflict("Start enrolment first.")
        try:
            secret = self._open(actor.user_id, row.secret)
        except SealedSecretUnreadable:
            raise Conflict(
                "The server's two-factor key changed since enrolment began; start again."
            ) from None
        step = self._matching_step(secret, code, row.last_step)
        if step is None:
            raise InvalidInput("That code is not right; check the time on your device.", "code")
        codes = ["-".join(secrets.token_hex(4) for _ in range(4)) for _ in range(RECOVERY_CODES)]
        with self._db.begin() as conn:
            self._repo.confirm(conn, actor.user_id, step, [_recovery_hash(c) for c in codes])
            self._audit.record(conn, actor, "user.2fa_enabled", actor.user_id, {}, address)
        return codes

    def verify(self, user_id: str, code: str) -> bool:
        """A current TOTP code (never the same one twice) or an unused recovery code, which is then spent."""
        text = code.strip().replace(" ", "")
        with self._db.begin() as conn:
            row = self._repo.get(conn, user_id)
            if row is None or row.confirmed_at is None:
                return False
            if text.isdigit() and len(text) == 6:
                try:
                    secret = self._open(user_id, row.secret)
                except SealedSecretUnreadable:
                    raise Unavailable(KEY_MISMATCH, retry_after=3600) from None
                step = self._matching_step(secret, text, row.last_step)
                return step is not None and self._repo.use_step(conn, user_id, step)
            return self._repo.use_recovery_code(conn, user_id, _recovery_hash(text))

    def disable(self, actor: Actor, address: str | None = None) -> None:
        with self._db.begin() as conn:
            self._repo.remove(conn, actor.user_id)
            self._audit.record(conn, actor, "user.2fa_disabled", actor.user_id, {}, address)

    def reset_for(self, conn: Any, user_id: str) -> None:
        """An admin's reset of a user who lost their device; the caller audits it."""
        self._repo.remove(conn, user_id)

    @staticmethod
    def _matching_step(secret: str, code: str, last_step: int) -> int | None:
        text = code.strip().replace(" ", "")
        if not (text.isdigit() and len(text) == 6):
            return None
        totp = pyotp.TOTP(secret)
        now_step = int(time.time()) // STEP
        # One step either side forgives a phone clock that is up to 30 seconds off.
        for step in (now_step - 1, now_step, now_step + 1):
            if step > last_step and secrets.compare_digest(totp.at(step * STEP), text):
                return step
        return None
