"""Friends who sign in with their home server. Home's owner grants a friend (a local user there) libraries on a
linked server; that server keeps a federated user for the friend (issuer: home's key fingerprint; subject: the
friend's id on home). To sign in there, the friend's client takes a single-use nonce from that server, asks
home for a short JWT (EdDSA, home's peer key) naming the nonce and that server, and hands it over; that server
checks it against the key pinned by an active link with the identity scope and opens its own session.

Trust is never transitive: a token is checked only with the key of the link its issuer names, so a server
cannot vouch for another's users. Tokens and nonces are never logged."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from typing import Any

import jwt
from sqlalchemy.exc import IntegrityError

from reelhouse.domain.access import Action, Actor, Role, can
from reelhouse.domain.grants import account_ended
from reelhouse.domain.peers import LinkState, PeerScope
from reelhouse.errors import (
    AuthenticationRequired,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyRequests,
    Unavailable,
)
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.database import Database
from reelhouse.persistence.federation import FederationRepository
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.persistence.peers import PeerRepository
from reelhouse.services.accounts import AccountService, SignIn
from reelhouse.services.audit import AuditService
from reelhouse.services.peer_audit import traced
from reelhouse.services.peer_links import LINK_GONE, Caller, IdentityChanged, PeerLinks, Unreachable
from reelhouse.services.peer_signing import public_key_of
from reelhouse.services.revocations import Revocations
from reelhouse.services.users import check_grants

NONCE_SECONDS = 300
TOKEN_SECONDS = 300
LEEWAY_SECONDS = 120
MAX_OPEN_NONCES = 1000
REFUSED = "This sign-in token is not accepted here."
_SUBJECT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_REQUIRED = ["exp", "iat", "nbf", "aud", "iss", "sub", "jti"]


_SYSTEM = {"user": "system", "name": "Reelhouse", "role": "system"}
log = logging.getLogger(__name__)


def _limits(raw: Any) -> dict[str, Any]:
    """The limits a friend's grant carries besides its libraries: the local sharing editor's, checked alike."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or "libraries" in raw:
        raise InvalidInput("Limits are permissions other than libraries.", "limits")
    return check_grants(raw)


def _seq(body: dict[str, Any]) -> int:
    seq = body.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq < 2**62:
        raise InvalidInput("A change of a federated user carries its sequence number.", "seq")
    return seq


def _older(row: Any, link_id: str, seq: int) -> bool:
    """Whether a change numbered ``seq`` over this link comes after a newer one already applied. A link made by
    pairing again starts its own sequence."""
    return row is not None and row.link_id == link_id and seq <= row.seq


def _human(actor: Actor) -> dict[str, Any]:
    return {"user": actor.user_id, "name": actor.username, "role": actor.role.value}


class FederationService:
    def __init__(
        self,
        db: Database,
        repo: FederationRepository,
        peers: PeerRepository,
        accounts_repo: AccountRepository,
        libraries: LibraryRepository,
        links: PeerLinks,
        accounts: AccountService,
        audit: AuditService,
        revocations: Revocations,
    ) -> None:
        self.revocations = revocations
        self._db = db
        self._repo = repo
        self._peers = peers
        self._accounts_repo = accounts_repo
        self._libraries = libraries
        self._links = links
        self._accounts = accounts
        self._audit = audit

    # -- the linked server: a home server asks -----------------------------------------------------------

    def libraries_document(self) -> dict[str, Any]:
        """What a home server's owner may grant here: ids, names and kinds of libraries, nothing inside."""
        with self._db.read() as conn:
            found = self._libraries.list(conn)
        return {"libraries": [{"id": lib.id, "name": lib.name, "kind": lib.kind.value} for lib in found]}

    def _issuer(self, conn: Any, caller: Caller) -> Any:
        row = self._peers.link(conn, caller.link_id)
        if row is None or row.state != LinkState.ACTIVE.value:
            raise PermissionDenied("This link is not active.")
        return row

    def grant(
        self, caller: Caller, subject: str, body: dict[str, Any], evidence: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Create or update the federated user for ``subject`` of the calling server, with these libraries.
        ``evidence``: the signed request as received, kept in the audit entry (as remote settings changes do)."""
        if not _SUBJECT.fullmatch(subject):
            raise InvalidInput("A subject is the friend's user id on their home server.", "subject")
        name = body.get("display_name")
        wanted = body.get("libraries")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 32:
            raise InvalidInput("A display name is 1 to 32 characters.", "display_name")
        if not isinstance(wanted, list) or not all(isinstance(x, str) for x in wanted):
            raise InvalidInput("Libraries are a list of library ids.", "libraries")
        limits = _limits(body.get("limits"))
        seq = _seq(body)
        with self._db.begin() as conn:
            link = self._issuer(conn, caller)
            known = {lib.id for lib in self._libraries.list(conn)}
            unknown = [x for x in wanted if x not in known]
            if unknown:
                raise InvalidInput("No library has that id here.", "libraries")
            shown = f"{name.strip()} (from {link.name})"[:64]
            grants = {**limits, "libraries": sorted(set(wanted))}
            row = self._repo.principal(conn, link.fingerprint, subject)
            if _older(row, link.id, seq):
                return {**self._grants_of(conn, row.user_id), "user_id": row.user_id, "stale": True}
            if row is None:
                taken = self._accounts_repo.user_by_name(conn, shown) is not None
                username = f"{shown[:50]} #{subject[:8]}" if taken else shown
                user_id = self._accounts_repo.add_user(conn, username, Role.MEMBER.value, None, grants)
                self._repo.add_principal(conn, link.fingerprint, subject, user_id, link.id, time.time())
            else:
                user_id = row.user_id
                self._accounts_repo.update_user(conn, user_id, grants=grants, disabled=False)
                self._repo.set_revoked(conn, link.fingerprint, subject, None)
            self._repo.set_seq(conn, link.fingerprint, subject, seq, link.id)
            detail = traced({"link": link.id, "libraries": grants["libraries"]}, body, evidence)
            self._audit.record(conn, None, "federation.grant", user_id, detail)
        return {"user_id": user_id, "libraries": grants["libraries"], "limits": limits}

    def _grants_of(self, conn: Any, user_id: str) -> dict[str, Any]:
        user = self._accounts_repo.user_by_id(conn, user_id)
        grants = json.loads(user.grants or "{}") if user is not None else {}
        libraries = grants.pop("libraries", [])
        return {"libraries": libraries if isinstance(libraries, list) else [], "limits": grants}

    def principal_document(self, caller: Caller, subject: str) -> dict[str, Any]:
        """What the calling server's user may do here now (this server's admins may have changed it)."""
        with self._db.read() as conn:
            link = self._issuer(conn, caller)
            row = self._repo.principal(conn, link.fingerprint, subject[:64])
            if row is None or row.revoked_at is not None:
                raise NotFound("No such federated user.")
            return {**self._grants_of(conn, row.user_id), "user_id": row.user_id}

    def revoke(
        self, caller: Caller, subject: str, body: dict[str, Any], evidence: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Refuse the federated user from now on and end its sessions, unless the calling server already
        sent a newer change for it (a late or reordered revocation never undoes a newer grant)."""
        seq = _seq(body)
        with self._db.begin() as conn:
            link = self._issuer(conn, caller)
            row = self._repo.principal(conn, link.fingerprint, subject[:64])
            if row is None:
                raise NotFound("No such federated user.")
            if _older(row, link.id, seq):
                return {"revoked": row.revoked_at is not None, "stale": True}
            self._repo.set_seq(conn, link.fingerprint, row.subject, seq, link.id)
            self._repo.set_revoked(conn, link.fingerprint, row.subject, time.time())
            self._accounts_repo.update_user(conn, row.user_id, disabled=True)
            self._accounts_repo.delete_tokens_of(conn, row.user_id)
            kept = traced({"link": link.id}, body, evidence)
            self._audit.record(conn, None, "federation.revoke", row.user_id, kept)
        if self._accounts.on_sessions_ended is not None:
            self._accounts.on_sessions_ended(row.user_id)
        return {"revoked": True}

    # -- the linked server: a friend signs in ------------------------------------------------------------

    def issue_nonce(self) -> dict[str, str]:
        nonce = secrets.token_urlsafe(24)
        now = time.time()
        with self._db.begin() as conn:
            # A public route that writes a row: bounded, so that nobody can fill the database with nonces.
            if self._repo.open_nonces(conn, now - NONCE_SECONDS) >= MAX_OPEN_NONCES:
                raise TooManyRequests("Too many sign-ins are under way; try again in a minute.", 60)
            self._repo.add_nonce(conn, nonce, now, 3600.0)
        return {"nonce": nonce, "aud": self._links.identity.fingerprint}

    def sign_in(self, token: str, address: str | None) -> SignIn:
        """Check a token from a linked server (see the module docstring) and open a session here."""
        if not isinstance(token, str) or not 1 <= len(token) <= 4096:
            raise AuthenticationRequired(REFUSED)
        try:
            claimed = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthenticationRequired(REFUSED) from None
        issuer = claimed.get("iss")
        with self._db.read() as conn:
            link = self._peers.link_by_fingerprint(conn, issuer) if isinstance(issuer, str) else None
        if (
            link is None
            or link.state != LinkState.ACTIVE.value
            or PeerScope.IDENTITY.value not in json.loads(link.scopes_to_peer)
            or not link.spki
        ):
            raise AuthenticationRequired(REFUSED)
        key = public_key_of(bytes.fromhex(link.spki))
        if key is None:
            raise AuthenticationRequired(REFUSED)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=self._links.identity.fingerprint,
                issuer=link.fingerprint,
                leeway=LEEWAY_SECONDS,
                options={"require": _REQUIRED},
            )
        except jwt.PyJWTError:
            raise AuthenticationRequired(REFUSED) from None
        subject, jti, nonce = (str(claims.get(k) or "") for k in ("sub", "jti", "nonce"))
        if not all(1 <= len(x) <= 128 for x in (subject, jti, nonce)):
            raise AuthenticationRequired(REFUSED)
        now = time.time()
        try:
            with self._db.begin() as conn:
                principal = self._repo.principal(conn, link.fingerprint, subject)
                if principal is None or principal.revoked_at is not None:
                    raise AuthenticationRequired("You have not been given access to this server.")
                if not self._repo.use_nonce(conn, nonce, now, NONCE_SECONDS):
                    raise AuthenticationRequired(REFUSED)
                if not self._repo.use_jti(conn, jti, now):
                    raise AuthenticationRequired(REFUSED)
        except IntegrityError:
            raise AuthenticationRequired(REFUSED) from None
        return self._accounts.issue_federated(principal.user_id, address)

    # -- the home server: its owner grants, its users ask for tokens ---------------------------------------

    def _link(self, link_id: str, scope: PeerScope) -> Any:
        with self._db.read() as conn:
            row = self._peers.link(conn, link_id)
        if row is None or row.state != LinkState.ACTIVE.value:
            raise NotFound("No such linked server.")
        if scope.value not in json.loads(row.scopes_from_peer):
            raise PermissionDenied("This link does not allow that.")
        return row

    def _ask(self, actor: Actor, link_id: str, method: str, path: str, body: Any) -> dict[str, Any]:
        """A signed request over the link on the admin's behalf; the linked server's refusal becomes this
        server's own error with its sentence, never a 500."""
        row = self._link(link_id, PeerScope.USERS)
        try:
            status, answer = self._links.exchange(link_id, method, path, body, _human(actor))
        except Unreachable:
            raise Unavailable(f"{row.name} is not answering; try again when it is online.", 30) from None
        except IdentityChanged:
            raise Conflict(f"{row.name} answered with another key: link it again first.") from None
        if status == 200:
            return answer
        said = f"{row.name} refused: {str(answer.get('message') or '')[:300]}"
        if status == 403 or (status == 401 and answer.get("error") in LINK_GONE):
            raise PermissionDenied(said)
        if status == 404:
            raise NotFound(said)
        if status in (400, 422):
            raise InvalidInput(said)
        raise Unavailable(f"{row.name} answered HTTP {status}.", 30)

    def remote_libraries(self, actor: Actor, link_id: str) -> dict[str, Any]:
        if not can(actor, Action.MANAGE_USERS):
            raise PermissionDenied("Only admins can share a linked server's libraries.")
        return self._ask(actor, link_id, "GET", "/peer/v1/libraries", None)

    def remote_principal(self, actor: Actor, link_id: str, user_id: str) -> dict[str, Any]:
        """What a user of this server may do on a linked server, as that server says: the Users page's form."""
        if not can(actor, Action.MANAGE_USERS):
            raise PermissionDenied("Only admins can share a linked server's libraries.")
        if not _SUBJECT.fullmatch(user_id):
            raise NotFound("No such user.")
        return self._ask(actor, link_id, "GET", f"/peer/v1/principals/{user_id}", None)

    def share(
        self,
        actor: Actor,
        link_id: str,
        user_id: str,
        libraries: list[str],
        limits: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if not can(actor, Action.MANAGE_USERS):
            raise PermissionDenied("Only admins can share a linked server's libraries.")
        with self._db.read() as conn:
            user = self._accounts_repo.user_by_id(conn, user_id[:32])
        if user is None or user.role == Role.MANAGED.value:
            raise NotFound("No such user.")
        body = {"display_name": user.username, "libraries": libraries, "limits": _limits(limits)}
        self._link(link_id, PeerScope.USERS)
        body["seq"] = self.revocations.next_seq(link_id)
        body["request_id"] = secrets.token_hex(16)
        answer = self._ask(actor, link_id, "PUT", f"/peer/v1/principals/{user.id}", body)
        with self._db.begin() as conn:
            self._repo.set_share(conn, link_id, user.id, json.dumps(answer.get("libraries")), time.time())
            sent = {"link": link_id, "request_id": body["request_id"]}
            self._audit.record(conn, actor, "federation.share", user.id, sent)
        return answer

    def unshare(self, actor: Actor, link_id: str, user_id: str) -> dict[str, Any]:
        if not can(actor, Action.MANAGE_USERS):
            raise PermissionDenied("Only admins can share a linked server's libraries.")
        if not _SUBJECT.fullmatch(user_id):
            raise NotFound("No such user.")
        self._link(link_id, PeerScope.USERS)
        # Through the outbox: a server that does not answer now is told as soon as it answers again.
        sent = self.revocations.revoke_principal(actor, link_id, user_id)
        with self._db.begin() as conn:
            self._repo.drop_share(conn, link_id, user_id)
            detail = {"link": link_id, "told": sent["delivered"]}
            self._audit.record(conn, actor, "federation.unshare", user_id, detail)
        return {"revoked": sent["delivered"], "queued": sent["state"] == "pending"}

    def user_changed(self, user_id: str) -> None:
        """After an admin changed or deleted a user here: once the account has ended (deleted, disabled, past
        its end date), tell every linked server it was shared on to revoke it; one that does not answer is told
        from the outbox once it answers again."""
        with self._db.read() as conn:
            user = self._accounts_repo.user_by_id(conn, user_id)
            links = self._repo.shared_links(conn, user_id)
        if not links or (user is not None and not account_ended(user.grants, user.disabled)):
            return
        for link_id in links:
            sent = self.revocations.revoke_principal(None, link_id, user_id)
            with self._db.begin() as conn:
                self._repo.drop_share(conn, link_id, user_id)
                detail = {"link": link_id, "told": sent["delivered"]}
                self._audit.record(conn, None, "federation.unshare", user_id, detail)

    def shared_with(self, actor: Actor) -> list[str]:
        """The active links whose servers were asked to let this user in: where they may sign in."""
        with self._db.read() as conn:
            ids = self._repo.shared_links(conn, actor.user_id)
            active = {r.id for r in self._peers.links(conn) if r.state == LinkState.ACTIVE.value}
        return [i for i in ids if i in active]

    def token_for(self, actor: Actor, link_id: str, nonce: str) -> dict[str, Any]:
        """A token for the signed-in user to present to a linked server, for that server's nonce."""
        if not isinstance(nonce, str) or not 16 <= len(nonce) <= 128:
            raise InvalidInput("Ask the linked server for a sign-in nonce first.", "nonce")
        row = self._link(link_id, PeerScope.IDENTITY)
        with self._db.read() as conn:
            shared = self._repo.is_shared(conn, link_id, actor.user_id)
        # The linked server decides too; asking here first keeps home from vouching where it never shared.
        if not shared:
            raise PermissionDenied(f"{row.name} has not been shared with you.")
        return self._mint(row.fingerprint, actor.user_id, nonce)

    def mint_for(self, link_id: str, user_id: str, nonce: str) -> dict[str, Any]:
        """A token for a user of this server whose home-sign-in code the linked server just redeemed
        (services/home_sign_in.py): the same checks as token_for, for a user who is not the caller."""
        row = self._link(link_id, PeerScope.IDENTITY)
        with self._db.read() as conn:
            user = self._accounts_repo.user_by_id(conn, user_id)
            shared = self._repo.is_shared(conn, link_id, user_id)
        if user is None or account_ended(user.grants, user.disabled) or not shared:
            raise PermissionDenied(f"{row.name} has not been shared with that user.")
        return self._mint(row.fingerprint, user_id, nonce)

    def _mint(self, audience: str, user_id: str, nonce: str) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self._links.identity.fingerprint,
            "sub": user_id,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_SECONDS,
            "jti": secrets.token_urlsafe(16),
            "nonce": nonce,
        }
        token = jwt.encode(claims, self._links.identity.key, algorithm="EdDSA")
        return {"token": token, "expires_at": claims["exp"]}
