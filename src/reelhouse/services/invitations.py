"""Invitations: an admin's link that creates an account with the grants it carries."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reelhouse.domain.access import (
    OTHERS_SIGN_IN,
    Action,
    Actor,
    Role,
    TokenScope,
    can,
    signed_in_with_password,
)
from reelhouse.domain.grants import grants_to_actor
from reelhouse.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.database import Database
from reelhouse.persistence.invitations import InvitationRepository
from reelhouse.services.accounts import AccountService, SignIn, check_username
from reelhouse.services.audit import AuditService
from reelhouse.services.passwords import check_password
from reelhouse.services.tokens import hash_secret
from reelhouse.services.users import check_grants

GONE = "This invitation link is not valid any more. Ask for a new one."
MESSAGE_LENGTH = 500


@dataclass(frozen=True)
class InvitationView:
    id: str
    role: str
    # The admin's own reminder (who it is for); never shown to the person invited.
    note: str | None
    # What the person invited reads on the invite page.
    message: str | None
    grants: dict[str, Any]
    created_at: float
    expires_at: float
    max_uses: int
    uses: int
    revoked: bool
    redeemed_by: list[str]

    @property
    def live(self) -> bool:
        return not self.revoked and self.uses < self.max_uses and self.expires_at > time.time()


@dataclass(frozen=True)
class NewInvitation:
    invitation: InvitationView
    code: str
    url: str


class InvitationService:
    def __init__(
        self,
        db: Database,
        repo: InvitationRepository,
        accounts_repo: AccountRepository,
        accounts: AccountService,
        audit: AuditService,
        setting: Callable[[str], Any],
    ) -> None:
        self._db = db
        self._repo = repo
        self._accounts_repo = accounts_repo
        self._accounts = accounts
        self._audit = audit
        self._setting = setting

    def _view(self, row: Any, redeemed: dict[str, list[str]]) -> InvitationView:
        return InvitationView(
            row.id,
            row.role,
            row.note,
            row.message,
            json.loads(row.grants or "{}"),
            row.created_at,
            row.expires_at,
            row.max_uses,
            row.uses,
            row.revoked_at is not None,
            redeemed.get(row.id, []),
        )

    def _require(self, actor: Actor) -> None:
        if not can(actor, Action.MANAGE_USERS):
            raise PermissionDenied("Only admins can manage invitations.")

    def link_base(self, request_base: str) -> str:
        """The first public URL when one is set (what friends outside can reach), else the caller's host."""
        urls = self._setting("public_urls")
        return (urls[0] if urls else request_base).rstrip("/")

    def create(
        self,
        actor: Actor,
        request_base: str,
        grants: dict[str, Any] | None = None,
        role: Role = Role.MEMBER,
        days: int | None = None,
        max_uses: int = 1,
        note: str | None = None,
        address: str | None = None,
        message: str | None = None,
    ) -> NewInvitation:
        """`grants` must name the libraries it shares (a list of ids, or "all"): nothing is shared by default."""
        self._require(actor)
        if role not in (Role.MEMBER, Role.ADMIN):
            raise InvalidInput("An invitation makes a member or an admin.", "role")
        if role is Role.ADMIN and actor.role is not Role.OWNER:
            raise PermissionDenied("Only the owner can invite admins.")
        if role is Role.ADMIN and not signed_in_with_password(actor):
            # Whoever redeems it chooses the admin's password: that must not be a token holder's way around
            # the rule that only a password sign-in makes admins.
            raise PermissionDenied(OTHERS_SIGN_IN)
        life = self._setting("invitation_days") if days is None else days
        if not 1 <= life <= 365:
            raise InvalidInput("An invitation lasts 1 to 365 days.", "days")
        if not 1 <= max_uses <= 100:
            raise InvalidInput("An invitation can be used 1 to 100 times.", "max_uses")
        checked = check_grants(grants or {})
        if "libraries" not in checked:
            raise InvalidInput(
                "Choose the libraries this invitation shares: a list of library ids, or all of them.",
                "grants.libraries",
            )
        code = secrets.token_urlsafe(24)
        with self._db.begin() as conn:
            invitation_id = self._repo.add(
                conn,
                hash_secret(code),
                actor.user_id,
                time.time() + life * 86400,
                max_uses,
                role.value,
                (note or "").strip()[:200] or None,
                checked,
                (message or "").strip()[:MESSAGE_LENGTH] or None,
            )
            self._audit.record(
                conn,
                actor,
                "invitation.create",
                invitation_id,
                {"role": role.value, "grants": checked, "days": life, "max_uses": max_uses},
                address,
            )
            view = self._view(self._repo.by_id(conn, invitation_id), {})
        # The code rides in the fragment, which browsers never send to servers or put in logs.
        return NewInvitation(view, code, f"{self.link_base(request_base)}/invite#{code}")

    def list(self, actor: Actor) -> list[InvitationView]:
        self._require(actor)
        with self._db.read() as conn:
            redeemed = self._repo.redemptions(conn)
            return [self._view(row, redeemed) for row in self._repo.all(conn)]

    def revoke(self, actor: Actor, invitation_id: str, address: str | None = None) -> None:
        self._require(actor)
        with self._db.begin() as conn:
            if self._repo.by_id(conn, invitation_id) is None:
                raise NotFound("No such invitation.")
            if not self._repo.revoke(conn, invitation_id):
                raise Conflict("That invitation was already revoked.")
            self._audit.record(conn, actor, "invitation.revoke", invitation_id, {}, address)

    def check(self, code: str, address: str | None) -> InvitationView:
        """What a live invitation offers, for the redeem page; a bad code counts as a failed attempt."""
        self._accounts.throttle.check("#invite", address)
        with self._db.read() as conn:
            row = self._repo.by_code(conn, hash_secret(code.strip()))
        if row is None:
            self._accounts.throttle.failed("#invite", address)
            raise NotFound(GONE)
        view = self._view(row, {})
        if not view.live:
            raise NotFound(GONE)
        return view

    def redeem(self, code: str, username: str, password: str, address: str | None) -> SignIn:
        """Creating the account, taking a use and applying the grants happen in one transaction."""
        self.check(code, address)
        name = check_username(username)
        check_password(password, name)
        password_hash = self._accounts.passwords.hash(password)
        with self._db.begin() as conn:
            row = self._repo.by_code(conn, hash_secret(code.strip()))
            if row is None or not self._repo.claim(conn, row.id, time.time()):
                raise NotFound(GONE)
            if self._accounts_repo.user_by_name(conn, name) is not None:
                raise Conflict(f"The username '{name}' is taken; choose another.")
            grants = json.loads(row.grants or "{}")
            user_id = self._accounts_repo.add_user(conn, name, row.role, password_hash, grants)
            self._repo.record_redemption(conn, row.id, user_id, name)
            who = grants_to_actor(user_id, name, row.role, row.grants, ",".join(TokenScope), None)
            self._audit.record(
                conn,
                who,
                "invitation.redeem",
                row.id,
                {"username": name, "user_id": user_id, "grants": grants},
                address,
            )
        return self._accounts.sign_in(name, password, address, "web")
