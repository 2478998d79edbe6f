"""Progressive encoders: an audio track piped to its player, and single frames and seek preview sheets, each
counted against ``max_transcodes`` like an HLS session. TranscodeService (services/transcoding.py) owns the slots;
this is its half that runs processes outside HLS sessions. Every input is a file the media access decision opened."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reelhouse.errors import Unavailable
from reelhouse.media import ffmpeg
from reelhouse.services.media_files import OpenedFile

# How long a frame grab waits for a free encoder slot before the poster answers 503.
FRAME_WAIT_SECONDS = 20.0
# One seek preview run decodes the whole file; a long film on a small machine takes minutes.
SPRITE_TIMEOUT_SECONDS = 3600.0


@dataclass
class AudioEncoder:
    key: str
    user_id: str
    item_id: str
    process: subprocess.Popen[bytes]
    session: str | None = None


class ProgressiveEncoders:
    """Mixed into TranscodeService, which sets these up and defines ``_busy`` (raises when every slot is taken)."""

    _lock: threading.Lock
    _stop: threading.Event
    _audio: dict[str, AudioEncoder]
    _frames: int
    _setting: Callable[[str], int]

    def _busy(self, reserve: int = 0) -> None:
        raise NotImplementedError

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
