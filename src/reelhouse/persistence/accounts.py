"""Users, hashed tokens, the addresses users signed in from, and setup codes."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update

from reelhouse.domain.ids import UserId, new_id
from reelhouse.persistence.schema import auth_tokens, second_factors, setup_codes, sign_in_addresses, users

# Enough for a household's devices and a few years of a laptop's travels; the oldest are forgotten first.
ADDRESSES_KEPT = 64

# Built once: a sign-in's read is on the path whose cost is meant to be its password hash's, nearly.
_SIGN_IN_READ = (
    select(
        users,
        second_factors.c.confirmed_at.label("second_factor_at"),
        sign_in_addresses.c.last_at.label("address_seen_at"),
    )
    .select_from(
        users.outerjoin(second_factors, second_factors.c.user_id == users.c.id).outerjoin(
            sign_in_addresses,
            and_(
                sign_in_addresses.c.user_id == users.c.id,
                sign_in_addresses.c.address == bindparam("address"),
            ),
        )
    )
    .where(users.c.username_key == bindparam("key"))
)


class AccountRepository:
    def count_users(self, conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    def add_user(
        self, conn: Connection, username: str, role: str, password_hash: str | None, grants: dict[str, Any]
    ) -> UserId:
        user_id = UserId(new_id())
        conn.execute(
            insert(users).values(
                id=user_id,
                username=username,
                username_key=username.casefold(),
                role=role,
                password_hash=password_hash,
                disabled=False,
                created_at=time.time(),
                grants=json.dumps(grants),
            )
        )
        return user_id

    def user_by_name(self, conn: Connection, username: str) -> Any:
        return conn.execute(select(users).where(users.c.username_key == username.casefold())).first()

    def user_for_sign_in(self, conn: Connection, username: str, address: str | None) -> Any:
        """The user's row with `second_factor_at` (when two-factor was confirmed) and `address_seen_at` (when
        they last signed in from `address`): what a sign-in reads before its hash, in one statement."""
        return conn.execute(_SIGN_IN_READ, {"key": username.casefold(), "address": address}).first()

    def user_by_id(self, conn: Connection, user_id: str) -> Any:
        return conn.execute(select(users).where(users.c.id == user_id)).first()

    def list_users(self, conn: Connection) -> list[Any]:
        return list(conn.execute(select(users).order_by(users.c.username_key)))

    def set_password_hash(self, conn: Connection, user_id: str, password_hash: str | None) -> None:
        conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))

    def update_user(self, conn: Connection, user_id: str, **values: Any) -> None:
        if "grants" in values:
            values["grants"] = json.dumps(values["grants"], sort_keys=True)
        conn.execute(update(users).where(users.c.id == user_id).values(**values))

    def delete_user(self, conn: Connection, user_id: str) -> None:
        conn.execute(delete(auth_tokens).where(auth_tokens.c.user_id == user_id))
        conn.execute(delete(sign_in_addresses).where(sign_in_addresses.c.user_id == user_id))
        conn.execute(delete(users).where(users.c.id == user_id))

    def owner(self, conn: Connection) -> Any:
        return conn.execute(select(users).where(users.c.role == "owner")).first()

    def tokens_of(self, conn: Connection, user_id: str) -> list[Any]:
        return list(
            conn.execute(
                select(auth_tokens)
                .where(auth_tokens.c.user_id == user_id)
                .order_by(auth_tokens.c.last_seen_at.desc())
            )
        )

    def delete_tokens_of(self, conn: Connection, user_id: str, keep: str | None = None) -> int:
        stmt = delete(auth_tokens).where(auth_tokens.c.user_id == user_id)
        if keep is not None:
            stmt = stmt.where(auth_tokens.c.id != keep)
        return int(conn.execute(stmt).rowcount)

    def delete_token_of(self, conn: Connection, user_id: str, token_id: str) -> bool:
        stmt = delete(auth_tokens).where(auth_tokens.c.id == token_id, auth_tokens.c.user_id == user_id)
        return bool(conn.execute(stmt).rowcount)

    def token_alive(self, conn: Connection, token_id: str, user_id: str) -> bool:
        """Whether a sign-in session or app token is still there and unexpired: media grants die with it."""
        found = conn.execute(
            select(auth_tokens.c.expires_at).where(
                auth_tokens.c.id == token_id, auth_tokens.c.user_id == user_id
            )
        ).first()
        return found is not None and (found.expires_at is None or found.expires_at > time.time())

    def remember_address(self, conn: Connection, user_id: str, address: str) -> None:
        now = time.time()
        done = conn.execute(
            update(sign_in_addresses)
            .where(sign_in_addresses.c.user_id == user_id, sign_in_addresses.c.address == address)
            .values(last_at=now)
        )
        if done.rowcount:
            return
        conn.execute(insert(sign_in_addresses).values(user_id=user_id, address=address, last_at=now))
        kept = (
            select(sign_in_addresses.c.address)
            .where(sign_in_addresses.c.user_id == user_id)
            .order_by(sign_in_addresses.c.last_at.desc())
            .limit(ADDRESSES_KEPT)
        )
        conn.execute(
            delete(sign_in_addresses).where(
                sign_in_addresses.c.user_id == user_id, sign_in_addresses.c.address.not_in(kept)
            )
        )

    def add_token(
        self,
        conn: Connection,
        user_id: str,
        token_hash: str,
        kind: str,
        name: str,
        scopes: str,
        expires_at: float | None,
        address: str | None,
        device_id: str | None = None,
        client: str | None = None,
    ) -> str:
        token_id = new_id()
        now = time.time()
        # Values as parameters: one cached statement for every sign-in (see AuditRepository._append_after).
        conn.execute(
            insert(auth_tokens),
            {
                "id": token_id,
                "token_hash": token_hash,
                "user_id": user_id,
                "kind": kind,
                "name": name,
                "scopes": scopes,
                "created_at": now,
                "last_seen_at": now,
                "last_address": address,
                "expires_at": expires_at,
                "device_id": device_id,
                "client": client,
            },
        )
        return token_id

    def delete_device_tokens(self, conn: Connection, user_id: str, device_id: str) -> int:
        stmt = delete(auth_tokens).where(
            auth_tokens.c.user_id == user_id, auth_tokens.c.device_id == device_id
        )
        return int(conn.execute(stmt).rowcount)

    def token_with_user(self, conn: Connection, token_hash: str) -> Any:
        return conn.execute(
            select(
                auth_tokens.c.id.label("token_id"),
                auth_tokens.c.kind,
                auth_tokens.c.scopes,
                auth_tokens.c.expires_at,
                auth_tokens.c.last_seen_at,
                auth_tokens.c.client,
                users.c.id.label("user_id"),
                users.c.username,
                users.c.role,
                users.c.disabled,
                users.c.grants,
                second_factors.c.confirmed_at.label("second_factor"),
            )
            .join(users, users.c.id == auth_tokens.c.user_id)
            .outerjoin(second_factors, second_factors.c.user_id == users.c.id)
            .where(auth_tokens.c.token_hash == token_hash)
        ).first()

    def touch_token(self, conn: Connection, token_id: str, address: str | None) -> None:
        conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.id == token_id)
            .values(last_seen_at=time.time(), last_address=address)
        )

    def delete_token(self, conn: Connection, token_id: str) -> None:
        conn.execute(delete(auth_tokens).where(auth_tokens.c.id == token_id))

    def replace_setup_code(self, conn: Connection, code_hash: str) -> None:
        conn.execute(delete(setup_codes))
        conn.execute(insert(setup_codes).values(code_hash=code_hash, created_at=time.time()))

    def setup_code_matches(self, conn: Connection, code_hash: str) -> bool:
        return (
            conn.execute(select(setup_codes).where(setup_codes.c.code_hash == code_hash)).first() is not None
        )

    def clear_setup_codes(self, conn: Connection) -> None:
        conn.execute(delete(setup_codes))
