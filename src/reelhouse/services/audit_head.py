"""The audit log's head (newest seq and hash) kept in a file beside the database, out of the database's reach."""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from reelhouse.persistence.audit import Link

log = logging.getLogger(__name__)


class AuditHead:
    """A 0600 JSON file, replaced atomically. It only ever moves forward along the chain it already names.

    The server and the CLI are different processes, and each writes the head after its own commit. So the
    file can fall behind the database (a process died between its commit and its write, or a slower writer
    lost the race), and that is harmless: a head that is a prefix of the chain is accepted. What the file
    must never do is get ahead of the database, which is why it is written only after the commit, and
    why a head the database does not contain is evidence (deleted or rewritten entries, or a restored
    backup) that a later write must not paper over."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # The newest head waiting for the writer thread, with the check it is to be written under.
        self._pending: tuple[Link, Callable[[Link], bool]] | None = None
        self._writing = False
        self._changed = threading.Condition()
        self._writer: threading.Thread | None = None

    def read(self) -> Link | None:
        try:
            parsed = json.loads(self.path.read_text(encoding="utf-8"))
            return Link(int(parsed["seq"]), str(parsed["hash"]))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError, KeyError):
            # An unreadable head is no head; the report says so rather than failing.
            return Link(-1, "")

    def advance(self, new: Link, on_our_chain: Callable[[Link], bool]) -> None:
        """Record new as the head if it is newer than the recorded one and extends it."""
        try:
            with self._locked():
                current = self.read()
                if current is not None and (current.seq >= new.seq or not on_our_chain(current)):
                    return
                self.write(new)
        except OSError as exc:
            # The entry is committed already; a missing head write only makes the head lag, which verify
            # accepts. Failing the caller's request now would report an error for a change that happened.
            log.warning("could not record the audit log's head in %s: %s", self.path, exc.strerror)

    def advance_soon(self, new: Link, on_our_chain: Callable[[Link], bool]) -> None:
        """advance() on a writer thread, so a request does not wait for the file's fsync.

        Heads queued faster than they are written collapse into the newest one. The file lags the database
        by one write at most, which verify accepts as it accepts any head behind the chain; flush() (called
        by verify and at exit) catches it up."""
        with self._changed:
            if self._pending is None or new.seq > self._pending[0].seq:
                self._pending = (new, on_our_chain)
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_pending, name="audit-head", daemon=True)
                self._writer.start()
                atexit.register(self.flush)
            self._changed.notify_all()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued head is on disk."""
        with self._changed:
            self._changed.wait_for(lambda: self._pending is None and not self._writing, timeout)

    def _write_pending(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._pending is not None)
                assert self._pending is not None
                (new, on_our_chain), self._pending = self._pending, None
                self._writing = True
            try:
                self.advance(new, on_our_chain)
            except Exception:
                # The writer must outlive one bad write (a database error in the chain check), or no head
                # is kept from then on.
                log.exception("could not record the audit log's head")
            finally:
                with self._changed:
                    self._writing = False
                    self._changed.notify_all()

    def replace(self, new: Link) -> None:
        """Record new whatever the file said: only for an admin accepting a restored backup."""
        with self._locked():
            self.write(new)

    def write(self, new: Link) -> None:
        handle, partial = tempfile.mkstemp(dir=self.path.parent, prefix=".audit-head-")
        try:
            os.fchmod(handle, 0o600)
            os.write(handle, json.dumps({"seq": new.seq, "hash": new.hash}).encode())
            os.fsync(handle)
            os.close(handle)
            handle = -1
            # The folder is not synced: a rename lost to a power cut leaves the previous head, which is
            # behind the database and so accepted. The file is, so the name never points at empty bytes.
            os.replace(partial, self.path)
        finally:
            if handle >= 0:
                os.close(handle)
            Path(partial).unlink(missing_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # The folder, not the file, carries the lock: the file is replaced by rename, so a lock on it would
        # be held on an inode the next writer no longer opens.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            yield
        finally:
            os.close(folder)
