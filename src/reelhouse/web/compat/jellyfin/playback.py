"""PlaybackInfo: what a Jellyfin app may play and how, negotiated from its DeviceProfile by the one media
access decision. The app's claims only narrow what it is offered; the decision's rules (scope, permissions,
the zone's and the user's bitrate caps, stream counts) decide the flags and whether a transcode is opened."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from reelhouse.domain import playback
from reelhouse.domain.access import Actor
from reelhouse.domain.ids import new_id
from reelhouse.domain.library import StreamInfo
from reelhouse.errors import InvalidInput, MediaError, NotFound, PermissionDenied, TooManyRequests
from reelhouse.services.media_access import Allowed, Purpose
from reelhouse.web.compat.jellyfin.answers import jellyfin_json
from reelhouse.web.compat.jellyfin.auth import client_info, query
from reelhouse.web.compat.jellyfin.bodies import json_fields
from reelhouse.web.compat.jellyfin.ids import from_jellyfin, to_jellyfin
from reelhouse.web.context import ZONE, actor, call, services
from reelhouse.web.routing import Access, Route

TICKS = 10_000_000
MAX_BODY = 256 * 1024
# Embedded subtitles ffmpeg can turn into WebVTT; image subtitles stay inside the file.
TEXT_CODECS = frozenset({"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text", "vtt"})
_TYPES = {"video": "Video", "audio": "Audio", "subtitle": "Subtitle"}


def flag(value: object, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or value == "":
        return default
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise InvalidInput(f"{value!r} is not a boolean.")


def number(value: object, name: str, low: int = 0, high: int = 10**15) -> int | None:
    if value is None or value == "":
        return None
    try:
        found = int(str(value))
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number.", name) from None
    if not low <= found <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}.", name)
    return found


def _lower_keys(raw: Any) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in raw.items()} if isinstance(raw, dict) else {}


def _names(value: object) -> frozenset[str]:
    return frozenset(p.strip().lower() for p in str(value or "").split(",") if p.strip())


def user_matches(request: web.Request, who: Actor, named: object) -> None:
    """A userId in the query or body must be the caller's own, as items.check_user rules (an admin may name
    anyone, and is still decided as themselves); any other user is one that does not exist."""
    if named and from_jellyfin(str(named)) != who.user_id and not who.is_admin:
        raise NotFound("No such user.")


def _direct_match(
    profiles: list[Any], kind: str, container: str, video: str | None, audio: str | None
) -> bool:
    family = playback.container_family(container)
    for raw in profiles:
        p = _lower_keys(raw)
        if str(p.get("type") or kind).lower() != kind.lower():
            continue
        containers = {playback.container_family(c) for c in _names(p.get("container"))}
        if containers and family not in containers:
            continue
        videos, audios = _names(p.get("videocodec")), _names(p.get("audiocodec"))
        if video is not None and videos and video not in videos:
            continue
        if audio is not None and audios and audio not in audios:
            continue
        return True
    return False


def client_profile(
    body: dict[str, Any], allowed: Allowed, max_kbps: int | None, direct_wanted: bool
) -> playback.ClientProfile:
    """The app's DeviceProfile in the planner's terms: the source's own container only when a DirectPlay
    profile takes it whole, and every codec the app names for direct play or transcoding."""
    device = _lower_keys(body.get("deviceprofile"))
    direct_profiles = device.get("directplayprofiles") or []
    transcoding = device.get("transcodingprofiles") or []
    media = allowed.media
    assert media is not None
    video = next((s.codec for s in media.streams if s.type == "video"), None)
    audio = next((s.codec for s in media.streams if s.type == "audio"), None)
    kind = "Video" if video is not None else "Audio"
    matched = direct_wanted and _direct_match(
        list(direct_profiles) if isinstance(direct_profiles, list) else [],
        kind,
        media.container,
        video,
        audio,
    )
    every = [*direct_profiles, *transcoding] if isinstance(transcoding, list) else list(direct_profiles)
    videos = frozenset().union(*(_names(_lower_keys(p).get("videocodec")) for p in every))
    audios = frozenset().union(*(_names(_lower_keys(p).get("audiocodec")) for p in every))
    return playback.ClientProfile(
        containers=frozenset({playback.container_family(media.container)}) if matched else frozenset(),
        video_codecs=videos or frozenset({"h264"}),
        audio_codecs=audios or frozenset({"aac", "mp3"}),
        max_width=7680,
        max_height=4320,
        max_bitrate_kbps=max_kbps,
        hls=True,
    )


def _stream(s: StreamInfo, subtitle_url: str | None) -> dict[str, Any]:
    kind = _TYPES.get(s.type, "Data")
    label = " - ".join(p for p in (s.title, (s.language or "").upper() or None, s.codec.upper()) if p)
    out: dict[str, Any] = {
        "Index": s.index,
        "Type": kind,
        "Codec": s.codec,
        "Language": s.language,
        "Title": s.title,
        "DisplayTitle": label,
        "IsDefault": s.default,
        "IsForced": s.forced,
        "IsExternal": False,
        "IsInterlaced": False,
        "IsTextSubtitleStream": kind == "Subtitle" and s.codec in TEXT_CODECS,
        "SupportsExternalStream": subtitle_url is not None,
    }
    if kind == "Video":
        out.update(Width=s.width, Height=s.height, AverageFrameRate=s.frame_rate, RealFrameRate=s.frame_rate)
        out.update(Profile=s.profile, PixelFormat=s.pixel_format, VideoRange="SDR", VideoRangeType="SDR")
    if kind == "Audio":
        out.update(Channels=s.channels, SampleRate=s.sample_rate, Profile=s.profile)
    if s.bit_rate:
        out["BitRate"] = s.bit_rate
    if subtitle_url is not None:
        out.update(DeliveryMethod="External", DeliveryUrl=subtitle_url)
    return out


def subtitle_indexes(allowed: Allowed) -> dict[int, str]:
    """Jellyfin's stream index of each subtitle the item offers as text → its Reelhouse subtitle id. Embedded
    ones keep the file's own index; sidecar files follow the file's last stream, in the catalogue's order."""
    media = allowed.media
    last = max((s.index for s in media.streams), default=-1) if media else -1
    out: dict[int, str] = {}
    for sub in allowed.item.subtitles:
        if sub.embedded_index is not None:
            out[sub.embedded_index] = sub.id
    for sub in allowed.item.subtitles:
        if sub.embedded_index is None:
            last += 1
            out[last] = sub.id
    return out


def media_streams(allowed: Allowed, jid: str) -> list[dict[str, Any]]:
    media = allowed.media
    subtitles = subtitle_indexes(allowed)

    def url(index: int) -> str | None:
        return f"/Videos/{jid}/{jid}/Subtitles/{index}/0/Stream.vtt" if index in subtitles else None

    streams = [_stream(s, url(s.index)) for s in (media.streams if media else ()) if s.type in _TYPES]
    embedded = {s.index for s in media.streams} if media else set()
    by_id = {sub.id: sub for sub in allowed.item.subtitles}
    for index, sub_id in subtitles.items():
        if index in embedded:
            continue
        sub = by_id[sub_id]
        info = StreamInfo(index, "subtitle", sub.format, sub.language, sub.title, forced=sub.forced)
        streams.append({**_stream(info, url(index)), "IsExternal": True, "IsTextSubtitleStream": True})
    return streams


def media_source(allowed: Allowed, plan: playback.Plan | None, transcoding_url: str | None) -> dict[str, Any]:
    media, file = allowed.media, allowed.file
    jid = to_jellyfin(allowed.item.summary.id)
    direct = plan is not None and plan.method is playback.Method.DIRECT
    streams = media_streams(allowed, jid)
    subtitles = [s["Index"] for s in streams if s["Type"] == "Subtitle"]
    default_sub = next((s["Index"] for s in streams if s["Type"] == "Subtitle" and s["IsDefault"]), None)
    audio = plan.audio_index if plan is not None else None
    source: dict[str, Any] = {
        "Id": jid,
        "Protocol": "File",
        "Type": "Default",
        "Container": media.container if media else None,
        "Size": file.size if file else None,
        "Bitrate": media.bit_rate if media else None,
        "RunTimeTicks": int(allowed.duration * TICKS) if allowed.duration else None,
        "ETag": f"{file.size:x}-{int(file.mtime * 1000):x}" if file else None,
        "Name": allowed.item.summary.title,
        "Path": f"/reelhouse/{jid}",
        "IsRemote": False,
        "ReadAtNativeFramerate": False,
        "IgnoreDts": False,
        "IgnoreIndex": False,
        "GenPtsInput": False,
        "SupportsDirectPlay": direct,
        "SupportsDirectStream": direct,
        "SupportsTranscoding": transcoding_url is not None,
        "SupportsProbing": False,
        "IsInfiniteStream": False,
        "RequiresOpening": False,
        "RequiresClosing": False,
        "RequiresLooping": False,
        "HasSegments": False,
        "MediaStreams": streams,
        "MediaAttachments": [],
        "Formats": [],
        "RequiredHttpHeaders": {},
        "DefaultAudioStreamIndex": audio,
        "DefaultSubtitleStreamIndex": default_sub if subtitles else None,
    }
    if transcoding_url is not None:
        source.update(
            TranscodingUrl=transcoding_url,
            TranscodingSubProtocol="hls" if "master.m3u8" in transcoding_url else "http",
            TranscodingContainer="ts" if "master.m3u8" in transcoding_url else plan_codec(plan),
        )
    return source


def plan_codec(plan: playback.Plan | None) -> str:
    return plan.audio_codec if plan is not None else "aac"


def _refusal(code: str) -> web.Response:
    return jellyfin_json({"MediaSources": [], "PlaySessionId": None, "ErrorCode": code})


async def _body(request: web.Request) -> dict[str, Any]:
    if request.method != "POST" or not request.can_read_body:
        return {}
    return await json_fields(request, MAX_BODY)


def _param(body: dict[str, Any], request: web.Request, name: str) -> Any:
    value = body.get(name.lower())
    return value if value is not None and value != "" else query(request, name)


async def playback_info(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    item_id = from_jellyfin(request.match_info["item_id"])
    body = await _body(request)
    user_matches(request, who, _param(body, request, "UserId"))
    device = _lower_keys(body.get("deviceprofile"))
    asked = number(_param(body, request, "MaxStreamingBitrate"), "MaxStreamingBitrate") or number(
        device.get("maxstreamingbitrate"), "MaxStreamingBitrate"
    )
    audio_index = number(_param(body, request, "AudioStreamIndex"), "AudioStreamIndex", 0, 1023)
    direct_wanted = flag(_param(body, request, "EnableDirectPlay"), True) and flag(
        _param(body, request, "EnableDirectStream"), True
    )
    transcoding_wanted = flag(_param(body, request, "EnableTranscoding"), True)
    media = services(request).media
    zone = request.get(ZONE)
    try:
        allowed: Allowed = await call(request, media.allow, who, item_id, Purpose.STREAM, zone)
    except PermissionDenied:
        return _refusal("NotAllowed")
    jid = to_jellyfin(item_id)
    if allowed.media is None:
        # Nothing probed (a photo, an unreadable file): only the original is on offer, if anything.
        plan = playback.Plan(playback.Method.DIRECT) if allowed.file is not None else None
        return jellyfin_json({"MediaSources": [media_source(allowed, plan, None)], "PlaySessionId": new_id()})
    profile = client_profile(body, allowed, asked // 1000 if asked else None, direct_wanted)
    try:
        plan = media.decide(allowed, profile, playback.Request(audio_index=audio_index))
    except (PermissionDenied, InvalidInput):
        return _refusal("NoCompatibleStream")
    session_id = new_id()
    url = None
    device_id = client_info(request).device_id or query(request, "DeviceId")
    try:
        if plan.method is not playback.Method.DIRECT and transcoding_wanted:
            if allowed.is_audio_only:
                grant = media.issue(allowed, f"{Purpose.AUDIO}:{plan.audio_codec}:{plan.audio_kbps}")
                url = f"/Audio/{jid}/transcode.{plan.audio_codec}?grant={grant}&bitrate={plan.audio_kbps}"
            else:
                session = await call(request, media.start_hls, allowed, plan, (), f"jellyfin:{device_id}")
                session_id = session.id
                grant = media.issue(allowed, f"{Purpose.HLS}:{session.id}")
                url = f"/Videos/{jid}/master.m3u8?PlaySessionId={quote(session.id)}&grant={grant}"
        elif plan.method is playback.Method.DIRECT:
            await call(request, media.check_streams, who, item_id)
    except TooManyRequests:
        return _refusal("RateLimitExceeded")
    except MediaError:
        return _refusal("NoCompatibleStream")
    if plan.method is not playback.Method.DIRECT and url is None:
        return _refusal("NoCompatibleStream")
    return jellyfin_json({"MediaSources": [media_source(allowed, plan, url)], "PlaySessionId": session_id})


_T = "jellyfin"
ROUTES = [
    Route(
        method,
        "/Items/{item_id}/PlaybackInfo",
        playback_info,
        "Jellyfin: negotiate direct play or an HLS transcode for the app's DeviceProfile (MediaSources)",
        Access.USER,
        _T,
    )
    for method in ("POST", "GET")
]
