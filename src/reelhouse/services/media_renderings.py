"""What the server makes from an item's files for a viewer the media access decision already allowed: photo and
artwork renditions, a video frame for a missing poster, people's photos, and subtitles as WebVTT.

Nothing here decides: `MediaAccess` (services/media_access.py) checks the viewer, the item and the purpose and
hands over its `Allowed`; these read only inside that viewer's scope and open the item's own files through the
decision's `open_file`, and other pictures (sidecars, covers, people) through `MediaFiles.open_inside`."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from reelhouse.errors import MediaError, NotFound
from reelhouse.persistence.catalogue import CatalogueRepository
from reelhouse.persistence.database import Database
from reelhouse.persistence.people import PeopleRepository
from reelhouse.persistence.scanstore import ScanStore
from reelhouse.persistence.subtitles import SubtitleRepository
from reelhouse.services.media_decision import Allowed, Decides
from reelhouse.services.media_files import MediaFiles, OpenedFile
from reelhouse.services.renditions import RenditionService


class Renderings:
    def __init__(
        self,
        decision: Decides,
        db: Database,
        catalogue: CatalogueRepository,
        subtitles: SubtitleRepository,
        files: MediaFiles,
        renditions: RenditionService,
        scans: ScanStore,
        artwork_cache: Path,
        on_broken: Callable[[str, str, str], None] | None,
    ) -> None:
        self._decision = decision
        self._db = db
        self._catalogue = catalogue
        self._subtitles = subtitles
        self._people = PeopleRepository()
        self._files = files
        self._renditions = renditions
        self._scans = scans
        self._artwork_cache = artwork_cache
        self._on_broken = on_broken

    def _picture(
        self, allowed: Allowed, source: OpenedFile, width: int | None, tag: str
    ) -> tuple[OpenedFile, str]:
        """A rendition, or when the picture cannot be rendered, a placeholder and an error admins see."""
        try:
            keep = allowed.viewer.permissions.may_see_location
            return self._renditions.image(source, width, keep, tag), "image/jpeg"
        except MediaError as exc:
            with self._db.begin() as conn:
                self._scans.note_error(conn, allowed.library.id, source.path, exc.message, time.time())
            if self._on_broken is not None:
                self._on_broken(allowed.library.id, source.path, exc.message)
            return self._renditions.placeholder(), "image/png"

    def photo(self, allowed: Allowed, width: int) -> tuple[OpenedFile, str]:
        if allowed.item.summary.kind.value != "photo":
            raise NotFound("No such photo.")
        with self._decision.open_file(allowed) as source:
            return self._picture(allowed, source, width, "photo")

    def artwork(self, allowed: Allowed, kind: str, width: int | None) -> tuple[OpenedFile, str]:
        with self._db.read() as conn:
            path = self._catalogue.artwork_path(conn, allowed.viewer.scope, allowed.item.summary.id, kind)
        if path is None and kind == "poster" and allowed.file is not None and allowed.media is not None:
            with (
                self._decision.open_file(allowed) as video,
                self._renditions.frame(video, allowed.duration) as frame,
            ):
                return self._renditions.image(frame, width, False, "frame"), "image/jpeg"
        if path is None:
            raise NotFound("No such artwork.")
        # Posters live beside the media, or, for covers taken from inside audio files, in the server's cache.
        roots = (*allowed.library.roots, str(self._artwork_cache))
        with self._files.open_inside(path, roots) as source:
            return self._picture(allowed, source, width, "artwork")

    def person_photo(self, allowed: Allowed, person_id: str, width: int | None) -> tuple[OpenedFile, str]:
        with self._db.read() as conn:
            path = self._people.photo_path(conn, allowed.viewer.scope, allowed.item.summary.id, person_id)
        if path is None:
            raise NotFound("No such photo.")
        with self._files.open_inside(path, allowed.library.roots) as source:
            return self._picture(allowed, source, width, "person")

    def subtitle(self, allowed: Allowed, subtitle_id: str) -> str:
        with self._db.read() as conn:
            found = self._subtitles.source(conn, allowed.viewer.scope, allowed.item.summary.id, subtitle_id)
        if found is None:
            raise NotFound("No such subtitle.")
        if found.sidecar is not None:
            with self._files.open_inside(found.sidecar, allowed.library.roots) as source:
                return self._renditions.sidecar_vtt(source, found.format)
        media = next((f for f in allowed.item.files if f.path == found.media_path and not f.missing), None)
        if media is None or found.embedded_index is None:
            raise NotFound("No such subtitle.")
        with self._decision.open_file(dataclasses.replace(allowed, file=media)) as source:
            return self._renditions.embedded_vtt(source, found.embedded_index)
