"""Playlists and play queues: each user's own, seen and changed by that user alone (another user's playlist is
as missing as one that never was). What a playlist holds is checked against the viewer's scope every time it
is read: an entry they can no longer see is left out, of the entries and of the totals alike, and comes back
with their access. One implementation for the web API, Subsonic's and (later) Jellyfin's."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from reelhouse.domain.access import Action, Actor, can
from reelhouse.errors import InvalidInput, NotFound
from reelhouse.persistence.database import Database
from reelhouse.persistence.playlists import PlaylistRepository

MAX_ENTRIES = 5000
MAX_NAME = 128
MAX_COMMENT = 2000


@dataclass(frozen=True)
class PlaylistView:
    id: str
    name: str
    comment: str
    owner: str
    created_at: float
    changed_at: float
    # Only the entries the viewer can see.
    entry_count: int
    duration: float


@dataclass(frozen=True)
class PlayQueueView:
    item_ids: list[str]
    current: str | None
    position_ms: int
    changed_at: float
    changed_by: str


class PlaylistService:
    def __init__(self, db: Database, repo: PlaylistRepository) -> None:
        self._db = db
        self._repo = repo

    def mine(self, actor: Actor) -> list[PlaylistView]:
        _may(actor)
        with self._db.read() as conn:
            totals = self._repo.totals(conn, actor.scope)
            return [
                _view(actor, row, totals.get(row.id, (0, 0.0)))
                for row in self._repo.owned_all(conn, actor.user_id)
            ]

    def get(self, actor: Actor, playlist_id: str) -> tuple[PlaylistView, list[str]]:
        """The playlist and the item ids of its visible entries, in order (an item may appear twice)."""
        _may(actor)
        with self._db.read() as conn:
            row = self._owned(conn, actor, playlist_id)
            entries = [item for _pos, item in self._repo.visible_entries(conn, actor.scope, playlist_id)]
            totals = self._repo.totals(conn, actor.scope).get(playlist_id, (0, 0.0))
        return _view(actor, row, totals), entries

    def create(
        self,
        actor: Actor,
        name: str,
        item_ids: Sequence[str] = (),
        comment: str = "",
        kinds: Collection[str] | None = None,
    ) -> str:
        _may(actor)
        label = _name(name)
        with self._db.begin() as conn:
            self._check_items(conn, actor, item_ids, kinds)
            playlist_id = self._repo.create(conn, actor.user_id, label, _comment(comment))
            self._repo.append(conn, playlist_id, item_ids)
        return playlist_id

    def update(
        self,
        actor: Actor,
        playlist_id: str,
        *,
        name: str | None = None,
        comment: str | None = None,
        add: Sequence[str] = (),
        remove_indexes: Collection[int] = (),
        replace: Sequence[str] | None = None,
        kinds: Collection[str] | None = None,
        move: tuple[int, int] | None = None,
    ) -> None:
        """Rename, re-describe, and change entries. Indexes to remove count the entries as the viewer sees them
        (what getPlaylist showed), so a hidden entry is never removed by a shifted index, nor revealed. `move`
        (from, to) reorders the seen entries among the places they hold, so hidden ones keep theirs."""
        _may(actor)
        if move is not None and (remove_indexes or replace is not None):
            raise InvalidInput("Move an entry on its own, not with removals or a replacement.", "move")
        with self._db.begin() as conn:
            self._owned(conn, actor, playlist_id)
            if move is not None:
                self._move(conn, actor, playlist_id, *move)
            values: dict[str, str] = {}
            if name is not None:
                values["name"] = _name(name)
            if comment is not None:
                values["comment"] = _comment(comment)
            if remove_indexes:
                visible = self._repo.visible_entries(conn, actor.scope, playlist_id)
                if any(not 0 <= i < len(visible) for i in remove_indexes):
                    raise InvalidInput("An index to remove is past the end of the playlist.", "index")
                self._repo.remove_positions(conn, playlist_id, [visible[i][0] for i in set(remove_indexes)])
            if replace is not None:
                self._check_items(conn, actor, replace, kinds)
                self._repo.clear(conn, playlist_id)
                self._repo.append(conn, playlist_id, replace)
            if add:
                self._check_items(conn, actor, add, kinds)
                if self._repo.count(conn, playlist_id) + len(add) > MAX_ENTRIES:
                    raise InvalidInput(f"A playlist holds at most {MAX_ENTRIES} entries.", "items")
                self._repo.append(conn, playlist_id, add)
            self._repo.change(conn, playlist_id, **values)

    def delete(self, actor: Actor, playlist_id: str) -> None:
        _may(actor)
        with self._db.begin() as conn:
            self._owned(conn, actor, playlist_id)
            self._repo.delete(conn, playlist_id)

    # The play queue ------------------------------------------------------------------------------------
    def save_queue(
        self,
        actor: Actor,
        item_ids: Sequence[str],
        current: str | None,
        position_ms: int,
        changed_by: str,
        kinds: Collection[str] | None = None,
    ) -> None:
        _may(actor)
        if position_ms < 0:
            raise InvalidInput("position must not be negative.", "position")
        if current is not None and current not in item_ids:
            raise InvalidInput("The current entry must be one of the queue's.", "current")
        with self._db.begin() as conn:
            self._check_items(conn, actor, item_ids, kinds)
            self._repo.save_queue(conn, actor.user_id, item_ids, current, position_ms, changed_by[:128])

    def queue(self, actor: Actor) -> PlayQueueView | None:
        """The viewer's saved queue, holding only what they can still see; None before one is saved."""
        _may(actor)
        with self._db.read() as conn:
            found = self._repo.queue(conn, actor.scope)
        if found is None:
            return None
        head, entries = found
        current = head.current if head.current in entries else None
        return PlayQueueView(entries, current, int(head.position_ms), float(head.changed_at), head.changed_by)

    # ---------------------------------------------------------------------------------------------------
    def _move(self, conn: Connection, actor: Actor, playlist_id: str, start: int, end: int) -> None:
        visible = self._repo.visible_entries(conn, actor.scope, playlist_id)
        if not (0 <= start < len(visible) and 0 <= end < len(visible)):
            raise InvalidInput("An index to move is past the end of the playlist.", "move")
        ids = [item for _, item in visible]
        ids.insert(end, ids.pop(start))
        # The seen entries trade places among themselves; a hidden one between them stays where it was.
        self._repo.place(
            conn, playlist_id, [(pos, item) for (pos, _), item in zip(visible, ids, strict=True)]
        )

    def _owned(self, conn: Connection, actor: Actor, playlist_id: str) -> object:
        row = self._repo.owned(conn, actor.user_id, playlist_id)
        if row is None:
            raise NotFound("No such playlist.")
        return row

    def _check_items(
        self, conn: Connection, actor: Actor, item_ids: Sequence[str], kinds: Collection[str] | None
    ) -> None:
        if len(item_ids) > MAX_ENTRIES:
            raise InvalidInput(f"A playlist holds at most {MAX_ENTRIES} entries.", "items")
        found = self._repo.kinds_visible(conn, actor.scope, item_ids)
        for item in item_ids:
            kind = found.get(item)
            # Hidden, absent and of the wrong kind answer alike: nothing about a hidden item leaks.
            if kind is None or (kinds is not None and kind not in kinds):
                raise NotFound("No such item.")


def _may(actor: Actor) -> None:
    if not can(actor, Action.BROWSE):
        raise NotFound("No such playlist.")


def _name(name: str) -> str:
    label = name.strip()
    if not label:
        raise InvalidInput("A playlist needs a name.", "name")
    if len(label) > MAX_NAME:
        raise InvalidInput(f"A playlist name is at most {MAX_NAME} characters.", "name")
    return label


def _comment(comment: str) -> str:
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"A comment is at most {MAX_COMMENT} characters.", "comment")
    return comment


def _view(actor: Actor, row: object, totals: tuple[int, float]) -> PlaylistView:
    return PlaylistView(
        id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        comment=row.comment,  # type: ignore[attr-defined]
        owner=actor.username,
        created_at=float(row.created_at),  # type: ignore[attr-defined]
        changed_at=float(row.changed_at),  # type: ignore[attr-defined]
        entry_count=totals[0],
        duration=totals[1],
    )
