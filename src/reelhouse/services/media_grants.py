"""Signed media URLs: one item, one user, one purpose, the session that asked for it, and a life."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from reelhouse.errors import AuthenticationRequired

GRANT_SECONDS = 6 * 3600
# Format version, first field of the payload: grants of an older shape (no session) are refused outright.
_VERSION = "2"
MAX_GRANT_LENGTH = 512


def load_secret(path: Path) -> bytes:
    """A server key kept beside the database: made once, atomically, readable only by the server's user."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=".grant-key-")
    try:
        os.fchmod(handle, 0o600)
        os.write(handle, secrets.token_bytes(32))
        os.fsync(handle)
        os.close(handle)
        try:
            # link() fails if another process won the race: then its key is the one everybody uses.
            os.link(partial, path)
        except FileExistsError:
            pass
    finally:
        Path(partial).unlink(missing_ok=True)
    return path.read_bytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


@dataclass(frozen=True)
class Grant:
    item_id: str
    user_id: str
    # What the URL may be used for, with the parameters the client may not change: "stream", "download",
    # "audio:opus:128", "hls:<session id>".
    purpose: str
    # The sign-in session or app token that asked for it: the grant ends when that session ends.
    session_id: str
    issued_at: int
    expires_at: int


_INVALID = "This media link is not valid."


class MediaGrants:
    """HMAC-signed grants. Verifying one proves only that this server issued it; whether its user, session and
    item still allow it is the media access decision's to check on every use."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def derive(self, purpose: str) -> bytes:
        """A separate key for another kind of signature (HKDF-Expand, one block), so that no value signed for
        one use is ever valid for another."""
        return hmac.new(self._secret, f"reelhouse {purpose}".encode() + b"\x01", hashlib.sha256).digest()

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()[:20])

    def issue(
        self, item_id: str, user_id: str, purpose: str, session_id: str, seconds: int = GRANT_SECONDS
    ) -> str:
        now = int(time.time())
        payload = "|".join((_VERSION, item_id, user_id, purpose, session_id, str(now), str(now + seconds)))
        return f"{_b64(payload.encode())}.{self._mac(payload)}"

    @staticmethod
    def item_of(grant: str) -> str:
        """The item a grant names, unverified: only for finding what to verify it against."""
        try:
            parts = _unb64(grant.partition(".")[0]).split("|")
        except (ValueError, UnicodeDecodeError):
            return ""
        return parts[1] if len(parts) == 7 else ""

    def verify(self, grant: str | None, item_id: str, purpose: str) -> Grant:
        """The grant, when this server signed it for this item and purpose and it has not expired."""
        if not grant or len(grant) > MAX_GRANT_LENGTH:
            raise AuthenticationRequired("This media link needs its grant.")
        encoded, _, mac = grant.partition(".")
        try:
            payload = _unb64(encoded)
        except (ValueError, UnicodeDecodeError):
            raise AuthenticationRequired(_INVALID) from None
        if not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            raise AuthenticationRequired(_INVALID)
        parts = payload.split("|")
        if len(parts) != 7 or parts[0] != _VERSION or not parts[5].isdigit() or not parts[6].isdigit():
            raise AuthenticationRequired(_INVALID)
        found = Grant(parts[1], parts[2], parts[3], parts[4], int(parts[5]), int(parts[6]))
        if found.item_id != item_id or found.purpose != purpose:
            raise AuthenticationRequired(_INVALID)
        if found.expires_at < time.time():
            raise AuthenticationRequired("This media link has expired; start playback again.")
        return found
