"""Playlist and play queue rows. Every read of entries joins the items through the viewer's scope, so an entry
the viewer can no longer see is simply not there for them; rows are always one user's."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from reelhouse.domain.access import LibraryScope
from reelhouse.domain.ids import new_id
from reelhouse.persistence.catalogue import scope_clause
from reelhouse.persistence.schema import items, play_queue_entries, play_queues, playlist_entries, playlists


class PlaylistRepository:
    def create(self, conn: Connection, user_id: str, name: str, comment: str) -> str:
        now = time.time()
        playlist_id = new_id()
        conn.execute(
            insert(playlists).values(
                id=playlist_id, user_id=user_id, name=name, comment=comment, created_at=now, changed_at=now
            )
        )
        return playlist_id

    def owned(self, conn: Connection, user_id: str, playlist_id: str) -> Any | None:
        return conn.execute(
            select(playlists).where(playlists.c.id == playlist_id, playlists.c.user_id == user_id)
        ).first()

    def owned_all(self, conn: Connection, user_id: str) -> list[Any]:
        return list(
            conn.execute(
                select(playlists)
                .where(playlists.c.user_id == user_id)
                .order_by(playlists.c.name, playlists.c.created_at)
            )
        )

    def totals(self, conn: Connection, scope: LibraryScope) -> dict[str, tuple[int, float]]:
        """(entries, seconds) per playlist of the viewer, counting only the entries they can see."""
        rows = conn.execute(
            select(
                playlist_entries.c.playlist_id,
                func.count(),
                func.coalesce(func.sum(items.c.duration), 0.0),
            )
            .join(playlists, playlists.c.id == playlist_entries.c.playlist_id)
            .join(items, items.c.id == playlist_entries.c.item_id)
            .where(playlists.c.user_id == scope.user_id, scope_clause(scope, library_index=False))
            .group_by(playlist_entries.c.playlist_id)
        )
        return {r[0]: (int(r[1]), float(r[2])) for r in rows}

    def visible_entries(
        self, conn: Connection, scope: LibraryScope, playlist_id: str
    ) -> list[tuple[int, str]]:
        """(position, item id) of the entries the viewer can see, in order."""
        rows = conn.execute(
            select(playlist_entries.c.position, playlist_entries.c.item_id)
            .join(items, items.c.id == playlist_entries.c.item_id)
            .where(playlist_entries.c.playlist_id == playlist_id, scope_clause(scope, library_index=False))
            .order_by(playlist_entries.c.position)
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    def kinds_visible(self, conn: Connection, scope: LibraryScope, ids: Sequence[str]) -> dict[str, str]:
        """The kind of each of these items the viewer can see; hidden and absent ids are left out alike."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            rows = conn.execute(
                select(items.c.id, items.c.kind).where(
                    items.c.id.in_(chunk), scope_clause(scope, library_index=False)
                )
            )
            found.update({str(r[0]): str(r[1]) for r in rows})
        return found

    def append(self, conn: Connection, playlist_id: str, item_ids: Sequence[str]) -> None:
        last = conn.execute(
            select(func.max(playlist_entries.c.position)).where(playlist_entries.c.playlist_id == playlist_id)
        ).scalar()
        start = -1 if last is None else int(last)
        if item_ids:
            conn.execute(
                insert(playlist_entries),
                [
                    {"playlist_id": playlist_id, "position": start + 1 + n, "item_id": item}
                    for n, item in enumerate(item_ids)
                ],
            )

    def count(self, conn: Connection, playlist_id: str) -> int:
        """Every entry, seen or not: what the size limit counts."""
        found = conn.execute(
            select(func.count()).where(playlist_entries.c.playlist_id == playlist_id)
        ).scalar()
        return int(found or 0)

    def clear(self, conn: Connection, playlist_id: str) -> None:
        conn.execute(delete(playlist_entries).where(playlist_entries.c.playlist_id == playlist_id))

    def remove_positions(self, conn: Connection, playlist_id: str, positions: Sequence[int]) -> None:
        conn.execute(
            delete(playlist_entries).where(
                playlist_entries.c.playlist_id == playlist_id, playlist_entries.c.position.in_(positions)
            )
        )

    def place(self, conn: Connection, playlist_id: str, placed: Sequence[tuple[int, str]]) -> None:
        """Puts each item at its position, leaving the entries at every other position as they are."""
        for position, item_id in placed:
            conn.execute(
                update(playlist_entries)
                .where(playlist_entries.c.playlist_id == playlist_id, playlist_entries.c.position == position)
                .values(item_id=item_id)
            )

    def change(self, conn: Connection, playlist_id: str, **values: str) -> None:
        conn.execute(
            update(playlists).where(playlists.c.id == playlist_id).values(changed_at=time.time(), **values)
        )

    def delete(self, conn: Connection, playlist_id: str) -> None:
        conn.execute(delete(playlists).where(playlists.c.id == playlist_id))

    # The play queue ------------------------------------------------------------------------------------
    def save_queue(
        self,
        conn: Connection,
        user_id: str,
        item_ids: Sequence[str],
        current: str | None,
        position_ms: int,
        changed_by: str,
    ) -> None:
        conn.execute(delete(play_queues).where(play_queues.c.user_id == user_id))
        conn.execute(delete(play_queue_entries).where(play_queue_entries.c.user_id == user_id))
        conn.execute(
            insert(play_queues).values(
                user_id=user_id,
                current=current,
                position_ms=position_ms,
                changed_at=time.time(),
                changed_by=changed_by,
            )
        )
        if item_ids:
            conn.execute(
                insert(play_queue_entries),
                [{"user_id": user_id, "position": n, "item_id": item} for n, item in enumerate(item_ids)],
            )

    def queue(self, conn: Connection, scope: LibraryScope) -> tuple[Any, list[str]] | None:
        """The viewer's queue and the entries of it they can still see, in order."""
        head = conn.execute(select(play_queues).where(play_queues.c.user_id == scope.user_id)).first()
        if head is None:
            return None
        rows = conn.execute(
            select(play_queue_entries.c.item_id)
            .join(items, items.c.id == play_queue_entries.c.item_id)
            .where(play_queue_entries.c.user_id == scope.user_id, scope_clause(scope, library_index=False))
            .order_by(play_queue_entries.c.position)
        )
        return head, [str(r[0]) for r in rows]
