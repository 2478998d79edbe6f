"""Per-user play state rows; reads of items go through the viewer's scope, and always one user's rows."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, select, tuple_

from reelhouse.domain.access import LibraryScope
from reelhouse.persistence.catalogue import scope_clause
from reelhouse.persistence.portable import upsert
from reelhouse.persistence.schema import display_preferences, items, play_state


@dataclass(frozen=True)
class PlayStateRow:
    item_id: str
    position: float
    duration: float | None
    watched: bool
    play_count: int
    updated_at: float
    favourite_at: float | None = None
    rating: int | None = None

    @property
    def favourite(self) -> bool:
        return self.favourite_at is not None


def _row(r: object) -> PlayStateRow:
    return PlayStateRow(
        item_id=r.item_id,  # type: ignore[attr-defined]
        position=float(r.position),  # type: ignore[attr-defined]
        duration=r.duration,  # type: ignore[attr-defined]
        watched=bool(r.watched),  # type: ignore[attr-defined]
        play_count=int(r.play_count),  # type: ignore[attr-defined]
        updated_at=float(r.updated_at),  # type: ignore[attr-defined]
        favourite_at=r.favourite_at,  # type: ignore[attr-defined]
        rating=r.rating,  # type: ignore[attr-defined]
    )


class PlayStateRepository:
    def visible_item(
        self, conn: Connection, scope: LibraryScope, item_id: str
    ) -> tuple[str, float | None] | None:
        """(kind, duration) of an item the viewer may see; None for hidden and absent alike."""
        row = conn.execute(
            select(items.c.kind, items.c.duration).where(
                items.c.id == item_id, scope_clause(scope, library_index=False)
            )
        ).first()
        return None if row is None else (row.kind, row.duration)

    def get(self, conn: Connection, scope: LibraryScope, item_id: str) -> PlayStateRow | None:
        row = conn.execute(
            select(play_state).where(play_state.c.user_id == scope.user_id, play_state.c.item_id == item_id)
        ).first()
        return None if row is None else _row(row)

    def save(
        self,
        conn: Connection,
        scope: LibraryScope,
        item_id: str,
        position: float,
        duration: float | None,
        watched: bool,
        finished_now: bool,
    ) -> None:
        now = time.time()
        values: dict[str, Any] = {
            "position": position,
            "duration": duration,
            "watched": watched,
            "updated_at": now,
        }
        statement = upsert(conn, play_state).values(
            user_id=scope.user_id, item_id=item_id, play_count=1 if finished_now else 0, **values
        )
        update: dict[str, Any] = dict(values)
        if finished_now:
            update["play_count"] = play_state.c.play_count + 1
        conn.execute(statement.on_conflict_do_update(index_elements=["user_id", "item_id"], set_=update))

    def count_play(
        self, conn: Connection, scope: LibraryScope, item_id: str, at: float, finished: bool
    ) -> None:
        """One more play of the item at `at`. A finished item is also watched and resumes from the start; an
        album counting its track's play keeps its own marks."""
        values: dict[str, Any] = {"updated_at": at}
        if finished:
            values |= {"position": 0.0, "watched": True}
        statement = upsert(conn, play_state).values(
            user_id=scope.user_id,
            item_id=item_id,
            play_count=1,
            **{"position": 0.0, "watched": False, **values},
        )
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "item_id"],
                set_={**values, "play_count": play_state.c.play_count + 1},
            )
        )

    def parent_of(self, conn: Connection, scope: LibraryScope, item_id: str) -> str | None:
        found = conn.execute(
            select(items.c.parent_id).where(items.c.id == item_id, scope_clause(scope, library_index=False))
        ).first()
        return None if found is None or found.parent_id is None else str(found.parent_id)

    def save_marks(
        self, conn: Connection, scope: LibraryScope, item_id: str, **marks: float | int | None
    ) -> None:
        """The viewer's favourite and rating marks, kept beside (and never resetting) their progress."""
        statement = upsert(conn, play_state).values(
            user_id=scope.user_id,
            item_id=item_id,
            position=0.0,
            watched=False,
            play_count=0,
            updated_at=time.time(),
            **marks,
        )
        conn.execute(statement.on_conflict_do_update(index_elements=["user_id", "item_id"], set_=marks))

    def favourites(self, conn: Connection, scope: LibraryScope, limit: int) -> list[PlayStateRow]:
        rows = conn.execute(
            select(play_state)
            .join(items, items.c.id == play_state.c.item_id)
            .where(
                play_state.c.user_id == scope.user_id,
                play_state.c.favourite_at.is_not(None),
                scope_clause(scope, library_index=False),
            )
            .order_by(play_state.c.favourite_at.desc())
            .limit(limit)
        ).all()
        return [_row(r) for r in rows]

    def in_progress(self, conn: Connection, scope: LibraryScope, limit: int) -> list[PlayStateRow]:
        rows = conn.execute(
            select(play_state)
            .join(items, items.c.id == play_state.c.item_id)
            .where(
                play_state.c.user_id == scope.user_id,
                play_state.c.watched.is_(False),
                play_state.c.position > 0,
                scope_clause(scope, library_index=False),
            )
            .order_by(play_state.c.updated_at.desc())
            .limit(limit)
        ).all()
        return [_row(r) for r in rows]

    def next_episode(self, conn: Connection, scope: LibraryScope, item_id: str) -> str | None:
        """The episode after this one in the same show (season, then episode order), if the viewer sees it."""
        current = conn.execute(
            select(items.c.top_id, items.c.parent_idx, items.c.idx, items.c.kind).where(
                items.c.id == item_id, scope_clause(scope, library_index=False)
            )
        ).first()
        if current is None or current.kind != "episode":
            return None
        key = (current.parent_idx or 0, current.idx or 0)
        found: str | None = conn.execute(
            select(items.c.id)
            .where(
                and_(
                    items.c.top_id == current.top_id,
                    items.c.kind == "episode",
                    tuple_(items.c.parent_idx, items.c.idx) > tuple_(*key),
                    scope_clause(scope, library_index=False),
                )
            )
            .order_by(items.c.parent_idx, items.c.idx)
            .limit(1)
        ).scalar_one_or_none()
        return found


class DisplayPreferencesRepository:
    """How each app lays out a user's screens (Jellyfin's display preferences): one JSON text per user, screen
    and app, stored as the app sent it and read by that user alone."""

    def get(self, conn: Connection, user_id: str, screen: str, client: str) -> str | None:
        found: str | None = conn.execute(
            select(display_preferences.c.body).where(
                display_preferences.c.user_id == user_id,
                display_preferences.c.screen == screen,
                display_preferences.c.client == client,
            )
        ).scalar_one_or_none()
        return found

    def save(self, conn: Connection, user_id: str, screen: str, client: str, body: str) -> None:
        statement = upsert(conn, display_preferences).values(
            user_id=user_id, screen=screen, client=client, body=body, updated_at=time.time()
        )
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "screen", "client"],
                set_={"body": body, "updated_at": time.time()},
            )
        )
