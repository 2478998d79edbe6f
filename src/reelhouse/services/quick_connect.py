"""Quick Connect: an app shows a short code, a signed-in user approves it, the app gets a device token.

It is how an account with two-factor sign-in reaches an app, which can only ask for a password. The code is
short, so it lives five minutes, is used once, and wrong guesses are throttled per address; the app keeps a
long secret for collecting its token. The secret is stored as SHA-256 (256 random bits); the code, a million
possibilities, as an HMAC under quick-connect.key, kept outside the database like the grant and TOTP keys, so a
copy of the database alone names no pending code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Connection

from reelhouse.domain.access import Actor, Credential
from reelhouse.errors import AuthenticationRequired, InvalidInput, NotFound, PermissionDenied, TooManyRequests
from reelhouse.persistence.database import Database
from reelhouse.persistence.quick_connect import QuickConnectRepository
from reelhouse.services.accounts import AccountService, DeviceApp, SignIn
from reelhouse.services.audit import AuditService
from reelhouse.services.throttle import Throttle
from reelhouse.services.tokens import hash_secret

CODE_SECONDS = 300.0
CODE_DIGITS = 6
# A household starts a few at a time; more from one address is someone filling the table.
PENDING_PER_ADDRESS = 5
PENDING_AT_ALL = 500
WRONG_CODE = "That code is not right, or it has expired. Codes last five minutes; start again in the app."


@dataclass(frozen=True)
class Pending:
    secret: str
    code: str
    app: DeviceApp
    created_at: float
    approved: bool = False


class QuickConnectService:
    def __init__(
        self,
        db: Database,
        repo: QuickConnectRepository,
        accounts: AccountService,
        audit: AuditService,
        code_key: bytes,
        throttle: Throttle | None = None,
    ) -> None:
        self._code_key = code_key
        self._db = db
        self._repo = repo
        self._accounts = accounts
        self._audit = audit
        self.throttle = throttle or Throttle()

    def initiate(self, app: DeviceApp, address: str | None) -> Pending:
        secret = secrets.token_hex(32)
        now = time.time()
        fields = {"client": app.client[:128], "device": app.device[:128], "device_id": app.device_id[:128]}
        with self._db.begin() as conn:
            self._repo.forget_expired(conn, now)
            if self._repo.pending_from(conn, address, now) >= PENDING_PER_ADDRESS:
                raise TooManyRequests("Too many Quick Connect codes are waiting; use one or wait.", 60)
            if self._repo.pending(conn, now) >= PENDING_AT_ALL:
                raise TooManyRequests("Too many Quick Connect codes are waiting; try again later.", 60)
            code = self._free_code(conn, now)
            self._repo.add(
                conn,
                hash_secret(secret),
                self._code_hash(code),
                fields,
                address=address,
                created_at=now,
                expires_at=now + CODE_SECONDS,
            )
        return Pending(secret, code, app, now)

    def _code_hash(self, code: str) -> str:
        return hmac.new(self._code_key, code.encode(), hashlib.sha256).hexdigest()

    def _free_code(self, conn: Connection, now: float) -> str:
        # Codes only need to be unique among the live ones, which are few.
        while True:
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            if self._repo.by_code(conn, self._code_hash(code), now) is None:
                return code

    def state(self, secret: str) -> Pending:
        """What the app polls: whether its code was approved yet (the code itself is not kept)."""
        with self._db.read() as conn:
            row = self._repo.by_secret(conn, hash_secret(secret[:128]), time.time())
        if row is None:
            raise NotFound("No such Quick Connect request; it may have expired.")
        app = DeviceApp(row.client, row.device, row.device_id)
        return Pending(secret, "", app, row.created_at, row.user_id is not None)

    def approve(self, actor: Actor, code: str, address: str | None) -> DeviceApp:
        if actor.credential is not Credential.SESSION:
            # The route says so too; a token must never mint another one.
            raise PermissionDenied("Only a session signed in with your password can approve an app.")
        typed = "".join(code.split())[:16]
        with self.throttle.attempt(f"#quick-connect:{actor.user_id}", address, True) as attempt:
            now = time.time()
            with self._db.begin() as conn:
                row = self._repo.by_code(conn, self._code_hash(typed), now) if typed.isdigit() else None
                if row is not None and row.user_id is not None:
                    # Already approved, so spent: approving it again would hand out a second token.
                    row = None
                if row is not None:
                    self._repo.approve(conn, row.secret_hash, actor.user_id)
                    detail = {"client": row.client, "device": row.device, "from": row.address}
                    self._audit.record(conn, actor, "quick_connect.approve", actor.user_id, detail, address)
                else:
                    self._audit.record(conn, actor, "quick_connect.wrong_code", None, {}, address)
            if row is None:
                attempt.failed()
                raise InvalidInput(WRONG_CODE, "code")
            attempt.succeeded()
        return DeviceApp(row.client, row.device, row.device_id)

    def redeem(self, secret: str, address: str | None) -> SignIn:
        """The approved app's one collection of its device token; the request is gone after it."""
        now = time.time()
        with self._db.begin() as conn:
            row = self._repo.by_secret(conn, hash_secret(secret[:128]), now)
            if row is None or row.user_id is None or not self._repo.remove(conn, row.secret_hash):
                raise AuthenticationRequired("This Quick Connect request is not approved, or it has expired.")
        app = DeviceApp(row.client, row.device, row.device_id)
        return self._accounts.issue_device_token(row.user_id, app, address, "auth.quick_connect_login")
