"""Tokens: the one hash every token and code is stored under, and what a signed-in person does with their own
sessions, devices and API tokens (the Account page): list them, revoke one or all, make an API token."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from reelhouse.domain.access import Actor, TokenScope
from reelhouse.errors import InvalidInput, NotFound, PermissionDenied
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.database import Database
from reelhouse.services.audit import AuditService


def hash_secret(secret: str) -> str:
    """Tokens and codes carry ≥128 random bits, so one SHA-256 is enough; only the hash is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class TokenView:
    id: str
    kind: str
    name: str
    scopes: list[str]
    created_at: float
    last_seen_at: float
    last_address: str | None
    expires_at: float | None
    current: bool
    # The app behind a device token (its name for itself); None for sessions and API tokens.
    app: str | None = None


class OwnTokens:
    def __init__(
        self, db: Database, repo: AccountRepository, audit: AuditService, ended: Callable[[str], None]
    ) -> None:
        self._db = db
        self._repo = repo
        self._audit = audit
        # The account service's: tells whoever cuts the user's open streams that sessions have ended.
        self._ended = ended

    def tokens(self, actor: Actor) -> list[TokenView]:
        with self._db.read() as conn:
            rows = self._repo.tokens_of(conn, actor.user_id)
        return [
            TokenView(
                r.id,
                r.kind,
                r.name,
                [s for s in r.scopes.split(",") if s],
                r.created_at,
                r.last_seen_at,
                r.last_address,
                r.expires_at,
                r.id == actor.session_id,
                r.client,
            )
            for r in rows
        ]

    def revoke_token(self, actor: Actor, token_id: str, address: str | None = None) -> None:
        with self._db.begin() as conn:
            if not self._repo.delete_token_of(conn, actor.user_id, token_id):
                raise NotFound("No such session or token.")
            self._audit.record(conn, actor, "token.revoke", token_id, {}, address)
        self._ended(actor.user_id)

    def revoke_all(self, actor: Actor, keep_current: bool, address: str | None = None) -> int:
        keep = actor.session_id if keep_current else None
        with self._db.begin() as conn:
            count = self._repo.delete_tokens_of(conn, actor.user_id, keep)
            self._audit.record(conn, actor, "token.revoke_all", actor.user_id, {"count": count}, address)
        self._ended(actor.user_id)
        return count

    def create_api_token(
        self, actor: Actor, name: str, scopes: list[str], days: int, address: str | None = None
    ) -> tuple[str, TokenView]:
        wanted = {TokenScope(s) for s in scopes}
        if not wanted:
            raise InvalidInput("Choose at least one scope.", "scopes")
        if TokenScope.ADMIN in wanted and not actor.is_admin:
            raise PermissionDenied("Only admins can make a token with the admin scope.")
        if not wanted <= actor.token_scopes:
            raise PermissionDenied("A token cannot have more rights than the session that makes it.")
        if not 1 <= days <= 365:
            raise InvalidInput("A token lasts 1 to 365 days.", "days")
        token = "rh_" + secrets.token_urlsafe(32)
        scope_text = ",".join(sorted(wanted))
        expires = time.time() + days * 86400
        label = name.strip()[:128] or "API token"
        with self._db.begin() as conn:
            token_id = self._repo.add_token(
                conn, actor.user_id, hash_secret(token), "api", label, scope_text, expires, address
            )
            self._audit.record(
                conn,
                actor,
                "token.create",
                token_id,
                {"name": label, "scopes": scope_text, "days": days},
                address,
            )
        now = time.time()
        return token, TokenView(token_id, "api", label, sorted(wanted), now, now, address, expires, False)
