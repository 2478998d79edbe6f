"""Image tags for client APIs whose apps fetch pictures without a credential: a tag is a capability one
authorised listing handed to one user, for one item's one kind of artwork, which stops working when the
artwork, the user's access or the week changes. Knowing an item id is never enough."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from reelhouse.domain.access import Actor
from reelhouse.domain.library import ItemSummary

# A leaked image URL works for one to two weeks; apps fetch fresh tags with every listing anyway.
WEEK_SECONDS = 7 * 24 * 3600
_MAC_BYTES = 16


def _mac_of(key: bytes, message: bytes) -> str:
    """Keyed BLAKE2b, 128 bits, as hex: one C call a tag, where HMAC-SHA256 and base64 took five (a page of
    100 items mints 100 tags)."""
    return hashlib.blake2b(message, key=key, digest_size=_MAC_BYTES).hexdigest()


def _canonical(value: Any) -> Any:
    """The same structure in a form whose JSON never depends on set or hash order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return sorted((str(k), _canonical(v)) for k, v in value.items())
    if isinstance(value, (set, frozenset)):
        return sorted(str(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def access_fingerprint(viewer: Actor) -> str:
    """What the user may see and do, as a short digest: any change of libraries, rating cap, labels or
    permissions gives another one, and with it other tags."""
    shape = [viewer.user_id, viewer.role.value, _canonical(viewer.scope), _canonical(viewer.permissions)]
    return hashlib.sha256(json.dumps(shape, separators=(",", ":")).encode()).hexdigest()[:32]


def artwork_version(item: ItemSummary) -> str:
    # The item row's own record of its artwork: a rescan that finds a new poster replaces the row's values.
    return f"{int(item.has_artwork)}|{item.added_at.timestamp()!r}"


class ImageTags:
    def __init__(self, key: bytes) -> None:
        self._key = key
        # Every request authenticates a new Actor, so the fingerprint is kept by what it is made of (its
        # repr, as the catalogue's caches key scopes), not by the object: two viewers alike share a digest.
        self._fingerprints: dict[str, str] = {}
        self._lock = threading.Lock()

    def _fingerprint(self, viewer: Actor) -> str:
        key = repr((viewer.user_id, viewer.role, viewer.scope, viewer.permissions))
        with self._lock:
            hit = self._fingerprints.get(key)
        if hit is not None:
            return hit
        found = access_fingerprint(viewer)
        with self._lock:
            if len(self._fingerprints) > 256:
                self._fingerprints.clear()
            self._fingerprints[key] = found
        return found

    def _mac(self, viewer: Actor, item: ItemSummary, kind: str, week: int) -> str:
        fields = (viewer.user_id, item.id, kind, artwork_version(item), self._fingerprint(viewer), str(week))
        return _mac_of(self._key, "|".join(fields).encode())

    def mint(self, viewer: Actor, item: ItemSummary, kind: str, now: float | None = None) -> str:
        week = int((now or time.time()) // WEEK_SECONDS)
        return f"{viewer.user_id}.{self._mac(viewer, item, kind, week)}"

    def minter(self, viewer: Actor, now: float | None = None) -> Callable[[ItemSummary, str], str]:
        """``mint`` for many items of one listing: what every tag of it shares (the viewer's fingerprint, the
        week) is worked out once rather than once per item; the tags are the same ``mint`` makes."""
        week = int((now or time.time()) // WEEK_SECONDS)
        end = f"|{self._fingerprint(viewer)}|{week}"
        key, user = self._key, viewer.user_id

        def mint(item: ItemSummary, kind: str) -> str:
            message = f"{user}|{item.id}|{kind}|{artwork_version(item)}{end}".encode()
            return f"{user}.{_mac_of(key, message)}"

        return mint

    @staticmethod
    def user_of(tag: str) -> str:
        """The user a tag names, unverified: only for finding whom to verify it against."""
        user, _, mac = tag.partition(".")
        return user if mac and 0 < len(user) <= 64 and len(tag) <= 128 else ""

    def valid(self, tag: str, viewer: Actor, item: ItemSummary, kind: str, now: float | None = None) -> bool:
        """Minted for this viewer as they are now, this item's artwork as it is now, this or last week."""
        user, _, mac = tag.partition(".")
        if user != viewer.user_id:
            return False
        week = int((now or time.time()) // WEEK_SECONDS)
        return any(
            hmac.compare_digest(mac.encode(), self._mac(viewer, item, kind, w).encode())
            for w in (week, week - 1)
        )
