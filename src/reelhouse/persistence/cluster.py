"""What web nodes sharing one PostgreSQL database say to each other (the `cluster` boot key, issue #19).

Changes are announced with NOTIFY inside the transaction that makes them, so PostgreSQL delivers them only if
that transaction commits; each node hears them on a connection of its own that does nothing but LISTEN. Work
that one node at a time may do (scanning a library, a scheduled job's tick) is guarded by session-level
advisory locks, each on a connection of its own, so a node that dies or loses its connection lets go of them.

psycopg is imported here only: this module is used only when `cluster` is on, which needs PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Connection, text

from reelhouse.persistence.database import Database

log = logging.getLogger(__name__)

CHANNEL = "reelhouse_changes"
# The two-key advisory lock spaces; the write lock (persistence/database.py) uses the one-key form, which
# PostgreSQL keeps apart from these.
SCAN_SPACE = 0x52480001
TICK_SPACE = 0x52480002
# After the listener's connection drops: try again soon, then less often while the database stays away.
RETRY_FIRST = 0.25
RETRY_MAX = 5.0
# How long one wait for notifications lasts: also how long a stop waits for the listener thread.
WAIT_SECONDS = 0.25
# How often a held scan lock's connection is checked when nothing arrives on it; a terminated session sends
# its last words at once, and is noticed then.
KEEP_SECONDS = 1.0
# A peer that vanished without closing its connections is noticed by TCP keepalives within about 20 s.
_KEEPALIVE: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 2,
}


def libpq_url(url: str) -> str:
    """The database URL as psycopg takes it (SQLAlchemy's names the driver in its scheme)."""
    return "postgresql://" + url.split("://", 1)[1]


def notify(conn: Connection, message: dict[str, Any]) -> None:
    """Announce ``message`` to every node, delivered when (and only if) conn's transaction commits."""
    conn.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": json.dumps(message, sort_keys=True)},
    )


def announce_now(db: Database, message: dict[str, Any]) -> None:
    """Announce in a transaction of its own, for a change that committed in several (a scan). Not through
    ``Database.begin``: no write lock is needed, and the scan calling this may hold it on its own connection."""
    with db.engine.begin() as conn:
        notify(conn, message)


def _key(name: str) -> int:
    """A name as a signed 32-bit key, as the two-key advisory lock functions take them."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)


def _connect(url: str, name: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True, application_name=name, connect_timeout=5, **_KEEPALIVE)


class ChangeListener:
    """One thread with one connection that LISTENs. ``on_connect`` runs after each LISTEN took effect (the
    first and every reconnection): whatever changed before it was either missed or already applied, so it
    re-reads everything the node keeps; anything after it arrives as a notification."""

    def __init__(
        self,
        url: str,
        name: str,
        on_message: Callable[[dict[str, Any]], None],
        on_connect: Callable[[], None],
    ) -> None:
        self._url = libpq_url(url)
        self.name = name
        self._on_message = on_message
        self._on_connect = on_connect
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Set while LISTEN is in effect and the node has re-read what it keeps.
        self.listening = threading.Event()
        self.connections = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="cluster-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(WAIT_SECONDS * 8)

    def _run(self) -> None:
        delay = RETRY_FIRST
        while not self._stop.is_set():
            try:
                with _connect(self._url, self.name) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connections += 1
                    self._on_connect()
                    self.listening.set()
                    delay = RETRY_FIRST
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=WAIT_SECONDS):
                            self._deliver(note.payload)
            except Exception as exc:  # noqa: BLE001 - a database error or a failed re-read: both mean start over
                log.warning("cluster listener lost its connection (%s); reconnecting in %.2f s", exc, delay)
            self.listening.clear()
            self._stop.wait(delay)
            delay = min(delay * 2, RETRY_MAX)

    def _deliver(self, payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            log.warning("cluster listener ignored a notification that is not JSON")
            return
        try:
            self._on_message(message)
        except Exception:
            # One change this node failed to apply must not stop it hearing the next ones.
            log.exception("cluster listener could not apply %s", message.get("action"))


class AdvisoryLocks:
    """Session-level advisory locks, each held on a dedicated connection for as long as the work lasts."""

    def __init__(self, url: str, name: str) -> None:
        self._url = libpq_url(url)
        self._name = name
        self._lock = threading.Lock()
        # Per scheduled job: the connection holding its current tick's lock, and that tick.
        self._ticks: dict[str, tuple[psycopg.Connection[Any], int]] = {}
        # The connection that looks for scans left unfinished by a node that died.
        self._watch: psycopg.Connection[Any] | None = None
        # Notes found without their lock at the last look.
        self._unlocked: set[str] = set()

    @contextmanager
    def library_scan(self, library_id: str, on_lost: Callable[[], None] = lambda: None) -> Iterator[bool]:
        """True while this node holds the library's scan lock; False when another node holds it. While held,
        ``on_lost`` is called (from another thread) if the lock's connection is lost: PostgreSQL released the
        lock, another node may take it, and the scan here must stop before it writes more."""
        conn = _connect(self._url, f"{self._name}-scan")
        held = False
        keeper: _LockKeeper | None = None
        try:
            row = conn.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (SCAN_SPACE, _key(library_id))
            ).fetchone()
            held = bool(row and row[0])
            if held:
                # Noted only while the lock is held: a note without its lock is a scan whose node died.
                try:
                    conn.execute(
                        "INSERT INTO pending_scans (library_id, node, started_at) VALUES (%s, %s, %s)"
                        " ON CONFLICT (library_id) DO UPDATE SET node = EXCLUDED.node,"
                        " started_at = EXCLUDED.started_at",
                        (library_id, self._name, time.time()),
                    )
                except psycopg.Error as exc:
                    # The scan still runs; only a death of this node would now go unnoticed.
                    log.warning("could not note the scan of library %s: %s", library_id, exc)
                keeper = _LockKeeper(conn, library_id, on_lost)
            yield held
        finally:
            if keeper is not None:
                keeper.stop()
            if held and not (keeper is not None and keeper.lost):
                # Before the lock goes, so no node sees this finished scan's note unlocked. A scan that failed
                # is not taken up elsewhere either: it would most likely fail there too, again and again.
                try:
                    conn.execute("DELETE FROM pending_scans WHERE library_id = %s", (library_id,))
                except psycopg.Error as exc:
                    log.warning("could not clear the note of library %s's scan: %s", library_id, exc)
            # Closing ends the session, which releases the lock, whatever state the scan left things in.
            conn.close()

    def orphaned_scans(self) -> list[str]:
        """Libraries noted as being scanned whose scan lock nobody holds, at this look and the one before: their
        node died mid-scan. A node that lost its lock but lives on stops its scan within milliseconds
        (`_LockKeeper`); waiting for a second look makes sure it has, before another node begins. The locks are
        read before the notes, so a scan that ends meanwhile (note removed, then lock released) never looks
        orphaned; one starting meanwhile may, and whoever then tries its lock finds it taken."""
        with self._lock:
            try:
                if self._watch is None or self._watch.closed:
                    self._watch = _connect(self._url, f"{self._name}-scans")
                locked = {
                    int(row[0])
                    for row in self._watch.execute(
                        "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted"
                        " AND classid::bigint = %s AND objsubid = 2"
                        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                        (SCAN_SPACE,),
                    )
                }
                noted = [str(row[0]) for row in self._watch.execute("SELECT library_id FROM pending_scans")]
            except psycopg.Error as exc:
                log.warning("could not look for scans left unfinished: %s", exc)
                if self._watch is not None:
                    self._watch.close()
                self._watch = None
                return []
            # pg_locks shows a two-key lock's second key as an unsigned oid.
            unlocked = {library for library in noted if _key(library) & 0xFFFFFFFF not in locked}
            twice, self._unlocked = unlocked & self._unlocked, unlocked
        return sorted(twice)

    def claim_tick(self, job: str, tick: int) -> bool:
        """Whether this node runs ``job`` for ``tick`` (a number the nodes agree on, such as the wall clock
        divided by the job's period). The lock is kept until the job's next tick is claimed here, so a node
        that reaches the same tick later finds it taken."""
        with self._lock:
            held = self._ticks.get(job)
            if held is not None and held[1] == tick:
                return False
            try:
                if held is None or held[0].closed:
                    if held is not None:
                        held[0].close()
                    conn = _connect(self._url, f"{self._name}-ticks")
                else:
                    conn = held[0]
                    if held[1] >= 0:
                        conn.execute(
                            "SELECT pg_advisory_unlock(%s, %s)", (TICK_SPACE, _key(f"{job}:{held[1]}"))
                        )
                row = conn.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", (TICK_SPACE, _key(f"{job}:{tick}"))
                ).fetchone()
            except psycopg.Error as exc:
                log.warning("could not claim %s's tick: %s", job, exc)
                if held is not None:
                    held[0].close()
                self._ticks.pop(job, None)
                return False
            if row and row[0]:
                self._ticks[job] = (conn, tick)
                return True
            # Keep the connection for the next tick, holding nothing.
            self._ticks[job] = (conn, -1)
            return False

    def close(self) -> None:
        with self._lock:
            for conn, _tick in self._ticks.values():
                conn.close()
            self._ticks.clear()
            if self._watch is not None:
                self._watch.close()
                self._watch = None


class _LockKeeper:
    """Watches the connection that holds a scan lock, so a node that loses it stops scanning at once rather
    than at the end of its scan, when another node may long since have begun its own. The connection is idle
    while the scan runs: whatever arrives on it (a terminated session's last message, a closed socket) or a
    failed check every KEEP_SECONDS means the lock is gone."""

    def __init__(self, conn: psycopg.Connection[Any], library_id: str, on_lost: Callable[[], None]) -> None:
        self._conn = conn
        self._library_id = library_id
        self._on_lost = on_lost
        self.lost = False
        # Written to on stop, so the wait on the connection's socket ends at once.
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name=f"scan-lock-{library_id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                ready, _, _ = select.select([self._wake_r, self._conn.fileno()], [], [], KEEP_SECONDS)
                if self._wake_r in ready:
                    return
                self._conn.execute("SELECT 1")
        except (psycopg.Error, OSError, ValueError) as exc:
            self.lost = True
            log.warning(
                "lost the scan lock of library %s (%s); stopping the scan here", self._library_id, exc
            )
            self._on_lost()

    def stop(self) -> None:
        os.write(self._wake_w, b"x")
        self._thread.join()
        os.close(self._wake_r)
        os.close(self._wake_w)
