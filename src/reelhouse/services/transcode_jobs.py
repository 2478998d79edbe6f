"""What a web node asks a transcode worker to do: a structured job, never a command line.

The job names a file by library id and a path relative to that library's root, so each worker can mount the
media wherever it likes (no identical absolute paths across machines), and carries only values drawn from the
allowlists the ffmpeg builder itself enforces; the worker builds the argv with that same builder. The Redis keys
both sides use to cancel a job and to see that it is alive are named here, once."""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reelhouse.domain import playback
from reelhouse.domain.ids import looks_like_id
from reelhouse.errors import InvalidInput
from reelhouse.media import ffmpeg
from reelhouse.media.hw_encode import Hardware

# A worker that has not refreshed a job's heartbeat for HEARTBEAT_TTL seconds is gone: the web node starts the
# job again elsewhere at the segment the player asks for.
HEARTBEAT_SECONDS = 3.0
HEARTBEAT_TTL = 9
# How often a worker reads the control keys of its jobs: a cancel ends ffmpeg within this plus a kill.
CONTROL_POLL_SECONDS = 0.2
# A job not started within this many seconds is dropped, not run late: the player has moved on by then.
DEFAULT_EXPIRY_SECONDS = 5.0
CONTROL_TTL = 3600
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_SEGMENT_NAME = re.compile(r"ffmpeg\.m3u8|seg(?:0|[1-9][0-9]{0,6})\.ts")
LADDER_HEIGHTS = frozenset(height for height, _ in playback.LADDER)


class Capability(enum.StrEnum):
    """A worker's queues: jobs are routed by what the worker can encode with."""

    CPU = "cpu"
    GPU = "gpu"


class JobState(enum.StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    # A `gpu` job whose hardware encoder did not start (no such device, no driver): the web node's policy
    # (setting transcode_gpu) decides whether it goes to a CPU worker instead.
    ENCODER_FAILED = "encoder_failed"


def job_token(key: bytes, job_id: str) -> str:
    """The only thing a worker's HTTP listener accepts for a job's segments. Web nodes derive it from their shared
    key and the random job id, so any node can fetch a job's segments while the shared session table keeps only
    the job id, never a usable token."""
    digest = hmac.new(key, b"reelhouse transcode job\x00" + job_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class TranscodeJob(BaseModel):
    """One HLS encode from ``start_segment`` on. Strict: a string where a number belongs is refused, so a
    message cannot smuggle anything the builder would read differently."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    job_id: str
    token: str = Field(min_length=32, max_length=128)
    library_id: str
    # Which of the library's folders (in the order the library lists them) the path is relative to.
    root_index: int = Field(default=0, ge=0, le=63)
    relative_path: str = Field(min_length=1, max_length=4096)
    start_segment: int = Field(ge=0, le=1_000_000)
    segment_seconds: int
    video_index: int = Field(ge=0, le=1023)
    video_codec: str | None  # None copies the video
    height: int | None = None
    video_kbps: int | None = Field(default=None, ge=100, le=100_000)
    audio_index: int | None = Field(default=None, ge=0, le=1023)
    audio_codec: str | None = None  # None copies the audio
    audio_kbps: int = playback.AUDIO_KBPS_IN_HLS
    burn_subtitle_index: int | None = Field(default=None, ge=0, le=1023)
    # The queue it was sent to: a `gpu` job is encoded with the worker's hardware encoder, never libx264.
    capability: Literal["cpu", "gpu"] = "cpu"

    @field_validator("job_id")
    @classmethod
    def _job_id(cls, value: str) -> str:
        if not is_job_id(value):
            raise ValueError("not a job id")
        return value

    @field_validator("library_id")
    @classmethod
    def _library_id(cls, value: str) -> str:
        if not looks_like_id(value):
            raise ValueError("not a library id")
        return value

    @field_validator("relative_path")
    @classmethod
    def _relative(cls, value: str) -> str:
        # Lexical only; the worker still opens the file and checks where its descriptor really points, which is
        # what stops a symlink out of the root.
        parts = value.split("/")
        if value.startswith("/") or "\0" in value or any(part in ("", ".", "..") for part in parts):
            raise ValueError("must be a plain path inside the library root")
        return value

    @field_validator("segment_seconds")
    @classmethod
    def _segment(cls, value: int) -> int:
        if value not in ffmpeg.SEGMENT_SECONDS:
            raise ValueError("not an allowed segment length")
        return value

    @field_validator("video_codec")
    @classmethod
    def _video_codec(cls, value: str | None) -> str | None:
        if value is not None and value not in playback.VIDEO_ENCODERS:
            raise ValueError("not an allowed video encoder")
        return value

    @field_validator("height")
    @classmethod
    def _height(cls, value: int | None) -> int | None:
        if value is not None and value not in LADDER_HEIGHTS:
            raise ValueError("not a height of the ladder")
        return value

    @field_validator("audio_codec")
    @classmethod
    def _audio_codec(cls, value: str | None) -> str | None:
        # HLS segments carry AAC; the other audio encoders are for progressive streams.
        if value is not None and value != "aac":
            raise ValueError("not an allowed audio encoder for HLS")
        return value

    @field_validator("audio_kbps")
    @classmethod
    def _audio_kbps(cls, value: int) -> int:
        if value not in ffmpeg.AUDIO_BITRATES_KBPS:
            raise ValueError("not an allowed audio bitrate")
        return value

    @classmethod
    def parse(cls, raw: object) -> TranscodeJob:
        """A job from a queue message; anything malformed is an InvalidInput naming the fields."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
            raise InvalidInput("The transcode job is not valid.", fields or "job") from None

    def hls(self, source: ffmpeg.Input, output: Path, hardware: Hardware | None = None) -> ffmpeg.HlsJob:
        return ffmpeg.HlsJob(
            source=source,
            output=output,
            start_segment=self.start_segment,
            segment_seconds=self.segment_seconds,
            audio_index=self.audio_index,
            audio_codec=self.audio_codec,
            audio_kbps=self.audio_kbps,
            video_index=self.video_index,
            video_codec=self.video_codec,
            height=self.height,
            video_kbps=self.video_kbps,
            burn_subtitle_index=self.burn_subtitle_index,
            hardware=hardware,
        )


def control_key(job_id: str) -> str:
    return f"reelhouse:job:{job_id}:control"


def heartbeat_key(job_id: str) -> str:
    return f"reelhouse:job:{job_id}:heartbeat"


def is_job_id(value: str) -> bool:
    return bool(_JOB_ID.fullmatch(value))


def is_segment_name(name: str) -> bool:
    """The only names a worker serves from a job's folder: ffmpeg's playlist and its numbered segments."""
    return bool(_SEGMENT_NAME.fullmatch(name))


@dataclass(frozen=True)
class Heartbeat:
    """What a worker says about a job: where its segments are served and how far it got."""

    worker: str
    url: str
    state: JobState
    start_segment: int
    detail: str = ""

    def encode(self) -> str:
        return json.dumps(
            {
                "worker": self.worker,
                "url": self.url,
                "state": self.state.value,
                "start_segment": self.start_segment,
                "detail": self.detail,
            }
        )

    @classmethod
    def decode(cls, raw: bytes | str) -> Heartbeat:
        data = json.loads(raw)
        return cls(
            worker=str(data["worker"]),
            url=str(data["url"]),
            state=JobState(data["state"]),
            start_segment=int(data["start_segment"]),
            detail=str(data.get("detail", "")),
        )
