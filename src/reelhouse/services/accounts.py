"""Accounts: first-run setup, sign-in (password, PIN, second factor), and the tokens that authenticate. What a
person does with their own sessions and API tokens is services/tokens.py (``AccountService.own_tokens``)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from reelhouse.domain.access import (
    OTHERS_SIGN_IN,
    Actor,
    Credential,
    Role,
    TokenScope,
    signed_in_with_password,
)
from reelhouse.domain.grants import account_ended, grants_to_actor
from reelhouse.domain.ids import UserId
from reelhouse.errors import AuthenticationRequired, Conflict, InvalidInput, PermissionDenied
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.database import Database
from reelhouse.services.audit import AuditService
from reelhouse.services.passwords import Passwords, check_password, check_pin, password_problems
from reelhouse.services.throttle import Attempt, Throttle
from reelhouse.services.tokens import OwnTokens, hash_secret
from reelhouse.services.twofactor import TwoFactorService
from reelhouse.services.users import check_grants

SESSION_IDLE = 14 * 86400
SESSION_ABSOLUTE = 90 * 86400
# A TV app may sit unused for weeks; its token is listed on the Account page and revocable there.
DEVICE_IDLE = 90 * 86400
DEVICE_ABSOLUTE = 365 * 86400
# A friend signed in with their home server's word: it must be asked again twice a day, and at least weekly.
FEDERATED_CLIENT = "federated"
FEDERATED_IDLE = 12 * 3600
FEDERATED_ABSOLUTE = 7 * 86400
TOUCH_EVERY = 60.0
# A remembered address's time only orders which addresses are forgotten first (the oldest beyond the kept
# number), so a sign-in from one seen within the hour leaves its row alone and writes less per sign-in.
ADDRESS_REFRESH = 3600.0
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
FAILED = "That username and password do not match."
TWO_FACTOR_APPS = (
    "This account uses two-factor sign-in, which apps cannot ask for. Choose Quick Connect in the app and "
    "enter the code it shows on the Account page of Reelhouse's web page."
)
Setting = Callable[[str], Any]


def check_username(username: str) -> str:
    name = username.strip()
    if not 1 <= len(name) <= 32 or not set(name) <= USERNAME_CHARS:
        raise InvalidInput("A username is 1 to 32 letters, digits, dots, dashes or underscores.", "username")
    return name


NOT_THE_SAME = "does not match the password"


def check_new_account(username: str, password: str, password_again: str | None = None) -> None:
    """Every problem with a new account's form at once (username, each password rule, the repeat), as the
    settings forms name all theirs: one round trip per problem wears a person out."""
    fields: dict[str, str] = {}
    try:
        check_username(username)
    except InvalidInput as exc:
        fields.update(exc.fields)
    found = password_problems(password, username.strip())
    if found:
        fields["password"] = " ".join(found)
    if password_again is not None and password_again != password:
        fields["password_again"] = NOT_THE_SAME
    if fields:
        only = next(iter(fields.values())) if len(fields) == 1 else ""
        raise InvalidInput(only if only[:1].isupper() else "Some of what you entered needs changing.", fields)


@dataclass(frozen=True)
class SignIn:
    token: str
    actor: Actor
    expires_at: float


@dataclass(frozen=True)
class DeviceApp:
    """An app signing in for one device, as it names itself; its token is tied to the device's id."""

    client: str
    device: str
    device_id: str


class AccountService:
    def __init__(
        self,
        db: Database,
        repo: AccountRepository,
        audit: AuditService,
        passwords: Passwords,
        twofactor: TwoFactorService,
        setting: Setting,
        throttle: Throttle | None = None,
    ) -> None:
        self._db = db
        self._repo = repo
        self._audit = audit
        self.passwords = passwords
        self._twofactor = twofactor
        self._setting = setting
        self.throttle = throttle or Throttle()
        # Told the user id once sessions have ended (the media access decision cuts what they opened).
        self.on_sessions_ended: Callable[[str], object] | None = None
        self.own_tokens = OwnTokens(db, repo, audit, self._ended)

    def _ended(self, user_id: str) -> None:
        if self.on_sessions_ended is not None:
            self.on_sessions_ended(user_id)

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

    def complete_setup(
        self, code: str, username: str, password: str, address: str | None, home: bool = False
    ) -> SignIn:
        name = check_username(username)
        check_password(password, name)
        with self.throttle.attempt("#setup", address) as attempt:
            password_hash = self.passwords.hash(password)
            with self._db.begin() as conn:
                if self._repo.count_users(conn) > 0:
                    raise Conflict("This server already has an owner.")
                right = self._repo.setup_code_matches(conn, hash_secret(code.strip().lower()))
                if right:
                    user_id = self._repo.add_user(conn, name, Role.OWNER.value, password_hash, {})
                    self._repo.clear_setup_codes(conn)
                    who = grants_to_actor(user_id, name, Role.OWNER.value, "{}", ",".join(TokenScope), None)
                    self._audit.record(conn, who, "setup.owner_created", user_id, {"username": name}, address)
                else:
                    self._audit.record(conn, None, "setup.failed", None, {}, address)
            if not right:
                attempt.failed()
                raise AuthenticationRequired("That setup code is not right. Look for it in the server's log.")
            attempt.succeeded()
        return self.sign_in(name, password, address, "web", home=home)

    def create_user(
        self,
        actor: Actor,
        username: str,
        role: Role,
        password: str | None,
        pin: str | None = None,
        grants: dict[str, Any] | None = None,
        address: str | None = None,
    ) -> UserId:
        """Admins create members and managed profiles, the owner also admins; the CLI acts as the owner."""
        if not actor.is_admin or TokenScope.ADMIN not in actor.token_scopes:
            raise PermissionDenied("Only admins can create users.")
        if role is Role.ADMIN and actor.role is not Role.OWNER:
            raise PermissionDenied("Only the owner can create admins.")
        if role is Role.ADMIN and not signed_in_with_password(actor):
            # An admin made with a password of the token holder's choosing would outlive the token.
            raise PermissionDenied(OTHERS_SIGN_IN)
        name = check_username(username)
        # The same check as a grants change: a stored grant the actor builder cannot read would lock the user out.
        grants = check_grants(grants or {})
        secret_hash = None
        if role is Role.MANAGED and "libraries" not in grants:
            # A child's profile shares nothing until the owner says which libraries it sees.
            raise InvalidInput(
                "Choose the libraries this profile sees: a list of library ids, or all of them.",
                "grants.libraries",
            )
        if role is Role.MANAGED:
            if password is not None:
                raise InvalidInput("A managed profile has no password; give it a PIN.", "password")
            if pin:
                check_pin(pin)
                secret_hash = self.passwords.hash(pin)
        elif password is None:
            raise InvalidInput("A password is required.", "password")
        else:
            check_password(password, name)
            secret_hash = self.passwords.hash(password)
        with self._db.begin() as conn:
            if self._repo.user_by_name(conn, name) is not None:
                raise Conflict(f"A user named '{name}' already exists.")
            if role is Role.OWNER and self._repo.owner(conn) is not None:
                raise Conflict("This server already has an owner; there is exactly one.")
            user_id = self._repo.add_user(conn, name, role.value, secret_hash, grants or {})
            if role is Role.OWNER:
                self._repo.clear_setup_codes(conn)
            self._audit.record(
                conn,
                actor,
                "user.create",
                user_id,
                {"username": name, "role": role.value, "grants": grants or {}},
                address,
            )
        return user_id

    def list_users(self) -> list[dict[str, Any]]:
        with self._db.read() as conn:
            return [
                {"id": u.id, "username": u.username, "role": u.role, "disabled": bool(u.disabled)}
                for u in self._repo.list_users(conn)
            ]

    # Sign-in -------------------------------------------------------------------------------
    def sign_in(
        self,
        username: str,
        password: str,
        address: str | None,
        device: str,
        totp: str | None = None,
        home: bool = False,
        app: DeviceApp | None = None,
    ) -> SignIn:
        """`home`: the peer is on the home network, where guesses from elsewhere never lock the account.
        `app`: an app's device sign-in; it gets a device token, and cannot answer a second factor."""
        account = username.strip().casefold()[:64]
        user = None
        if len(username) <= 64:
            # One statement for the user, their second factor and this address: sign-in throughput is the
            # hash's, nearly, so what surrounds the hash is kept to a read and a write.
            with self._db.read() as conn:
                user = self._repo.user_for_sign_in(conn, account, address)
        seen_at: float | None = user.address_seen_at if user is not None and address is not None else None
        known = home or seen_at is not None
        second_factor = user is not None and user.second_factor_at is not None
        # Counted before the hash is checked, so concurrent guesses cannot all slip past the counters.
        with self.throttle.attempt(account, address, known) as attempt:
            # The same hash work is done for unknown users, so timing does not tell who exists.
            ok = self.passwords.verify(user.password_hash if user else None, password[:256])
            # Managed profiles have a PIN, not a password: they sign in through the profile picker only.
            if (
                user is None
                or not ok
                or user.role == Role.MANAGED.value
                or account_ended(user.grants, user.disabled)
            ):
                self._fail(attempt, address, username)
                raise AuthenticationRequired(FAILED)
            if second_factor:
                if app is not None:
                    # The password was right, so this says nothing a guesser could use.
                    raise AuthenticationRequired(TWO_FACTOR_APPS)
                if not totp:
                    raise InvalidInput("Enter the code from your authenticator app.", "totp")
                if not self._twofactor.verify(user.id, totp):
                    self._fail(attempt, address, username, "two-factor")
                    raise InvalidInput("That two-factor code is not right.", "totp")
            if (
                not home
                and not grants_to_actor(
                    user.id, user.username, user.role, user.grants, "", None
                ).permissions.may_connect_remotely
            ):
                # Refused before the address is remembered: a remembered address is exempt from the per-account
                # counter, and every token this sign-in could give would be refused from here anyway.
                raise PermissionDenied("Your account may not connect from outside the home network.")
            if self.passwords.needs_rehash(user.password_hash):
                with self._db.begin() as conn:
                    self._repo.set_password_hash(conn, user.id, self.passwords.hash(password))
            attempt.succeeded()
        if app is not None:
            return self._issue(
                user, address, app.device, "auth.device_login", Credential.DEVICE, app, True, seen_at
            )
        return self._issue(
            user, address, device[:128] or "web", "auth.login", Credential.SESSION, seen_at=seen_at
        )

    def issue_device_token(self, user_id: str, app: DeviceApp, address: str | None, action: str) -> SignIn:
        """A device token for an app the user approved from a signed-in session (Quick Connect)."""
        with self._db.read() as conn:
            user = self._repo.user_by_id(conn, user_id)
        if user is None or user.role == Role.MANAGED.value or account_ended(user.grants, user.disabled):
            raise AuthenticationRequired("This account cannot sign in.")
        return self._issue(user, address, app.device, action, Credential.DEVICE, app)

    def issue_federated(self, user_id: str, address: str | None) -> SignIn:
        """A session for a federated user whose home server's token was checked (services/federation.py):
        a device-like token (it never changes how an account signs in) with the shorter federated limits."""
        with self._db.read() as conn:
            user = self._repo.user_by_id(conn, user_id)
        if user is None or account_ended(user.grants, user.disabled):
            raise AuthenticationRequired("This account cannot sign in.")
        app = DeviceApp(FEDERATED_CLIENT, "federated sign-in", "")
        return self._issue(user, address, app.device, "auth.federated_login", Credential.DEVICE, app)

    def sign_in_profile(self, user_id: str, pin: str, address: str | None, home: bool) -> SignIn:
        """A managed profile picked from the list: home network only, PIN when one is set."""
        key = f"#profile:{user_id[:32]}"
        with self._db.read() as conn:
            user = self._repo.user_by_id(conn, user_id)
        stored = user.password_hash if user else None
        with self.throttle.attempt(key, address) as attempt:
            # Always one hash's work, so a PIN-less profile does not answer faster than one with a PIN.
            pin_ok = self.passwords.verify(stored, pin[:16])
            usable = (
                home
                and user is not None
                and user.role == Role.MANAGED.value
                and not account_ended(user.grants, user.disabled)
                and (pin_ok if stored is not None else pin == "")
            )
            if not usable or user is None:
                self._fail(attempt, address, user_id[:32], "profile")
                raise AuthenticationRequired("That profile or PIN is not right.")
            attempt.succeeded()
        return self._issue(user, address, "profile", "auth.profile_login", Credential.PROFILE)

    def _fail(self, attempt: Attempt, address: str | None, username: str, why: str = "password") -> None:
        attempt.failed()
        with self._db.begin() as conn:
            self._audit.record(
                conn, None, "auth.login_failed", None, {"username": username[:64], "factor": why}, address
            )

    def _issue(
        self,
        user: Any,
        address: str | None,
        device: str,
        action: str,
        credential: Credential,
        app: DeviceApp | None = None,
        password: bool = False,
        seen_at: float | None = None,
    ) -> SignIn:
        """`password`: the device proved the password, so its address is remembered as a session's is.
        `seen_at`: when the user last signed in from `address`, as read before the hash (None: never)."""
        token = secrets.token_urlsafe(32)
        device = device[:128] or (app.client[:128] if app else "") or "app"
        lifetime = DEVICE_ABSOLUTE if credential is Credential.DEVICE else SESSION_ABSOLUTE
        if app is not None and app.client == FEDERATED_CLIENT:
            lifetime = FEDERATED_ABSOLUTE
        expires = time.time() + lifetime
        scopes = ",".join(TokenScope)
        replaced = 0
        detail = {"device": device} if app is None else {"device": device, "client": app.client[:128]}
        with self._db.begin() as conn:
            if app is not None and app.device_id:
                # One token per device: signing in again from it ends the one before.
                replaced = self._repo.delete_device_tokens(conn, user.id, app.device_id[:128])
            session_id = self._repo.add_token(
                conn,
                user.id,
                hash_secret(token),
                credential.value,
                device,
                scopes,
                expires,
                address,
                device_id=app.device_id[:128] if app else None,
                client=app.client[:128] if app else None,
            )
            if (
                (credential is Credential.SESSION or password)
                and address is not None
                and (seen_at is None or time.time() - seen_at > ADDRESS_REFRESH)
            ):
                self._repo.remember_address(conn, user.id, address)
            actor = grants_to_actor(user.id, user.username, user.role, user.grants, scopes, session_id)
            self._audit.record(conn, actor, action, user.id, detail, address)
        if replaced:
            self._ended(user.id)
        return SignIn(token, replace(actor, credential=credential), expires)

    def authenticate(self, token: str, address: str | None) -> Actor | None:
        if not token or len(token) > 128:
            return None
        with self._db.read() as conn:
            row = self._repo.token_with_user(conn, hash_secret(token))
        now = time.time()
        if row is None or account_ended(row.grants, row.disabled, now):
            return None
        if row.expires_at is not None and row.expires_at < now:
            return None
        credential = next((c for c in Credential if c.value == row.kind), None)
        if credential in (Credential.MUSIC_KEY, Credential.MUSIC_PASSWORD):
            # A music app's key works on the Subsonic API alone (services/music_apps.py), never as a token here.
            return None
        idle = DEVICE_IDLE if credential is Credential.DEVICE else SESSION_IDLE
        if row.client == FEDERATED_CLIENT:
            idle = FEDERATED_IDLE
        if credential is not Credential.API and row.last_seen_at + idle < now:
            return None
        if now - row.last_seen_at > TOUCH_EVERY:
            with self._db.begin() as conn:
                self._repo.touch_token(conn, row.token_id, address)
        scopes = row.scopes
        if (
            row.role in (Role.OWNER.value, Role.ADMIN.value)
            and row.second_factor is None
            and self._setting("require_2fa_for_admins")
        ):
            # Until they enrol, an admin's sessions keep every right except administering.
            scopes = ",".join(s for s in scopes.split(",") if s != TokenScope.ADMIN.value)
        who = grants_to_actor(row.user_id, row.username, row.role, row.grants, scopes, row.token_id)
        return replace(who, credential=credential)

    def sign_out(self, actor: Actor) -> None:
        if actor.session_id is None:
            return
        with self._db.begin() as conn:
            self._repo.delete_token(conn, actor.session_id)
            self._audit.record(conn, actor, "auth.logout", actor.user_id)
        self._ended(actor.user_id)

    def change_password(self, actor: Actor, current: str, new: str, address: str | None = None) -> None:
        with self._db.read() as conn:
            user = self._repo.user_by_id(conn, actor.user_id)
        if user is None or user.password_hash is None:
            raise InvalidInput("This account has no password.", "current_password")
        with self.throttle.attempt(user.username_key, address, True) as attempt:
            if not self.passwords.verify(user.password_hash, current[:256]):
                self._fail(attempt, address, user.username, "password-change")
                raise InvalidInput("The current password is not right.", "current_password")
            attempt.succeeded()
        check_password(new, user.username)
        new_hash = self.passwords.hash(new)
        with self._db.begin() as conn:
            self._repo.set_password_hash(conn, user.id, new_hash)
            # A changed password ends every session and token, this one too.
            self._repo.delete_tokens_of(conn, user.id)
            self._audit.record(conn, actor, "user.password_change", user.id, {}, address)
        self._ended(user.id)

    def check_own_password(self, actor: Actor, password: str, address: str | None) -> None:
        with self._db.read() as conn:
            user = self._repo.user_by_id(conn, actor.user_id)
        key = user.username_key if user else actor.user_id
        with self.throttle.attempt(key, address, True) as attempt:
            if user is None or not self.passwords.verify(user.password_hash, password[:256]):
                self._fail(attempt, address, actor.username, "password-check")
                raise InvalidInput("The password is not right.", "password")
            attempt.succeeded()
