"""Wire models of the playback API: client profiles, decisions, grants and play state."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Names a player may report; anything else is refused at the door rather than carried further.
ContainerName = Literal["mp4", "webm", "mkv", "ogg", "mp3", "flac", "wav", "aac", "ts"]
VideoCodecName = Literal["h264", "hevc", "vp8", "vp9", "av1", "mpeg4"]
AudioCodecName = Literal["aac", "mp3", "opus", "vorbis", "flac", "ac3", "eac3", "pcm_s16le"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClientProfileIn(Strict):
    containers: list[ContainerName] = Field(
        default_factory=lambda: list[ContainerName](["mp4"]), max_length=16
    )
    video_codecs: list[VideoCodecName] = Field(
        default_factory=lambda: list[VideoCodecName](["h264"]), max_length=16
    )
    audio_codecs: list[AudioCodecName] = Field(
        default_factory=lambda: list[AudioCodecName](["aac", "mp3"]), max_length=16
    )
    max_width: int = Field(1920, ge=160, le=7680)
    max_height: int = Field(1080, ge=120, le=4320)
    max_bitrate_kbps: int | None = Field(None, ge=100, le=1_000_000)
    hls: bool = True


class PlaybackIn(Strict):
    profile: ClientProfileIn = Field(default_factory=ClientProfileIn)
    # The player's own random id (a browser keeps one): a new playback of the same item on the same device
    # replaces its previous session instead of holding a second encoder.
    device_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{8,64}$")
    # Which of the item's files (its versions) to play, by the id the item's detail lists; the first present
    # file when absent.
    file_id: str | None = Field(None, min_length=1, max_length=64)
    audio_index: int | None = Field(None, ge=0, le=1023)
    burn_subtitle_index: int | None = Field(None, ge=0, le=1023)


class SubtitleLink(BaseModel):
    id: str
    language: str | None
    title: str | None
    forced: bool
    url: str


class RemuxLink(BaseModel):
    """A music track's audio repackaged for a MediaSource, with its exact length for the append window."""

    url: str
    content_type: str
    samples: int
    sample_rate: int


class PlaybackOut(BaseModel):
    method: Literal["direct", "remux", "transcode"]
    reasons: list[str]
    url: str
    content_type: str
    session_id: str | None = None
    duration: float | None = None
    resume_position: float = 0.0
    subtitles: list[SubtitleLink] = Field(default_factory=list)
    # For a FLAC track, or an Opus or AAC one decoded to FLAC: the audio as fragmented MP4, which a gapless player
    # can chain in one MediaSource.
    remux: RemuxLink | None = None


class ProgressIn(Strict):
    position: float = Field(ge=0, le=10_000_000)
    duration: float | None = Field(None, gt=0, le=10_000_000)


class WatchedIn(Strict):
    watched: bool


class FavouriteIn(Strict):
    favourite: bool


class RatingIn(Strict):
    # 1 to 5; null removes the rating.
    rating: int | None = Field(ge=1, le=5)


class PlayStateOut(BaseModel):
    item_id: str
    position: float
    duration: float | None
    watched: bool
    play_count: int
    favourite: bool = False
    rating: int | None = None


class NextOut(BaseModel):
    item_id: str | None


class GrantQuery(Strict):
    # Optional here so that a link without its grant answers 401 like any other missing credential.
    grant: str | None = Field(None, max_length=512)


class StreamQuery(GrantQuery):
    # The version chosen at playback; the grant is signed for it, so another file needs another grant.
    file: str | None = Field(None, min_length=1, max_length=64)


# A language as players tag it: ISO 639 ("en", "fre") or a BCP 47 tag ("pt-BR").
LanguageTag = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,2}$", max_length=16)
]


class PlaybackLanguagesIn(Strict):
    # None: the file's own default track (audio), no subtitles (subtitles).
    audio_language: LanguageTag | None = None
    subtitle_language: LanguageTag | None = None


class PlaybackLanguagesOut(BaseModel):
    audio_language: str | None = None
    subtitle_language: str | None = None


class AudioQuery(GrantQuery):
    codec: Literal["opus", "aac", "mp3"] = "opus"
    bitrate: int = Field(128, ge=32, le=512)
    # The track copied into fragmented MP4 instead of encoded (its grant says so; codec and bitrate unused).
    remux: Literal["fmp4"] | None = None


class LimitQuery(Strict):
    limit: int = Field(20, ge=1, le=100)
