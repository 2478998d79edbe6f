"""The one media access decision: every media byte the server sends, and every file an encoder reads, is
decided here, with the same rules as the catalogue, and opened here.

Each use re-checks the viewer (enabled, not past their end date, the session behind a grant still signed in), the
item through the viewer's catalogue scope (library, rating and label filters on the top item), the permission
the purpose needs, the zone the request comes from (may connect remotely, managed profiles at home only, the
bitrate cap for that zone) and the stream and encoder counts. The audio deliveries (services/audio_delivery.py)
ask these checks and only start what they allowed.

`MediaAccess` is the one entry point: routes, client APIs and other services call it, never the parts it is
built from (its vocabulary in media_decision.py, the pictures and subtitles it renders for an allowed request in
media_renderings.py, the open-stream registry and the cuts in media_revocation.py); an import-linter contract in
pyproject.toml keeps `web` off those modules."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from reelhouse.domain import playback
from reelhouse.domain.access import Action, Actor, TokenScope, can
from reelhouse.domain.grants import account_ended, grants_to_actor
from reelhouse.domain.network import Zone
from reelhouse.errors import AuthenticationRequired, InvalidInput, NotFound, PermissionDenied, TooManyRequests
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.catalogue import CatalogueRepository
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.persistence.scanstore import ScanStore
from reelhouse.persistence.subtitles import SubtitleRepository
from reelhouse.services.hls_session import Session
from reelhouse.services.image_tags import ImageTags
from reelhouse.services.media_decision import ACTION_OF, Allowed, Delivery, Purpose, stream_purpose, zone_of
from reelhouse.services.media_files import Identity, MediaFiles, OpenedFile
from reelhouse.services.media_grants import Grant, MediaGrants
from reelhouse.services.media_renderings import Renderings
from reelhouse.services.media_revocation import OpenStreams, Revocations
from reelhouse.services.remote_encoder import origin_of
from reelhouse.services.renditions import ARTWORK_KINDS, ARTWORK_WIDTHS, PHOTO_WIDTHS, RenditionService
from reelhouse.services.transcoding import TranscodeService

# What callers import from here; the modules behind these names are this decision's own parts.
__all__ = [
    "RECHECK_SECONDS",
    "Allowed",
    "Delivery",
    "MediaAccess",
    "OpenStreams",
    "Purpose",
    "stream_purpose",
    "zone_of",
]

# How long one grant check (user, session and item still allowed) is reused: players send many Range requests
# per second, and several queries each would cap Range throughput. An admin's change clears it at once.
RECHECK_SECONDS = 1.0


class MediaAccess:
    def __init__(
        self,
        db: Database,
        catalogue: CatalogueRepository,
        libraries: LibraryRepository,
        accounts: AccountRepository,
        subtitles: SubtitleRepository,
        grants: MediaGrants,
        files: MediaFiles,
        encoders: TranscodeService,
        renditions: RenditionService,
        scans: ScanStore,
        setting: Callable[[str], int],
        artwork_cache: Path,
        on_broken: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self._db = db
        self._catalogue = catalogue
        self._libraries = libraries
        self._accounts = accounts
        self.renditions = renditions
        self.grants = grants
        self.image_tags = ImageTags(grants.derive("image tags"))
        self.files = files
        self.encoders = encoders
        self._setting = setting
        self.open = OpenStreams()
        self._revocations = Revocations(self, db, accounts, self.open, encoders)
        self._renderings = Renderings(
            self, db, catalogue, subtitles, files, renditions, scans, artwork_cache, on_broken
        )
        self._checked: dict[tuple[str, str, str, str], tuple[float, Allowed]] = {}
        self._checked_lock = threading.Lock()
        # With `cluster` on: takes up a session another web node started (services/hls_shared.py).
        self.adopt: Callable[[Allowed, str], Session] | None = None

    # Who -----------------------------------------------------------------------------------------
    def issue(self, allowed: Allowed, purpose: str) -> str:
        """A media URL's grant for this viewer, bound to the session (or app token) that asked."""
        if allowed.viewer.session_id is None:
            raise AuthenticationRequired("Media links are for signed-in sessions.")
        return self.grants.issue(
            allowed.item.summary.id, allowed.viewer.user_id, purpose, allowed.viewer.session_id
        )

    def _viewer(self, grant: Grant) -> Actor:
        """The grant's user as they are now. A grant outlives a request, so a user disabled, narrowed or signed
        out since it was issued must lose access at once rather than when the grant expires."""
        with self._db.read() as conn:
            row = self._accounts.user_by_id(conn, grant.user_id)
            alive = row is not None and self._accounts.token_alive(conn, grant.session_id, grant.user_id)
        if row is None or not alive or account_ended(row.grants, bool(row.disabled)):
            raise AuthenticationRequired("This media link is no longer valid; start playback again.")
        return grants_to_actor(
            row.id, row.username, row.role, row.grants, TokenScope.STREAM.value, grant.session_id
        )

    def _user_now(self, user_id: str) -> Actor:
        """A user named by a capability that carries no session (an image tag), as they are now."""
        with self._db.read() as conn:
            row = self._accounts.user_by_id(conn, user_id) if user_id else None
        if row is None or account_ended(row.grants, bool(row.disabled)):
            raise AuthenticationRequired("This image link is no longer valid.")
        return grants_to_actor(row.id, row.username, row.role, row.grants, TokenScope.READ.value, None)

    # What ----------------------------------------------------------------------------------------
    def allow(
        self, viewer: Actor, item_id: str, purpose: Purpose, zone: str | None, file_id: str | None = None
    ) -> Allowed:
        """Every rule for ``purpose`` from ``zone``; an item the viewer may not see answers as absent.
        ``file_id`` picks one of the item's versions; without it, the first file present."""
        where = zone_of(zone)
        if where == Zone.REMOTE.value and not viewer.permissions.may_connect_remotely:
            raise PermissionDenied("Your account may not connect from outside the home network.")
        with self._db.read() as conn:
            item = self._catalogue.get(conn, viewer.scope, item_id)
            library = None if item is None else self._libraries.get(conn, item.summary.library_id)
        if item is None or library is None or not viewer.scope.allows_library(library.id):
            raise NotFound("No such item.")
        if not can(viewer, ACTION_OF[purpose], library.id):
            raise PermissionDenied("Your account may not do that with this item.")
        present = next((f for f in item.files if not f.missing and file_id in (None, f.id)), None)
        if file_id is not None and present is None:
            raise NotFound("This item has no such file.")
        return Allowed(viewer, item, library, present, where)

    def from_grant(
        self, grant: str | None, item_id: str, purpose: str, zone: str | None, file_id: str | None = None
    ) -> Allowed:
        """The item a media URL opens, after checking the grant, its user and session, and the item."""
        checked = self.grants.verify(grant, item_id, purpose)
        kind = Purpose(purpose.partition(":")[0])
        key = (grant or "", item_id, purpose, zone_of(zone))
        now = time.monotonic()
        with self._checked_lock:
            hit = self._checked.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        allowed = self.allow(self._viewer(checked), item_id, kind, zone, file_id)
        with self._checked_lock:
            if len(self._checked) > 1024:
                self._checked = {k: v for k, v in self._checked.items() if v[0] > now}
            self._checked[key] = (now + RECHECK_SECONDS, allowed)
        return allowed

    def bitrate_cap(self, viewer: Actor, zone: str) -> int | None:
        """The viewer's own cap, and the server's cap for remote peers when the request is remote."""
        remote = int(self._setting("remote_max_bitrate_kbps")) if zone == Zone.REMOTE.value else 0
        return playback.effective_cap(viewer.permissions.max_bitrate_kbps, remote or None)

    def decide(
        self, allowed: Allowed, client: playback.ClientProfile, choice: playback.Request
    ) -> playback.Plan:
        if allowed.media is None:
            return playback.Plan(playback.Method.DIRECT)
        limits = playback.Limits(
            may_transcode=can(allowed.viewer, Action.TRANSCODE, allowed.library.id),
            max_bitrate_kbps=self.bitrate_cap(allowed.viewer, allowed.zone),
        )
        return playback.plan(allowed.media, client, limits, choice)

    def check_direct_bitrate(self, allowed: Allowed) -> None:
        """A direct-play URL fetched at home may be used from outside: the zone's cap applies on every use."""
        self.check_rate(allowed, (allowed.media.bit_rate or 0) // 1000 if allowed.media else 0)

    def check_rate(self, allowed: Allowed, rate: int) -> None:
        """What a media URL sends at ``rate`` kbps, against the viewer's and the zone's cap, on every use."""
        cap = self.bitrate_cap(allowed.viewer, allowed.zone)
        if cap is not None and rate > cap:
            raise PermissionDenied(
                f"This file plays at {rate} kbps, above the {cap} kbps allowed here; start playback again."
            )

    def check_may_encode(self, allowed: Allowed) -> None:
        """A server-side encode of what the viewer may already stream costs the server's processor: the
        transcode permission decides it, as it does a progressive audio encode."""
        if not self.may_encode(allowed):
            raise PermissionDenied("Your account may not do that with this item.")

    def may_encode(self, allowed: Allowed) -> bool:
        return can(allowed.viewer, Action.TRANSCODE, allowed.library.id)

    def check_plan_bitrate(self, allowed: Allowed, plan: playback.Plan) -> None:
        cap = self.bitrate_cap(allowed.viewer, allowed.zone)
        if cap is None:
            return
        rate = (
            plan.video_kbps
            if not plan.video_copy
            else (allowed.media.bit_rate or 0) // 1000
            if allowed.media
            else 0
        )
        if rate and rate > cap:
            raise PermissionDenied("This stream is above the bitrate allowed here; start playback again.")

    # Counting ------------------------------------------------------------------------------------
    def check_streams(
        self, viewer: Actor, item_id: str, new_session: bool = False, device: str | None = None
    ) -> None:
        """The user's limit on streams at once: each HLS session, and each distinct item whose file or audio
        encode is being sent. A player's overlapping Range requests for one item count once, and fetching the
        item already playing is never refused; a new HLS session is a new stream even for the same item, unless
        it replaces that item's session on the same ``device`` (a reload)."""
        cap = viewer.permissions.max_streams
        if cap is None:
            return
        mine = viewer.user_id
        playing: set[tuple[str, str]] = {("item", item) for item, _ in self.open.of(mine)}
        playing |= {("item", e.item_id) for e in self.encoders.audio_encoders() if e.user_id == mine}
        playing |= {
            ("session", s.id)
            for s in self.encoders.active()
            if s.user_id == mine
            and (new_session or s.item_id != item_id)
            and not (device is not None and (s.item_id, s.device) == (item_id, device))
        }
        playing.discard(("item", item_id))
        if len(playing) >= cap:
            raise TooManyRequests(
                f"Your account may play {cap} stream{'s' if cap != 1 else ''} at once; stop one first.",
                retry_after=30,
            )

    # Bytes ---------------------------------------------------------------------------------------
    def open_file(self, allowed: Allowed) -> OpenedFile:
        """The item's file as the scan recorded it, opened; any other file there is a 404 and a rescan."""
        f = allowed.file
        if f is None:
            raise NotFound("This item has no file to play.")
        identity = Identity(f.size, f.mtime, f.device, f.inode)
        return self.files.open_scanned(f.path, allowed.library.roots, identity, allowed.library.id)

    # Revocation ----------------------------------------------------------------------------------
    def forget(self) -> None:
        with self._checked_lock:
            self._checked.clear()

    def user_changed(self, user_id: str) -> int:
        """After an admin changes, disables or deletes a user: forget the checks made for their grants and
        cut every stream, HLS session and encoder of theirs that they may no longer watch. Returns how many."""
        return self._revocations.user_changed(user_id)

    def sessions_ended(self, user_id: str) -> int:
        """After a user's session ends, however it ends: cut what a media URL of a session now gone opened."""
        return self._revocations.sessions_ended(user_id)

    # What the routes call: one method per kind of media answer -------------------------------------
    def _original(self, allowed: Allowed) -> Delivery:
        """The original file, or for a photo a viewer may not see the location of, a full-size copy without
        it: direct play hands the player the file's bytes, EXIF and XMP included."""
        opened = self.open_file(allowed)
        if allowed.item.summary.kind.value != "photo" or allowed.viewer.permissions.may_see_location:
            return Delivery(allowed, opened, allowed.content_type)
        with opened:
            copy, media_type = self.renditions.location_free(opened)
        return Delivery(allowed, copy, media_type)

    def direct(
        self, grant: str | None, item_id: str, zone: str | None, file_id: str | None = None
    ) -> Delivery:
        # A chosen version is signed into the grant, so a link cannot be pointed at another file.
        return self._direct(self.from_grant(grant, item_id, stream_purpose(file_id), zone, file_id))

    def direct_to(self, viewer: Actor, item_id: str, zone: str | None) -> Delivery:
        """Direct play for a client API whose apps carry their token in the media URL instead of a grant."""
        return self._direct(self.allow(viewer, item_id, Purpose.STREAM, zone))

    def _direct(self, allowed: Allowed) -> Delivery:
        self.check_direct_bitrate(allowed)
        self.check_streams(allowed.viewer, allowed.item.summary.id)
        return self._original(allowed)

    def download(self, viewer: Actor, item_id: str, zone: str | None) -> Delivery:
        allowed = self.allow(viewer, item_id, Purpose.DOWNLOAD, zone)
        self.check_streams(allowed.viewer, item_id)
        return self._original(allowed)

    def start_hls(
        self,
        allowed: Allowed,
        plan: playback.Plan,
        subtitles: tuple[tuple[str, str | None, str | None, bool], ...],
        device: str | None = None,
    ) -> Session:
        self.check_streams(allowed.viewer, allowed.item.summary.id, new_session=True, device=device)
        origin = None
        if self.encoders.remote is not None and allowed.file is not None:
            # A worker mounts the library elsewhere: the job names the root folder and the path below it.
            origin = origin_of(allowed.file.path, allowed.library.roots, allowed.library.id)
        return self.encoders.start(
            allowed.viewer.user_id,
            allowed.item.summary.id,
            plan,
            self.open_file(allowed),
            allowed.duration,
            subtitles,
            device,
            allowed.viewer.session_id,
            origin,
        )

    def hls(self, grant: str | None, session_id: str, zone: str | None) -> tuple[Session, Allowed]:
        """An HLS session's playlist, segment or subtitle: the grant, its user and session, and the item are
        checked again on every request, and so is the permission to transcode when the session encodes."""
        item_id = self.grants.item_of(grant or "")
        allowed = self.from_grant(grant, item_id, f"{Purpose.HLS}:{session_id}", zone)
        try:
            session = self.encoders.get(session_id, allowed.viewer.user_id, item_id)
        except NotFound:
            if self.adopt is None:
                raise
            # Only now, the request allowed: another node's session, taken up here for its own viewer only.
            session = self.adopt(allowed, session_id)
        if session.plan.method is playback.Method.TRANSCODE and not can(
            allowed.viewer, Action.TRANSCODE, allowed.library.id
        ):
            raise PermissionDenied("Your account may not do that with this item.")
        self.check_plan_bitrate(allowed, session.plan)
        return session, allowed

    def photo(self, viewer: Actor, item_id: str, width: int, zone: str | None) -> tuple[OpenedFile, str]:
        """A resized, upright photo; its location is kept only for viewers allowed to see it."""
        if width not in PHOTO_WIDTHS:
            raise InvalidInput(f"width must be one of {', '.join(map(str, PHOTO_WIDTHS))}.", "width")
        return self._renderings.photo(self.allow(viewer, item_id, Purpose.PHOTO, zone), width)

    def artwork(
        self, viewer: Actor, item_id: str, kind: str, width: int | None, zone: str | None
    ) -> tuple[OpenedFile, str]:
        """An item's poster or fanart, re-encoded (without location unless the viewer may see it); a frame of
        the video when it has no poster."""
        if kind not in ARTWORK_KINDS:
            raise InvalidInput(f"Artwork kind must be one of {', '.join(ARTWORK_KINDS)}.", "kind")
        if width is not None and width not in ARTWORK_WIDTHS:
            raise InvalidInput(f"width must be one of {', '.join(map(str, ARTWORK_WIDTHS))}.", "width")
        return self._renderings.artwork(self.allow(viewer, item_id, Purpose.ARTWORK, zone), kind, width)

    def person_photo(
        self, viewer: Actor, item_id: str, person_id: str, width: int | None, zone: str | None
    ) -> tuple[OpenedFile, str]:
        """The local photo of a person credited on an item, decided like the item's artwork."""
        if width is not None and width not in ARTWORK_WIDTHS:
            raise InvalidInput(f"width must be one of {', '.join(map(str, ARTWORK_WIDTHS))}.", "width")
        allowed = self.allow(viewer, item_id, Purpose.ARTWORK, zone)
        return self._renderings.person_photo(allowed, person_id, width)

    def artwork_tagged(
        self, tag: str, item_id: str, kind: str, width: int | None, zone: str | None
    ) -> tuple[OpenedFile, str]:
        """Artwork fetched with an image tag instead of a credential: the tag's user as they are now must
        see the item, and the tag must have been minted for them, this artwork and their present access."""
        viewer = self._user_now(self.image_tags.user_of(tag))
        allowed = self.allow(viewer, item_id, Purpose.ARTWORK, zone)
        if not self.image_tags.valid(tag, viewer, allowed.item.summary, kind):
            raise AuthenticationRequired("This image link is no longer valid.")
        return self.artwork(viewer, item_id, kind, width, zone)

    def subtitle_vtt(self, viewer: Actor, item_id: str, subtitle_id: str, zone: str | None) -> str:
        return self._renderings.subtitle(self.allow(viewer, item_id, Purpose.SUBTITLE, zone), subtitle_id)

    def hls_subtitle_vtt(self, grant: str | None, session_id: str, subtitle_id: str, zone: str | None) -> str:
        session, allowed = self.hls(grant, session_id, zone)
        if subtitle_id not in {s[0] for s in session.subtitles}:
            raise NotFound("No such subtitle.")
        return self._renderings.subtitle(allowed, subtitle_id)
