"""Encoders: HLS sessions (one ffmpeg each, started on demand, restarted on seeks, reaped when idle), progressive
audio and video frames, all counted against ``max_transcodes``. Every input is a file the media access decision
opened; nothing here opens a path."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from reelhouse.domain import playback
from reelhouse.domain.ids import new_id
from reelhouse.errors import MediaError, NotFound, Unavailable
from reelhouse.media import ffmpeg, hls
from reelhouse.services.media_files import OpenedFile

log = logging.getLogger(__name__)

# Three seconds: short enough that the first segment is ready quickly on a small machine.
SEGMENT_SECONDS = 3
# A seek further than this many segments past what the encoder has written restarts it there.
RESTART_AHEAD = 3
SEGMENT_WAIT_SECONDS = 30.0
# How long a frame grab waits for a free encoder slot before the poster answers 503.
FRAME_WAIT_SECONDS = 20.0
# One seek preview run decodes the whole file; a long film on a small machine takes minutes.
SPRITE_TIMEOUT_SECONDS = 3600.0


@dataclass
class Session:
    id: str
    user_id: str
    item_id: str
    plan: playback.Plan
    source: OpenedFile
    duration: float
    folder: Path
    last_access: float = field(default_factory=time.monotonic)
    # The last time a player asked for a segment: an encoder nobody takes segments from gives its slot back.
    last_segment: float = field(default_factory=time.monotonic)
    # Whether the session holds one of the max_transcodes slots; it takes one back before encoding again.
    holds_slot: bool = True
    # The player that asked (a browser's random id): a new playback of the item on it replaces this session.
    device: str | None = None
    # The sign-in session or app token whose media URL started it: the session ends with it.
    grant_session: str | None = None
    process: subprocess.Popen[bytes] | None = None
    process_start: int = 0
    argv_history: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False
    # Text subtitles offered as WebVTT renditions: (id, language, title, forced).
    subtitles: tuple[tuple[str, str | None, str | None, bool], ...] = ()

    @property
    def segments(self) -> int:
        return hls.segment_count(self.duration, SEGMENT_SECONDS)

    def finished(self) -> set[int]:
        try:
            return hls.finished_segments((self.folder / "ffmpeg.m3u8").read_text())
        except OSError:
            return set()


@dataclass
class AudioEncoder:
    key: str
    user_id: str
    item_id: str
    process: subprocess.Popen[bytes]
    session: str | None = None


class TranscodeService:
    def __init__(self, cache_dir: Path, setting: Callable[[str], int], idle_seconds: float = 60.0) -> None:
        self._root = cache_dir / "transcode"
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
                )
                session.folder.mkdir(parents=True)
                self._sessions[session.id] = session
        except BaseException:
            source.close()
            raise
        finally:
            for old in replaced:
                self._dispose(old)
        self._ensure_reaper()
        return session

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
        return session

    def end(self, session_id: str, user_id: str) -> None:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.user_id != user_id:
                raise NotFound("No such playback session.")
            del self._sessions[session_id]
        self._dispose(session)

    def active(self) -> list[Session]:
        with self._lock:
            return list(self._sessions.values())

    # Segments -------------------------------------------------------------------------------
    def segment(self, session: Session, number: int) -> Path:
        """The finished segment file, starting or restarting the encoder when the player seeks."""
        if not 0 <= number < session.segments:
            raise NotFound("No such segment.")
        deadline = time.monotonic() + SEGMENT_WAIT_SECONDS
        session.last_segment = time.monotonic()
        with session.lock:
            done = {n for n in session.finished() if (session.folder / f"seg{n}.ts").exists()}
            if number not in done:
                running = session.process is not None and session.process.poll() is None
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
            if number in session.finished() and target.exists():
                session.last_access = time.monotonic()
                return target
            process = session.process
            if process is not None and process.poll() is not None and number not in session.finished():
                if process.returncode != 0:
                    raise MediaError("The encoder stopped on this file.")
                with session.lock:
                    if session.process is process and not session.closed:
                        self._restart(session, number)
            time.sleep(0.03)
        raise Unavailable("The segment is taking too long to prepare.", retry_after=2)

    def _restart(self, session: Session, number: int) -> None:
        # Called with session.lock held; _dispose marks closed before taking it, so no encoder outlives it.
        if session.closed:
            raise NotFound("This playback session has ended; start playback again.")
        if session.process is not None:
            ffmpeg.stop(session.process)
            session.process = None
        if not session.holds_slot:
            with self._lock:
                self._busy()
                session.holds_slot = True
        (session.folder / "ffmpeg.m3u8").unlink(missing_ok=True)
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

    # Progressive audio and frames ------------------------------------------------------------
    def audio(
        self,
        user_id: str,
        item_id: str,
        key: str,
        source: OpenedFile,
        audio_index: int,
        codec: str,
        kbps: int,
        session: str | None = None,
    ) -> AudioEncoder:
        """An ffmpeg writing the encoded track to its stdout, registered under ``key`` (the grant): one grant
        runs one encoder at a time, so a second request with it ends the first. Hand it back to ``stop``."""
        return self._pipe(
            user_id,
            item_id,
            key,
            source,
            ffmpeg.audio_argv(source.ffmpeg_input(), audio_index, codec, kbps),
            session,
        )

    def remux_audio(
        self,
        user_id: str,
        item_id: str,
        key: str,
        source: OpenedFile,
        audio_index: int,
        session: str | None = None,
        decode: bool = False,
    ) -> AudioEncoder:
        """The track copied (or with ``decode``, decoded and encoded as FLAC) into fragmented MP4: a process
        either way, so it is counted and cut like an audio encoder."""
        return self._pipe(
            user_id,
            item_id,
            key,
            source,
            ffmpeg.remux_audio_argv(source.ffmpeg_input(), audio_index, decode),
            session,
        )

    def _pipe(
        self, user_id: str, item_id: str, key: str, source: OpenedFile, argv: list[str], session: str | None
    ) -> AudioEncoder:
        with self._lock:
            previous = self._audio.pop(key, None)
            if previous is None:
                self._busy()
            process = ffmpeg.start(argv, source.ffmpeg_input(), stdout_pipe=True)
            encoder = AudioEncoder(key, user_id, item_id, process, session)
            self._audio[key] = encoder
        if previous is not None:
            ffmpeg.stop(previous.process)
        return encoder

    def stop(self, encoder: AudioEncoder) -> None:
        with self._lock:
            if self._audio.get(encoder.key) is encoder:
                del self._audio[encoder.key]
        ffmpeg.stop(encoder.process)

    def audio_encoders(self) -> list[AudioEncoder]:
        with self._lock:
            return list(self._audio.values())

    def end_audio_of(self, user_id: str, allowed: Callable[[AudioEncoder], bool]) -> int:
        """Stop the user's audio encoders ``allowed`` now refuses; returns how many."""
        with self._lock:
            ended = [e for e in self._audio.values() if e.user_id == user_id and not allowed(e)]
            for encoder in ended:
                del self._audio[encoder.key]
        for encoder in ended:
            ffmpeg.stop(encoder.process)
        return len(ended)

    @contextmanager
    def _slot(self, wait_seconds: float | None, reserve: int = 0) -> Iterator[None]:
        """Hold an encoder slot while the block runs, waiting up to ``wait_seconds`` (None: until the service
        closes) for one with ``reserve`` more still free."""
        deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
        while True:
            with self._lock:
                try:
                    self._busy(reserve)
                except Unavailable:
                    if self._stop.is_set() or (deadline is not None and time.monotonic() > deadline):
                        raise
                else:
                    self._frames += 1
                    break
            time.sleep(0.05)
        try:
            yield
        finally:
            with self._lock:
                self._frames -= 1

    def frame(self, source: OpenedFile, at_seconds: float, target: Path) -> None:
        """One JPEG frame of a video, counted like every other encoder while it runs. A frame takes a fraction
        of a second, so a page of posters waits its turn for a slot instead of showing broken pictures."""
        with self._slot(FRAME_WAIT_SECONDS):
            ffmpeg.run(
                ffmpeg.frame_argv(source.ffmpeg_input(), round(at_seconds, 3), target), source.ffmpeg_input()
            )

    def sprites(self, job: ffmpeg.SpriteJob) -> None:
        """Seek preview sheets, made in the background: they wait for a slot as long as it takes, and leave one
        free for a viewer when the server may run more than one encoder."""
        reserve = 1 if self._setting("max_transcodes") > 1 else 0
        with self._slot(None, reserve):
            ffmpeg.run(ffmpeg.sprite_argv(job), job.source, timeout=SPRITE_TIMEOUT_SECONDS)

    # Housekeeping ---------------------------------------------------------------------------
    def _dispose(self, session: Session) -> None:
        session.closed = True
        with session.lock:
            if session.process is not None:
                ffmpeg.stop(session.process)
                session.process = None
        shutil.rmtree(session.folder, ignore_errors=True)
        session.source.close()

    def reap(self) -> int:
        """Free the slots of encoders nobody has taken a segment from for ``release_seconds``, end sessions
        nobody has polled for ``idle_seconds``, then trim the cache; returns sessions ended."""
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
            self._dispose(session)
        for session in quiet:
            with session.lock:
                # Asked again meanwhile: keep it. Segments already written stay served either way; the next one
                # past them takes a slot again.
                if session.closed or time.monotonic() - session.last_segment <= self.release_seconds:
                    continue
                if session.process is not None:
                    ffmpeg.stop(session.process)
                    session.process = None
                with self._lock:
                    session.holds_slot = False
        self._trim()
        return len(idle)

    def _trim(self) -> None:
        cap = self._setting("transcode_cache_mb") * 1024 * 1024
        files = _segments(self._root)
        total = sum(size for _, size, _ in files)
        # Oldest segments go first; a player that seeks back to one gets it re-encoded.
        for _mtime, size, path in sorted(files):
            if total <= cap:
                break
            path.unlink(missing_ok=True)
            total -= size

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
            except OSError as error:
                # A full or read-only cache disk must not end the reaper: idle encoders would then never be freed.
                log.warning("transcode reaper: %s; trying again", error)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            self._dispose(session)
        with self._lock:
            encoders = list(self._audio.values())
            self._audio.clear()
        for encoder in encoders:
            ffmpeg.stop(encoder.process)
        if self._reaper is not None:
            self._reaper.join(10)


# The MPEG-TS muxer starts timestamps 1.4 s in; WebVTT cues say so, or players shift every cue by that much.
_VTT_TIMESTAMP_MAP = "X-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000"


def master_text(
    session: Session, media_uri: str, bandwidth_bps: int, height: int, subtitle_uri: Callable[[str], str]
) -> str:
    width = (height * 16 // 9) // 2 * 2
    renditions = [
        hls.SubtitleRendition(
            name=title or language or "Subtitles", language=language, uri=subtitle_uri(sub_id), forced=forced
        )
        for sub_id, language, title, forced in session.subtitles
    ]
    return hls.master_playlist(media_uri, bandwidth_bps, "avc1.640028,mp4a.40.2", (width, height), renditions)


def subtitle_playlist_text(session: Session, subtitle_id: str, vtt_uri: str) -> str:
    if subtitle_id not in {s[0] for s in session.subtitles}:
        raise NotFound("No such subtitle.")
    return hls.subtitle_playlist(session.duration, vtt_uri)


def vtt_for_hls(vtt: str) -> str:
    head, _, rest = vtt.partition("\n")
    return f"{head}\n{_VTT_TIMESTAMP_MAP}\n{rest}"


def media_text(session: Session, uri_for: Callable[[int], str]) -> str:
    return hls.media_playlist(session.duration, SEGMENT_SECONDS, uri_for)


def _segments(root: Path) -> list[tuple[float, int, Path]]:
    """Every cached segment as (mtime, size, path). Sessions are disposed of concurrently, so a folder or a file
    that vanishes between listing and looking is simply not there, never an error that stops the reaper."""
    found: list[tuple[float, int, Path]] = []
    try:
        sessions = list(os.scandir(root))
    except FileNotFoundError:
        return found
    for session in sessions:
        try:
            entries = list(os.scandir(session.path)) if session.is_dir(follow_symlinks=False) else []
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if not (entry.name.startswith("seg") and entry.name.endswith(".ts")):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISREG(st.st_mode):
                found.append((st.st_mtime, st.st_size, Path(entry.path)))
    return found
