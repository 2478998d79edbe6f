"""Music app passwords' sealed copies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from reelhouse.persistence.schema import auth_tokens, music_app_secrets, users


class MusicAppRepository:
    def add_secret(self, conn: Connection, token_id: str, user_id: str, sealed: str) -> None:
        conn.execute(insert(music_app_secrets).values(token_id=token_id, user_id=user_id, sealed=sealed))

    def sealed_of(self, conn: Connection, username_key: str, kind: str) -> list[Any]:
        """The user's app passwords with their token rows: the user is named in the request, the password
        is only known once each sealed copy is opened and compared."""
        return list(
            conn.execute(
                select(
                    music_app_secrets.c.token_id,
                    music_app_secrets.c.sealed,
                    auth_tokens.c.token_hash,
                    auth_tokens.c.expires_at,
                    users.c.id.label("user_id"),
                )
                .join(auth_tokens, auth_tokens.c.id == music_app_secrets.c.token_id)
                .join(users, users.c.id == music_app_secrets.c.user_id)
                .where(users.c.username_key == username_key, auth_tokens.c.kind == kind)
            )
        )
