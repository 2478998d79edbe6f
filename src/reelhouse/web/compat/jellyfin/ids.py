"""Jellyfin's 32-hex-digit ids, mapped to Reelhouse's random ids and back without a lookup table."""

from __future__ import annotations

import base64
import binascii

from reelhouse.errors import NotFound

# Reelhouse ids are 16 random bytes in URL-safe base64 without padding (22 characters); the same 16 bytes in
# hex are a Jellyfin GUID. An id of any other shape (none are made today) has no Jellyfin form.
_ID_BYTES = 16


_URLSAFE = str.maketrans("-_", "+/")


def to_jellyfin(reelhouse_id: str) -> str:
    # binascii directly: base64.urlsafe_b64decode's wrappers cost more than the decoding, and a page of
    # items converts hundreds of ids.
    try:
        raw = binascii.a2b_base64((reelhouse_id + "==").translate(_URLSAFE).encode("ascii"))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _ID_BYTES or len(reelhouse_id) != 22:
        raise ValueError(f"{reelhouse_id!r} is not a Reelhouse id")
    return raw.hex()


def from_jellyfin(jellyfin_id: str) -> str:
    """The Reelhouse id behind a Jellyfin id, in the dashed or plain form; an id that cannot be one is a 404,
    worded as for an item that does not exist."""
    plain = jellyfin_id.replace("-", "").lower()
    if len(plain) != 2 * _ID_BYTES:
        raise NotFound("No such item.")
    try:
        raw = bytes.fromhex(plain)
    except ValueError:
        raise NotFound("No such item.") from None
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
