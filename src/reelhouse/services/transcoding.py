"""Encoders: HLS sessions (one encoder each, started on demand, restarted on seeks, reaped when idle; the session
itself and its playlists are in services/hls_session.py, its encoder and segments in services/hls_segments.py),
progressive audio and video frames (services/progressive_encoders.py), all counted against ``max_transcodes``
here. Every input is a file the media access decision opened; nothing here opens a path."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from reelhouse.domain import playback
from reelhouse.domain.ids import new_id
from reelhouse.errors import DatabaseError, MediaError, NotFound, Unavailable
from reelhouse.media import ffmpeg
from reelhouse.services.hls_segments import HlsSegments
from reelhouse.services.hls_session import SEGMENT_SECONDS, Session
from reelhouse.services.hls_table import SessionRef, SessionTable
from reelhouse.services.media_files import OpenedFile
from reelhouse.services.progressive_encoders import AudioEncoder, ProgressiveEncoders
from reelhouse.services.remote_encoder import JobOrigin, RemoteEncoders
from reelhouse.services.transcode_cache import trim

log = logging.getLogger(__name__)


class TranscodeService(HlsSegments, ProgressiveEncoders):
    def __init__(
        self,
        cache_dir: Path,
        setting: Callable[[str], int],
        idle_seconds: float = 60.0,
        remote: RemoteEncoders | None = None,
    ) -> None:
        self._root = cache_dir / "transcode"
        # With a broker configured, every HLS encode is a job on a worker: never a silent local fallback.
        self.remote = remote
        self._setting = setting
        self.idle_seconds = idle_seconds
        # A reload or a closed tab leaves a session nobody fetches from: its slot is freed this soon.
        self.release_seconds = 3.0 * SEGMENT_SECONDS
        self._sessions: dict[str, Session] = {}
        self._audio: dict[str, AudioEncoder] = {}
        self._frames = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None
        # With `cluster` on: sessions any node serves, adopted from the table by a node that never saw them.
        self.shared: SessionTable | None = None
        # Leftovers of a previous run are never served: sessions live in memory only.
        shutil.rmtree(self._root, ignore_errors=True)

    # Sessions -------------------------------------------------------------------------------
    def _busy(self, reserve: int = 0) -> None:
        # Called with self._lock held. Every encoder counts, whatever it makes: a remux or an audio stream
        # costs far less than a video encode, but each is a process a client can keep alive.
        running = sum(1 for s in self._sessions.values() if s.holds_slot) + len(self._audio) + self._frames
        if running + reserve >= self._setting("max_transcodes"):
            raise Unavailable("The server is transcoding as much as it can; try again shortly.", 30)

    def start(
        self,
        user_id: str,
        item_id: str,
        plan: playback.Plan,
        source: OpenedFile,
        duration: float,
        subtitles: tuple[tuple[str, str | None, str | None, bool], ...] = (),
        device: str | None = None,
        grant_session: str | None = None,
        origin: JobOrigin | None = None,
    ) -> Session:
        """A new session reading ``source``, which it owns from here on (closed when the session ends). The
        same user's session of the same item on the same device is replaced: a reload is not a second viewer."""
        replaced: list[Session] = []
        try:
            if duration <= 0:
                raise MediaError("This file's length is unknown, so it cannot be streamed in segments.")
            with self._lock:
                if device is not None:
                    replaced = [
                        s
                        for s in self._sessions.values()
                        if (s.user_id, s.item_id, s.device) == (user_id, item_id, device)
                    ]
                    for old in replaced:
                        del self._sessions[old.id]
                self._busy()
                session = Session(
                    new_id(),
                    user_id,
                    item_id,
                    plan,
                    source,
                    duration,
                    self._root / new_id(),
                    subtitles=subtitles,
                    device=device,
                    grant_session=grant_session,
                    origin=origin,
                )
                session.folder.mkdir(parents=True)
                self._sessions[session.id] = session
        except BaseException:
            source.close()
            raise
        finally:
            for old in replaced:
                self._end_held(old)
        if self.shared is not None:
            try:
                self.shared.started(session)
            except BaseException:
                with self._lock:
                    self._sessions.pop(session.id, None)
                self._dispose(session)
                raise
        self._ensure_reaper()
        return session

    def adopt(self, session: Session) -> Session:
        """A session another node started, rebuilt from the shared table, held here from now on; a
        concurrent request that adopted it first wins, and this copy's file is closed."""
        with self._lock:
            held = self._sessions.get(session.id)
            if held is None:
                session.folder.mkdir(parents=True)
                self._sessions[session.id] = session
        if held is not None:
            session.source.close()
            return held
        self._ensure_reaper()
        return session

    def share(self, table: SessionTable) -> None:
        """`cluster` on: sessions go in the shared table, and this node sweeps it for abandoned ones from now
        on, whether it ever held one or not (the node that started one may have died)."""
        self.shared = table
        self._ensure_reaper()

    def folder_for(self) -> Path:
        return self._root / new_id()

    def get(self, session_id: str, user_id: str, item_id: str | None = None) -> Session:
        with self._lock:
            session = self._sessions.get(session_id)
        if (
            session is None
            or session.user_id != user_id
            or (item_id is not None and session.item_id != item_id)
        ):
            raise NotFound("No such playback session; start playback again.")
        session.last_access = time.monotonic()
        if self.shared is not None and not self.shared.touched(session):
            self.forget(session_id)
            raise NotFound("This playback session has ended; start playback again.")
        return session

    def end(self, session_id: str, user_id: str) -> None:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None and session.user_id == user_id:
                del self._sessions[session_id]
        if session is None and self.shared is not None and self.shared.ended(session_id, user_id):
            return  # held by no node here: the table's row named its job, which is cancelled
        if session is None or session.user_id != user_id:
            raise NotFound("No such playback session.")
        self._end_held(session)

    def _end_held(self, session: Session) -> None:
        try:
            if self.shared is not None:
                self.shared.ended(session.id, None)
        finally:
            self._dispose(session)

    def forget(self, session_id: str) -> None:
        """Drop this node's copy of a session that goes on elsewhere or ended there: its job is not ours to
        cancel (a local encoder is, since no other node reads its folder)."""
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is not None:
            self._dispose(session, cancel=False)

    def of_user(self, user_id: str) -> list[SessionRef]:
        """The user's sessions held here and, in a cluster, those the table names that no node here holds."""
        mine: list[SessionRef] = [s for s in self.active() if s.user_id == user_id]
        if self.shared is not None:
            held = {s.id for s in mine}
            mine += [u for u in self.shared.of_user(user_id) if u.id not in held]
        return mine

    def active(self) -> list[Session]:
        with self._lock:
            return list(self._sessions.values())

    # Housekeeping ---------------------------------------------------------------------------
    def _dispose(self, session: Session, cancel: bool = True) -> None:
        session.closed = True
        with session.lock:
            self._stop_encoder(session, cancel)
        shutil.rmtree(session.folder, ignore_errors=True)
        session.source.close()

    def reap(self) -> int:
        """Free the slots of encoders nobody has taken a segment from for ``release_seconds``, end sessions
        nobody has polled for ``idle_seconds``, then trim the cache; returns sessions ended."""
        ended = 0
        if self.shared is not None:
            # Idle on every node: taken out of the table once, by whichever node's reaper comes first.
            for session_id in self.shared.idle(self.idle_seconds):
                with self._lock:
                    held = self._sessions.pop(session_id, None)
                if held is not None:
                    self._dispose(held)
                ended += 1
        now = time.monotonic()
        with self._lock:
            idle = [s for s in self._sessions.values() if now - s.last_access > self.idle_seconds]
            for session in idle:
                del self._sessions[session.id]
            quiet = [
                s
                for s in self._sessions.values()
                if s.holds_slot and now - s.last_segment > self.release_seconds
            ]
        for session in idle:
            # In a cluster, idle here only (idle everywhere was ended above): its player went to another node,
            # which keeps it and its job alive.
            self._dispose(session, cancel=self.shared is None)
        if self.shared is None:
            ended += len(idle)
        for session in quiet:
            with session.lock:
                # Asked again meanwhile: keep it. Segments already written stay served either way; the next one
                # past them takes a slot again.
                if session.closed or time.monotonic() - session.last_segment <= self.release_seconds:
                    continue
                # A job another node fetches from goes on; only this node's hold on it ends.
                elsewhere = self.shared is not None and self.shared.used_within(
                    session.id, self.release_seconds
                )
                self._stop_encoder(session, cancel=not elsewhere)
                with self._lock:
                    session.holds_slot = False
                if self.shared is not None and not elsewhere:
                    with suppress(NotFound):
                        self.shared.job_changed(session)
        trim(self._root, self._setting("transcode_cache_mb") * 1024 * 1024)
        return ended

    def _ensure_reaper(self) -> None:
        with self._lock:
            if self._reaper is not None and self._reaper.is_alive():
                return
            self._reaper = threading.Thread(target=self._reap_loop, name="transcode-reaper", daemon=True)
            self._reaper.start()

    def _reap_loop(self) -> None:
        while not self._stop.wait(min(1.0, max(0.2, min(self.idle_seconds, self.release_seconds) / 4))):
            try:
                self.reap()
            except (OSError, DatabaseError) as error:
                # A full or read-only cache disk (or, in a cluster, the database away a moment) must not end the
                # reaper: idle encoders would then never be freed.
                log.warning("transcode reaper: %s; trying again", error)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            # In a cluster the sessions outlive this node: players go on with another, on the same job.
            self._dispose(session, cancel=self.shared is None)
        with self._lock:
            encoders = list(self._audio.values())
            self._audio.clear()
        for encoder in encoders:
            ffmpeg.stop(encoder.process)
        if self._reaper is not None:
            self._reaper.join(10)
        if self.remote is not None:
            self.remote.close()
