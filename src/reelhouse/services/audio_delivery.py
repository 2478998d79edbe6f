"""Audio deliveries: a progressive audio encode, and a music track's fragmented MP4 copy for gapless play.

The media access decision (services/media_access.py) decides every one of them: the grant or the viewer, the
item through the viewer's scope, the purpose's permission, the zone and its bitrate cap, the stream count, and
the opened file. Nothing here decides access; this module asks the decision, then only builds and starts the
ffmpeg process it allowed (counted and cut as an audio encoder)."""

from __future__ import annotations

from reelhouse.domain import playback
from reelhouse.domain.access import Actor
from reelhouse.domain.library import MediaInfo
from reelhouse.errors import InvalidInput, NotFound
from reelhouse.services.media_access import Allowed, MediaAccess, Purpose
from reelhouse.services.progressive_encoders import AudioEncoder
from reelhouse.services.transcoding import TranscodeService


def fitting_kbps(kbps: int, cap: int | None) -> int:
    """The bitrate asked for, or under a cap, the highest offered bitrate that fits it."""
    if cap is None or kbps <= cap:
        return kbps
    return max(
        (b for b in playback.AUDIO_BITRATES_KBPS if b <= cap), default=min(playback.AUDIO_BITRATES_KBPS)
    )


def first_audio(media: MediaInfo | None) -> int:
    index = next((s.index for s in (media.streams if media else ()) if s.type == "audio"), None)
    if index is None:
        raise NotFound("This item has no audio.")
    return index


class AudioDelivery:
    def __init__(self, access: MediaAccess, encoders: TranscodeService) -> None:
        self._access = access
        self._encoders = encoders

    def audio(
        self, grant: str | None, item_id: str, codec: str, kbps: int, zone: str | None
    ) -> tuple[Allowed, AudioEncoder]:
        """A progressive audio encode. Codec and bitrate are signed into the grant, and the bitrate is capped
        again for the zone the request comes from."""
        allowed = self._access.from_grant(grant, item_id, f"{Purpose.AUDIO}:{codec}:{kbps}", zone)
        return allowed, self._encode(allowed, grant or "", codec, kbps)

    def audio_to(
        self, viewer: Actor, item_id: str, codec: str, kbps: int, zone: str | None, key: str
    ) -> tuple[Allowed, AudioEncoder]:
        """A progressive audio encode for a client API's token-bearing URL; ``key`` names the player, so its
        next request replaces this encoder instead of holding a second one."""
        if codec not in playback.AUDIO_ENCODERS:
            raise InvalidInput(f"Audio codec must be one of {', '.join(sorted(playback.AUDIO_ENCODERS))}.")
        allowed = self._access.allow(viewer, item_id, Purpose.AUDIO, zone)
        return allowed, self._encode(allowed, f"{viewer.user_id}:{key}", codec, kbps)

    def remux(self, grant: str | None, item_id: str, zone: str | None) -> tuple[Allowed, AudioEncoder]:
        """A music track as fragmented MP4 (gapless play), counted and cut as an audio encoder is. A FLAC
        track's bytes are copied, so the stream permission and the zone's cap on the file's bitrate apply as for
        direct play; an Opus or AAC track is decoded and encoded as FLAC, which the transcode permission
        decides, capped at what that copy can weigh."""
        access = self._access
        allowed = access.from_grant(grant, item_id, f"{Purpose.REMUX}:fmp4", zone)
        copy = playback.fmp4_audio(allowed.media)
        if copy is None:
            raise NotFound("This track cannot be repackaged.")
        if copy.decoded:
            # Decoded and encoded again: an encode, and heavier than the file (at most 16-bit PCM).
            access.check_may_encode(allowed)
            access.check_rate(allowed, copy.pcm_kbps)
        else:
            access.check_direct_bitrate(allowed)
        access.check_streams(allowed.viewer, item_id)
        with access.open_file(allowed) as source:
            return allowed, self._encoders.remux_audio(
                allowed.viewer.user_id,
                item_id,
                grant or "",
                source,
                copy.audio_index,
                allowed.viewer.session_id,
                copy.decoded,
            )

    def offer(self, allowed: Allowed) -> playback.Fmp4Audio | None:
        """The gapless copy the playback decision may offer: a decoded one only to a viewer who may have it."""
        return playback.fmp4_audio(allowed.media, self._access.may_encode(allowed))

    def _encode(self, allowed: Allowed, key: str, codec: str, kbps: int) -> AudioEncoder:
        access = self._access
        item_id = allowed.item.summary.id
        kbps = fitting_kbps(kbps, access.bitrate_cap(allowed.viewer, allowed.zone))
        index = first_audio(allowed.media)
        access.check_streams(allowed.viewer, item_id)
        with access.open_file(allowed) as source:
            # ffmpeg inherits its own copy of the descriptor; ours can close as soon as it has started.
            return self._encoders.audio(
                allowed.viewer.user_id, item_id, key, source, index, codec, kbps, allowed.viewer.session_id
            )
