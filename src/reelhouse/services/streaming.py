"""Direct play and media grants: which file an allowed viewer gets, and signed short-lived media URLs."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from reelhouse.domain import playback
from reelhouse.domain.access import Action, Actor, TokenScope, can
from reelhouse.domain.grants import account_ended, grants_to_actor
from reelhouse.domain.library import ItemDetail, MediaInfo
from reelhouse.domain.ranges import Validators, validators
from reelhouse.errors import AuthenticationRequired, NotFound, PermissionDenied, TooManyRequests
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.catalogue import CatalogueRepository
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.services.transcoding import TranscodeService

GRANT_SECONDS = 6 * 3600
# How long one grant check (user still enabled, item still visible) is reused: players send many Range
# requests per second, and five queries each would cap Range throughput; a change applies within this time.
RECHECK_SECONDS = 1.0
CONTENT_TYPES = {
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "mkv": "video/x-matroska",
    "webm": "video/webm",
    "avi": "video/x-msvideo",
    "ts": "video/mp2t",
    "mpegts": "video/mp2t",
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "wav": "audio/wav",
    "aac": "audio/aac",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "heic": "image/heic",
}


def load_secret(path: Path) -> bytes:
    """The server's grant key: made once, atomically, readable only by the server's user."""
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


class Grants:
    """HMAC-signed grants naming one item, one user, one purpose and an expiry time."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()[:20])

    def issue(self, item_id: str, user_id: str, purpose: str, seconds: int = GRANT_SECONDS) -> str:
        payload = f"{item_id}|{user_id}|{purpose}|{int(time.time()) + seconds}"
        return f"{_b64(payload.encode())}.{self._mac(payload)}"

    @staticmethod
    def item_of(grant: str) -> str:
        """The item a grant names, unverified: only for finding what to verify it against."""
        encoded = grant.partition(".")[0]
        try:
            return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode().split("|")[0]
        except (ValueError, UnicodeDecodeError):
            return ""

    def verify(self, grant: str, item_id: str, purpose: str) -> str:
        """The user id the grant was issued to; AuthenticationRequired for anything else."""
        encoded, _, mac = grant.partition(".")
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            raise AuthenticationRequired("This media link is not valid.") from None
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise AuthenticationRequired("This media link is not valid.")
        parts = payload.split("|")
        if len(parts) != 4 or parts[0] != item_id or parts[2] != purpose or not parts[3].isdigit():
            raise AuthenticationRequired("This media link is not valid.")
        if int(parts[3]) < time.time():
            raise AuthenticationRequired("This media link has expired; start playback again.")
        return parts[1]


@dataclass(frozen=True)
class Playable:
    item: ItemDetail
    path: str
    validators: Validators
    content_type: str
    media: MediaInfo | None
    roots: tuple[str, ...]
    viewer: str = ""

    @property
    def duration(self) -> float:
        return (self.media.duration if self.media else None) or self.item.duration or 0.0


class OpenStreams:
    """Media answers still being sent, by viewer. A player's one long Range request can outlast the grant
    that opened it by hours, so ending or narrowing an account must cut these too, not only refuse new ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, tuple[str, str, Callable[[], None]]] = {}
        self._next = 0

    @contextmanager
    def track(self, viewer: str, item_id: str, cut: Callable[[], None]) -> Iterator[None]:
        with self._lock:
            self._next += 1
            key = self._next
            self._open[key] = (viewer, item_id, cut)
        try:
            yield
        finally:
            with self._lock:
                self._open.pop(key, None)

    def of(self, viewer: str) -> list[tuple[str, Callable[[], None]]]:
        with self._lock:
            return [(item, cut) for who, item, cut in self._open.values() if who == viewer]

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)


class StreamingService:
    def __init__(
        self,
        db: Database,
        catalogue: CatalogueRepository,
        libraries: LibraryRepository,
        accounts: AccountRepository,
        grants: Grants,
    ) -> None:
        self._db = db
        self._catalogue = catalogue
        self._libraries = libraries
        self._accounts = accounts
        self.grants = grants
        self.open = OpenStreams()
        self._checked: dict[tuple[str, str, str], tuple[float, Playable]] = {}
        self._checked_lock = threading.Lock()

    def granted_file(self, grant: str | None, item_id: str, purpose: str) -> Playable:
        """The file a grant opens, after verifying the grant and re-checking its user and item."""
        if not grant or len(grant) > 512:
            raise AuthenticationRequired("This media link needs its grant.")
        key = (grant, item_id, purpose)
        now = time.monotonic()
        with self._checked_lock:
            hit = self._checked.get(key)
        if hit is not None and hit[0] > now:
            try:
                st = os.stat(hit[1].path)
            except OSError:
                raise NotFound("This item's file is not available right now.") from None
            # The permission check is reused; the file's identity is not, so ranges always match the bytes.
            return dataclasses.replace(hit[1], validators=validators(st.st_size, st.st_mtime_ns))
        who = self.actor_from_grant(grant, item_id, purpose)
        found = self.playable(who, item_id, Action.STREAM)
        with self._checked_lock:
            if len(self._checked) > 1024:
                self._checked = {k: v for k, v in self._checked.items() if v[0] > now}
            self._checked[key] = (now + RECHECK_SECONDS, found)
        return found

    def actor_from_grant(self, grant: str | None, item_id: str, purpose: str) -> Actor:
        """The grant's user as they are now. A grant outlives a request, so a user disabled or narrowed
        since it was issued must lose access at once rather than when the grant expires."""
        if not grant or len(grant) > 512:
            raise AuthenticationRequired("This media link needs its grant.")
        return self._viewer(self.grants.verify(grant, item_id, purpose))

    def _viewer(self, user_id: str) -> Actor:
        with self._db.read() as conn:
            row = self._accounts.user_by_id(conn, user_id)
        if row is None or account_ended(row.grants, bool(row.disabled)):
            raise AuthenticationRequired("This media link is no longer valid.")
        return grants_to_actor(row.id, row.username, row.role, row.grants, TokenScope.STREAM.value, None)

    def may_still_stream(self, user_id: str, item_id: str) -> bool:
        try:
            self.playable(self._viewer(user_id), item_id, Action.STREAM)
        except (AuthenticationRequired, NotFound, PermissionDenied):
            return False
        return True

    def check_slot(self, actor: Actor, item_id: str, sessions: TranscodeService) -> None:
        """The user's limit on streams at once, counted as the distinct items they are playing: their HLS
        sessions and the media answers being sent to them. A player's overlapping Range requests for one
        item count once, and starting the item already playing is never refused."""
        cap = actor.permissions.max_streams
        if cap is None:
            return
        playing = {item for item, _ in self.open.of(actor.user_id)}
        playing |= {s.item_id for s in sessions.active() if s.user_id == actor.user_id}
        playing.discard(item_id)
        if len(playing) >= cap:
            raise TooManyRequests(
                f"Your account may play {cap} stream{'s' if cap != 1 else ''} at once; stop one first.",
                retry_after=30,
            )

    def check_slot_for_grant(self, user_id: str, item_id: str, sessions: TranscodeService) -> None:
        """The same limit when a grant is used: grants last for hours, so several fetched one at a time
        must not all be played together. Reads the user only when something else is playing."""
        if any(item != item_id for item, _ in self.open.of(user_id)) or any(
            s.user_id == user_id and s.item_id != item_id for s in sessions.active()
        ):
            self.check_slot(self._viewer(user_id), item_id, sessions)

    def user_changed(self, user_id: str, sessions: TranscodeService) -> int:
        """After an admin changes, disables or deletes a user: forget the checks made for their grants and
        cut every stream (and transcode session) of theirs that they may no longer watch. Returns how many."""
        with self._checked_lock:
            self._checked.clear()
        verdicts: dict[str, bool] = {}

        def allowed(item_id: str) -> bool:
            if item_id not in verdicts:
                verdicts[item_id] = self.may_still_stream(user_id, item_id)
            return verdicts[item_id]

        cut = 0
        for item_id, stop in self.open.of(user_id):
            if not allowed(item_id):
                stop()
                cut += 1
        for session in sessions.active():
            if session.user_id == user_id and not allowed(session.item_id):
                with suppress(NotFound):
                    sessions.end(session.id, user_id)
                cut += 1
        return cut

    def playable(self, actor: Actor, item_id: str, action: Action = Action.STREAM) -> Playable:
        """The item's first present file, for a viewer allowed ``action`` on it; hidden answers as absent."""
        with self._db.read() as conn:
            item = self._catalogue.get(conn, actor.scope, item_id)
            library = None if item is None else self._libraries.get(conn, item.summary.library_id)
        # The scoped read already hides what the viewer may not see; a grant carries the stream scope only.
        if item is None or library is None or not actor.scope.allows_library(library.id):
            raise NotFound("No such item.")
        if not can(actor, action, library.id):
            raise PermissionDenied("Your account may not do that with this item.")
        present = next((f for f in item.files if not f.missing), None)
        if present is None:
            raise NotFound("This item has no file to play.")
        try:
            st = os.stat(present.path)
        except OSError:
            raise NotFound("This item's file is not available right now.") from None
        extension = os.path.splitext(present.path)[1].lower().lstrip(".")
        container = present.media.container if present.media else extension
        content_type = CONTENT_TYPES.get(extension) or CONTENT_TYPES.get(
            container, "application/octet-stream"
        )
        return Playable(
            item,
            present.path,
            validators(st.st_size, st.st_mtime_ns),
            content_type,
            present.media,
            library.roots,
            actor.user_id,
        )

    def decide(
        self,
        actor: Actor,
        playable: Playable,
        client: playback.ClientProfile,
        choice: playback.Request,
        remote_cap_kbps: int | None,
    ) -> playback.Plan:
        if playable.media is None:
            return playback.Plan(playback.Method.DIRECT)
        limits = playback.Limits(
            may_transcode=can(actor, Action.TRANSCODE, playable.item.summary.library_id),
            max_bitrate_kbps=playback.effective_cap(actor.permissions.max_bitrate_kbps, remote_cap_kbps),
        )
        return playback.plan(playable.media, client, limits, choice)
