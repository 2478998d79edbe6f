"""The playback decision: direct play, remux or transcode, from the file, the client profile and limits."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from reelhouse.domain.library import MediaInfo, StreamInfo
from reelhouse.errors import InvalidInput, PermissionDenied


class Method(enum.StrEnum):
    DIRECT = "direct"
    REMUX = "remux"  # video copied into HLS, audio copied or re-encoded
    TRANSCODE = "transcode"  # video re-encoded


# The only values that may ever reach an encoder's command line; clients pick among these names.
VIDEO_ENCODERS = frozenset({"h264"})
AUDIO_ENCODERS = frozenset({"aac", "opus", "mp3"})
AUDIO_BITRATES_KBPS = (64, 96, 128, 160, 192, 256, 320)
# Copying into MPEG-TS segments only works for codecs that container carries and players decode there.
HLS_COPY_VIDEO = frozenset({"h264", "hevc"})
HLS_COPY_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3"})
# Audio copied into fragmented MP4 for gapless play through a browser's MediaSource (which refuses FLAC's own
# container): the codecs whose exact length in samples the probe gives, with no encoder priming to cut.
FMP4_AUDIO = frozenset({"flac"})
# Lossy codecs whose encoder's priming and padding a MediaSource does not cut reliably from one track to the next
# (Chromium drops Opus's pre-skip only at the start of a chain): the server decodes them, which applies both,
# and encodes the samples losslessly as FLAC in fragmented MP4, chained like a FLAC track. Only where the probe
# read their exact decoded length from the file.
FMP4_DECODED = frozenset({"opus", "aac"})
# Resolution ladder: height → video bitrate in kbit/s for H.264.
LADDER: tuple[tuple[int, int], ...] = (
    (2160, 20000),
    (1440, 12000),
    (1080, 8000),
    (720, 4000),
    (480, 1500),
    (360, 800),
    (240, 400),
)
AUDIO_KBPS_IN_HLS = 160
_CONTAINER_FAMILY = {"m4v": "mp4", "mov": "mp4", "m4a": "mp4", "mka": "mkv", "oga": "ogg", "opus": "ogg"}


def container_family(name: str) -> str:
    name = name.lower()
    return _CONTAINER_FAMILY.get(name, name)


@dataclass(frozen=True)
class ClientProfile:
    """What the player says it decodes (the web page asks canPlayType / MediaSource.isTypeSupported)."""

    containers: frozenset[str] = frozenset({"mp4"})
    video_codecs: frozenset[str] = frozenset({"h264"})
    audio_codecs: frozenset[str] = frozenset({"aac", "mp3"})
    max_width: int = 1920
    max_height: int = 1080
    max_bitrate_kbps: int | None = None
    hls: bool = True


@dataclass(frozen=True)
class Request:
    """What the viewer chose: an audio track, a subtitle to burn in, a start time."""

    audio_index: int | None = None  # absolute stream index
    burn_subtitle_index: int | None = None  # absolute stream index of an image subtitle
    start_seconds: float = 0.0


@dataclass(frozen=True)
class Limits:
    may_transcode: bool = True
    max_bitrate_kbps: int | None = None  # the lowest of the user's, the remote cap and the client's


@dataclass(frozen=True)
class Plan:
    method: Method
    video_copy: bool = True
    audio_copy: bool = True
    audio_codec: str = "aac"
    audio_kbps: int = AUDIO_KBPS_IN_HLS
    height: int | None = None
    video_kbps: int | None = None
    video_index: int | None = None
    audio_index: int | None = None
    burn_subtitle_index: int | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)


def effective_cap(*caps: int | None) -> int | None:
    present = [c for c in caps if c]
    return min(present) if present else None


def _audio(media: MediaInfo, wanted: int | None) -> StreamInfo | None:
    audio = [s for s in media.streams if s.type == "audio"]
    if wanted is not None:
        chosen = next((s for s in audio if s.index == wanted), None)
        if chosen is None:
            raise InvalidInput("No such audio track.", "audio_index")
        return chosen
    return next((s for s in audio if s.default), audio[0] if audio else None)


def _rung(source_height: int, max_height: int, cap_kbps: int | None) -> tuple[int, int]:
    budget = None if cap_kbps is None else cap_kbps - AUDIO_KBPS_IN_HLS
    for height, kbps in LADDER:
        if height > min(source_height, max_height) and height != LADDER[-1][0]:
            continue
        if budget is not None and kbps > budget and height != LADDER[-1][0]:
            continue
        return height, kbps if budget is None else max(200, min(kbps, budget))
    return LADDER[-1]


def plan(media: MediaInfo, client: ClientProfile, limits: Limits, request: Request = Request()) -> Plan:
    """Pure: the cheapest way to get this file to this client within the limits."""
    video = next((s for s in media.streams if s.type == "video" and s.codec not in ("mjpeg", "png")), None)
    audio = _audio(media, request.audio_index)
    default_audio = _audio(media, None)
    cap = effective_cap(limits.max_bitrate_kbps, client.max_bitrate_kbps)
    source_kbps = (media.bit_rate or 0) // 1000
    reasons: list[str] = []
    if request.burn_subtitle_index is not None:
        burn = next((s for s in media.streams if s.index == request.burn_subtitle_index), None)
        if burn is None or burn.type != "subtitle" or burn.codec not in ("hdmv_pgs_subtitle", "dvd_subtitle"):
            raise InvalidInput("Only image subtitles are burned in.", "burn_subtitle_index")
        reasons.append("burning in subtitles")
    container_ok = container_family(media.container) in client.containers
    video_ok = video is None or (
        video.codec in client.video_codecs
        and (video.width or 0) <= client.max_width
        and (video.height or 0) <= client.max_height
    )
    audio_ok = audio is None or audio.codec in client.audio_codecs
    bitrate_ok = cap is None or source_kbps <= cap
    if not container_ok:
        reasons.append(f"container {media.container} not supported")
    if not video_ok and video is not None:
        reasons.append(f"video {video.codec} {video.width}x{video.height} not supported")
    if not audio_ok and audio is not None:
        reasons.append(f"audio {audio.codec} not supported")
    if not bitrate_ok:
        reasons.append(f"bitrate {source_kbps} kbit/s over the {cap} kbit/s cap")
    if audio is not default_audio:
        reasons.append("another audio track chosen")
    video_index = video.index if video else None
    audio_index = audio.index if audio else None
    if container_ok and video_ok and audio_ok and bitrate_ok and not reasons:
        return Plan(Method.DIRECT, video_index=video_index, audio_index=audio_index)
    audio_copy = audio is not None and audio_ok and audio.codec in HLS_COPY_AUDIO
    audio_codec = _audio_codec(client)
    if video is None:
        # Music: a progressive stream needs no HLS; a re-encode is only audio, so no transcode permission gate.
        kbps = _audio_kbps(cap)
        return Plan(
            Method.TRANSCODE,
            audio_copy=False,
            audio_codec=audio_codec,
            audio_kbps=kbps,
            audio_index=audio_index,
            reasons=tuple(reasons),
        )
    if not client.hls:
        raise InvalidInput("This file needs HLS, which the player says it cannot play.", "hls")
    copy_video = (
        video_ok and bitrate_ok and request.burn_subtitle_index is None and video.codec in HLS_COPY_VIDEO
    )
    if copy_video:
        return Plan(
            Method.REMUX,
            video_copy=True,
            audio_copy=audio_copy,
            audio_codec=audio_codec,
            video_index=video_index,
            audio_index=audio_index,
            reasons=tuple(reasons),
        )
    if not limits.may_transcode:
        raise PermissionDenied("This file needs transcoding, which your account may not use.")
    height, kbps = _rung(video.height or 1080, client.max_height, cap)
    return Plan(
        Method.TRANSCODE,
        video_copy=False,
        audio_copy=audio_copy,
        audio_codec=audio_codec,
        height=height,
        video_kbps=kbps,
        video_index=video_index,
        audio_index=audio_index,
        burn_subtitle_index=request.burn_subtitle_index,
        reasons=tuple(reasons),
    )


def _audio_codec(client: ClientProfile) -> str:
    for codec in ("aac", "opus", "mp3"):
        if codec in client.audio_codecs:
            return codec
    return "aac"


def _audio_kbps(cap: int | None) -> int:
    fitting = [b for b in AUDIO_BITRATES_KBPS if cap is None or b <= cap]
    return min(192, max(fitting)) if fitting else AUDIO_BITRATES_KBPS[0]


@dataclass(frozen=True)
class Fmp4Audio:
    """A music track's audio as fragmented MP4 for a gapless player: the MediaSource type, its exact length, and
    whether the server decodes it (re-encoded losslessly as FLAC) rather than copying it."""

    content_type: str
    samples: int
    sample_rate: int
    audio_index: int
    decoded: bool = False
    channels: int = 2

    @property
    def pcm_kbps(self) -> int:
        """The most a decoded copy can weigh: 16-bit PCM, which FLAC only ever shrinks."""
        return self.sample_rate * self.channels * 16 // 1000


def fmp4_audio(media: MediaInfo | None, may_decode: bool = True) -> Fmp4Audio | None:
    """The copy a gapless player may chain, for an audio-only file in a codec of FMP4_AUDIO whose probe gives
    its length and sample rate, or of FMP4_DECODED whose probe read its exact length when ``may_decode``; None
    otherwise. The probe's duration is kept to the microsecond, finer than one sample at any rate up to 384 kHz,
    so rounding gives back a FLAC track's exact count."""
    # Cover art inside the file is a picture "video" stream; a real video is not music.
    pictures = ("mjpeg", "png")
    if (
        media is None
        or not media.duration
        or any(s.type == "video" and s.codec not in pictures for s in media.streams)
    ):
        return None
    audio = _audio(media, None)
    if audio is None or not audio.sample_rate:
        return None
    channels = audio.channels or 2
    if audio.codec in FMP4_AUDIO:
        samples = round(media.duration * audio.sample_rate)
        content_type, decoded = f'audio/mp4; codecs="{audio.codec}"', False
    elif audio.codec in FMP4_DECODED and may_decode and audio.samples and channels <= 8:
        samples, content_type, decoded = audio.samples, 'audio/mp4; codecs="flac"', True
    else:
        return None
    return (
        Fmp4Audio(content_type, samples, audio.sample_rate, audio.index, decoded, channels)
        if samples > 0
        else None
    )
