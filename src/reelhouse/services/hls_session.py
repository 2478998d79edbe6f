"""An HLS session: what it plays, where its segments go, and the playlists a player reads. The encoder that
fills its folder (and the slot it holds) is TranscodeService's business (services/transcoding.py)."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reelhouse.domain import playback
from reelhouse.errors import NotFound
from reelhouse.media import hls
from reelhouse.services.media_files import OpenedFile

if TYPE_CHECKING:
    from reelhouse.services.remote_encoder import JobOrigin, RemoteRun

# Three seconds: short enough that the first segment is ready quickly on a small machine.
SEGMENT_SECONDS = 3
# A seek further than this many segments past what the encoder has written restarts it there.
RESTART_AHEAD = 3
SEGMENT_WAIT_SECONDS = 30.0


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
    # With transcode workers: the file as a job names it, the job now encoding, and the worker running it.
    origin: JobOrigin | None = None
    job: RemoteRun | None = None
    worker: str | None = None
    # Why its jobs go to CPU workers though the GPU policy prefers GPUs ("fell back to CPU: …"); shown to admins.
    fallback: str | None = None

    @property
    def segments(self) -> int:
        return hls.segment_count(self.duration, SEGMENT_SECONDS)

    def finished(self) -> set[int]:
        try:
            return hls.finished_segments((self.folder / "ffmpeg.m3u8").read_text())
        except OSError:
            return set()


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
