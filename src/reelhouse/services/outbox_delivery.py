"""The one delivery loop of the peer outbox, shared by revocations (services/revocations.py) and queued settings
changes (services/remote_admin.py). Each kind says how to send an entry and which answers settle it; the loop
owns the rest: one delivery at a time per link (a lock per link, shared by both kinds, so a blackholed server
holds up only itself), oldest first, stopping at the first entry the server does not answer, an attempt counted
on each entry tried, and the retry clock for removed links, which the poller no longer asks after.

Revocations go first: while one waits for a link, no other change is sent to it. What someone may no longer do
must reach the server before anything else changes there."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from sqlalchemy import Connection

from reelhouse.errors import NotFound
from reelhouse.persistence.database import Database
from reelhouse.persistence.peer_outbox import PeerOutboxRepository
from reelhouse.services.peer_links import IdentityChanged, Unreachable

SETTINGS = "settings"
REVOKE_PRINCIPAL = "revoke_principal"
UNLINK = "unlink"
REVOCATIONS = (REVOKE_PRINCIPAL, UNLINK)
# A removed link is not polled, so what still waits for it is retried on its own clock: doubling up to ten minutes.
RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 600.0

Outcome = Literal["sent", "refused", "pending"]
# Sends one entry; returns the server's status and answer. Unreachable, IdentityChanged and NotFound leave it waiting.
Send = Callable[[Any], tuple[int, dict[str, Any]]]
# What an answer makes of the entry: taken (sent), refused for good, or still waiting (the loop stops there).
Settle = Callable[[int, dict[str, Any]], Outcome]
# Called in the transaction that settles an entry, with its new state and the status: the kind's audit entry.
Settled = Callable[[Connection, Any, str, int], None]


class OutboxDeliverer:
    def __init__(self, db: Database, outbox: PeerOutboxRepository) -> None:
        self._db = db
        self._outbox = outbox
        self._guard = threading.Lock()
        self._locks: dict[str, threading.RLock] = {}
        self._retry: dict[str, tuple[float, float]] = {}  # removed link → (next try, monotonic; delay)

    @contextmanager
    def locked(self, link_id: str) -> Iterator[None]:
        """Hold the link's delivery lock (re-entrant: a kind may do its own work under it, then deliver)."""
        with self._guard:
            lock = self._locks.setdefault(link_id, threading.RLock())
        with lock:
            yield

    def waiting(self, link_id: str, kinds: tuple[str, ...]) -> bool:
        with self._db.read() as conn:
            return bool(self._outbox.pending(conn, link_id, kinds))

    def deliver(
        self, link_id: str, kinds: tuple[str, ...], send: Send, settle: Settle, settled: Settled
    ) -> int:
        """Send the link's waiting entries of these kinds, oldest first; stop at the first the server does not
        answer or asks to wait for. Returns how many were settled (taken or refused)."""
        done = 0
        with self.locked(link_id):
            with self._db.read() as conn:
                if not set(kinds) & set(REVOCATIONS) and self._outbox.pending(conn, link_id, REVOCATIONS):
                    return 0
                waiting = self._outbox.pending(conn, link_id, kinds)
            for entry in waiting:
                try:
                    status, answer = send(entry)
                except (Unreachable, IdentityChanged, NotFound) as exc:
                    self.finish(entry, "pending", 0, str(exc)[:300])
                    break
                outcome = settle(status, answer)
                if outcome == "pending":
                    self.finish(entry, "pending", status, f"HTTP {status}")
                    break
                message = None if outcome == "sent" else str(answer.get("message") or f"HTTP {status}")[:300]
                if self.finish(entry, outcome, status, message, settled):
                    done += 1
        return done

    def finish(
        self, entry: Any, state: str, status: int, message: str | None, settled: Settled | None = None
    ) -> bool:
        """Count an attempt on the entry and, unless it still waits, move it to ``state`` (an outcome, or
        cancelled); only from pending, so a cancel and a delivery racing each other cannot both win. Returns
        whether this call settled it."""
        values: dict[str, Any] = {"attempts": entry.attempts + 1, "last_error": message}
        if state != "pending":
            values.update(state=state, finished_at=time.time(), response_status=status or None)
        with self._db.begin() as conn:
            moved = self._outbox.finish(conn, entry.id, "pending", **values)
            if moved and state != "pending" and settled is not None:
                settled(conn, entry, state, status)
        return moved and state != "pending"

    # -- the retry clock of removed links ---------------------------------------------------------------------

    def due(self, link_ids: Iterable[str]) -> list[str]:
        """Those of these links whose next try has come."""
        now = time.monotonic()
        with self._guard:
            return [i for i in sorted(link_ids) if self._retry.get(i, (0.0, 0.0))[0] <= now]

    def tried(self, link_id: str, settled: int, left: bool) -> None:
        """After a try for a removed link: soon again if it took something, else twice as long as last time."""
        with self._guard:
            if not left:
                self._retry.pop(link_id, None)
                return
            last = self._retry.get(link_id, (0.0, RETRY_SECONDS / 2))[1]
            delay = RETRY_SECONDS if settled else min(MAX_RETRY_SECONDS, last * 2)
            self._retry[link_id] = (time.monotonic() + delay, delay)
