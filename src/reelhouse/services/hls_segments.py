"""The encoder behind an HLS session: the segment a player asks for, waited for while a local ffmpeg or a
worker's job makes it, and that encoder started again when the player seeks outside what it is making or when it
died. At most one encoder per session, local or on a worker, changed only under the session's lock.

Mixed into TranscodeService (services/transcoding.py), which holds the sessions and the slots and defines
``_busy`` (raises when every slot is taken); its reaper and its ends stop encoders through ``_stop_encoder``."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from reelhouse.domain import playback
from reelhouse.errors import MediaError, NotFound, Unavailable
from reelhouse.media import ffmpeg
from reelhouse.services.hls_session import RESTART_AHEAD, SEGMENT_SECONDS, SEGMENT_WAIT_SECONDS, Session
from reelhouse.services.hls_table import SessionTable
from reelhouse.services.remote_encoder import RemoteEncoders, RemoteRun, RunState

log = logging.getLogger(__name__)


class HlsSegments:
    """Mixed into TranscodeService, which sets these up."""

    remote: RemoteEncoders | None
    shared: SessionTable | None
    _lock: threading.Lock

    def _busy(self, reserve: int = 0) -> None:
        raise NotImplementedError

    def segment(self, session: Session, number: int) -> Path:
        """The finished segment file, starting or restarting the encoder when the player seeks."""
        if not 0 <= number < session.segments:
            raise NotFound("No such segment.")
        deadline = time.monotonic() + SEGMENT_WAIT_SECONDS
        session.last_segment = time.monotonic()
        with session.lock:
            if self.shared is not None and self.remote is not None:
                # Another node may have replaced the job (a seek there): take up the one the table names.
                self.shared.follow(session)
            if session.job is not None and self.remote is not None:
                self.remote.pull(session, session.job, number)
                # What a live worker lists, it still has: a segment trimmed here is fetched again, not re-encoded.
                # A dead worker's list leaves only what was fetched before it died.
                alive = self.remote.state(session, session.job) is not RunState.DEAD
                done = {n for n in session.finished() if alive or (session.folder / f"seg{n}.ts").exists()}
            else:
                done = {n for n in session.finished() if (session.folder / f"seg{n}.ts").exists()}
            if number not in done:
                running = self._running(session)
                furthest = max(
                    (n for n in done if n >= session.process_start), default=session.process_start - 1
                )
                if (
                    not running
                    or number < session.process_start
                    or number < furthest
                    or number > furthest + RESTART_AHEAD
                ):
                    self._restart(session, number)
        target = session.folder / f"seg{number}.ts"
        while time.monotonic() < deadline:
            if session.closed:
                raise NotFound("This playback session has ended; start playback again.")
            # A player waiting on a segment is still polling: the reaper must not end its session.
            session.last_access = session.last_segment = time.monotonic()
            if self.shared is not None and not self.shared.touched(session):
                raise NotFound("This playback session has ended; start playback again.")
            if number in session.finished() and target.exists():
                session.last_access = time.monotonic()
                return target
            run = session.job
            if run is not None and self.remote is not None:
                self._follow_remote(session, run, number)
                # Each poll fetches the worker's playlist (a few hundred bytes on the LAN), and only while a
                # player waits: the same pace as a local encoder's, so a worker adds no waiting of its own.
                time.sleep(0.03)
                continue
            process = session.process
            if process is not None and process.poll() is not None and number not in session.finished():
                if process.returncode != 0:
                    raise MediaError("The encoder stopped on this file.")
                with session.lock:
                    if session.process is process and not session.closed:
                        self._restart(session, number)
            time.sleep(0.03)
        raise Unavailable("The segment is taking too long to prepare.", retry_after=2)

    def _running(self, session: Session) -> bool:
        if session.job is not None and self.remote is not None:
            state = self.remote.state(session, session.job)
            return state in (RunState.STARTING, RunState.RUNNING)
        return session.process is not None and session.process.poll() is None

    def _follow_remote(self, session: Session, run: RemoteRun, number: int) -> None:
        """One poll of a worker's job while a player waits for ``number``: mirror what it made, and send the
        job again at ``number`` when it died (its heartbeat or its listener gone)."""
        assert self.remote is not None
        with session.lock:
            if session.job is not run or session.closed:
                return
            self.remote.pull(session, run, number)
            if number in session.finished() and (session.folder / f"seg{number}.ts").exists():
                return
            state = self.remote.state(session, run)
            if state is RunState.FAILED:
                raise MediaError("The encoder stopped on this file.")
            if state in (RunState.DEAD, RunState.FINISHED):
                log.info(
                    "session %s: job %s is %s; sent again at %d", session.id, run.job.job_id, state, number
                )
                self._restart(session, number)

    def _stop_encoder(self, session: Session, cancel: bool = True) -> None:
        # Called with session.lock held: at most one encoder per session, local or on a worker.
        if session.process is not None:
            ffmpeg.stop(session.process)
            session.process = None
        if session.job is not None and self.remote is not None:
            if cancel:
                self.remote.cancel(session.job)
            session.job = None

    def _restart(self, session: Session, number: int) -> None:
        # Called with session.lock held; _dispose marks closed before taking it, so no encoder outlives it.
        if session.closed:
            raise NotFound("This playback session has ended; start playback again.")
        self._stop_encoder(session)
        if not session.holds_slot:
            with self._lock:
                self._busy()
                session.holds_slot = True
        (session.folder / "ffmpeg.m3u8").unlink(missing_ok=True)
        if self.remote is not None:
            session.job = self.remote.begin(session, number)
            session.process_start = number
            if self.shared is not None:
                self.shared.job_changed(session)
            return
        plan = session.plan
        argv = ffmpeg.hls_argv(
            ffmpeg.HlsJob(
                source=session.source.ffmpeg_input(),
                output=session.folder,
                start_segment=number,
                segment_seconds=SEGMENT_SECONDS,
                audio_index=plan.audio_index,
                audio_codec=None if plan.audio_copy else "aac",
                audio_kbps=playback.AUDIO_KBPS_IN_HLS,
                video_index=plan.video_index if plan.video_index is not None else 0,
                video_codec=None if plan.video_copy else "h264",
                height=plan.height,
                video_kbps=plan.video_kbps,
                burn_subtitle_index=plan.burn_subtitle_index,
            )
        )
        session.argv_history.append(argv)
        session.process = ffmpeg.start(argv, session.source.ffmpeg_input(), session.folder / "ffmpeg.log")
        session.process_start = number
        if self.shared is not None:
            self.shared.job_changed(session)
