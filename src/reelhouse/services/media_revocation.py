"""What the media access decision already let through and must take back: the media answers still being sent
(`OpenStreams`), and the cut of a user's streams, HLS sessions and audio encoders once an admin's change or a
session's end means the decision would now refuse them (`Revocations`).

`MediaAccess` (services/media_access.py) owns both and is what the rest of the server calls; the checks made
again here are its own `allow`, so a revocation never answers differently from a new request."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from reelhouse.domain.grants import account_ended, grants_to_actor
from reelhouse.domain.network import Zone
from reelhouse.errors import AuthenticationRequired, NotFound, PermissionDenied
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.database import Database
from reelhouse.services.media_decision import Decides, Purpose
from reelhouse.services.transcoding import TranscodeService


class OpenStreams:
    """Media answers still being sent, by viewer. A player's one long Range request can outlast the grant
    that opened it by hours, so ending or narrowing an account must cut these too, not only refuse new ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key → (viewer, item, session that obtained the media URL, how to cut it)
        self._open: dict[int, tuple[str, str, str | None, Callable[[], None]]] = {}
        self._next = 0

    @contextmanager
    def track(
        self, viewer: str, item_id: str, cut: Callable[[], None], session: str | None = None
    ) -> Iterator[None]:
        with self._lock:
            self._next += 1
            key = self._next
            self._open[key] = (viewer, item_id, session, cut)
        try:
            yield
        finally:
            with self._lock:
                self._open.pop(key, None)

    def of(self, viewer: str) -> list[tuple[str, Callable[[], None]]]:
        with self._lock:
            return [(item, cut) for who, item, _session, cut in self._open.values() if who == viewer]

    def by_session(self, viewer: str) -> list[tuple[str | None, Callable[[], None]]]:
        with self._lock:
            return [(session, cut) for who, _item, session, cut in self._open.values() if who == viewer]

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)


class Revocations:
    def __init__(
        self,
        decision: Decides,
        db: Database,
        accounts: AccountRepository,
        open_streams: OpenStreams,
        encoders: TranscodeService,
    ) -> None:
        self._decision = decision
        self._db = db
        self._accounts = accounts
        self._open = open_streams
        self._encoders = encoders

    def may_still_stream(self, user_id: str, session_id: str | None, item_id: str) -> bool:
        try:
            with self._db.read() as conn:
                row = self._accounts.user_by_id(conn, user_id)
            if row is None or account_ended(row.grants, bool(row.disabled)):
                return False
            viewer = grants_to_actor(row.id, row.username, row.role, row.grants, "stream", session_id)
            self._decision.allow(viewer, item_id, Purpose.STREAM, Zone.LAN.value)
        except (AuthenticationRequired, NotFound, PermissionDenied):
            return False
        return True

    def user_changed(self, user_id: str) -> int:
        """After an admin changes, disables or deletes a user: forget the checks made for their grants and
        cut every stream, HLS session and encoder of theirs that they may no longer watch. Returns how many."""
        self._decision.forget()
        verdicts: dict[str, bool] = {}

        def allowed(item_id: str) -> bool:
            if item_id not in verdicts:
                verdicts[item_id] = self.may_still_stream(user_id, None, item_id)
            return verdicts[item_id]

        cut = 0
        for item_id, stop in self._open.of(user_id):
            if not allowed(item_id):
                stop()
                cut += 1
        for session in self._encoders.of_user(user_id):
            if not allowed(session.item_id):
                with suppress(NotFound):
                    self._encoders.end(session.id, user_id)
                cut += 1
        cut += self._encoders.end_audio_of(user_id, lambda encoder: allowed(encoder.item_id))
        # An admin's reset or disable also ended the user's sessions: what their URLs opened goes with them.
        return cut + self.sessions_ended(user_id)

    def sessions_ended(self, user_id: str) -> int:
        """After a user signs out a session or all of them, changes their password, or loses them any other way:
        every stream, HLS session and encoder that a media URL of a session now gone opened is cut at once."""
        self._decision.forget()
        with self._db.read() as conn:
            alive = {t.id for t in self._accounts.tokens_of(conn, user_id)}
        cut = 0
        for session, stop in self._open.by_session(user_id):
            if session not in alive:
                stop()
                cut += 1
        for hls in self._encoders.of_user(user_id):
            if hls.grant_session not in alive:
                with suppress(NotFound):
                    self._encoders.end(hls.id, user_id)
                cut += 1
        cut += self._encoders.end_audio_of(user_id, lambda encoder: encoder.session in alive)
        return cut
