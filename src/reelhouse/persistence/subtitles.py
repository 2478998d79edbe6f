"""Where one subtitle of an item comes from: a sidecar file or a stream inside the item's file."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from reelhouse.domain.access import LibraryScope
from reelhouse.persistence.catalogue import scope_clause
from reelhouse.persistence.schema import items, media_files, subtitles


@dataclass(frozen=True)
class SubtitleSource:
    library_id: str
    format: str
    sidecar: str | None
    media_path: str | None
    embedded_index: int | None


class SubtitleRepository:
    def source(
        self, conn: Connection, scope: LibraryScope, item_id: str, subtitle_id: str
    ) -> SubtitleSource | None:
        row = conn.execute(
            select(
                items.c.library_id,
                subtitles.c.format,
                subtitles.c.path,
                subtitles.c.embedded_index,
                media_files.c.path.label("media_path"),
            )
            .join(items, items.c.id == subtitles.c.item_id)
            .outerjoin(media_files, media_files.c.id == subtitles.c.file_id)
            .where(
                subtitles.c.id == subtitle_id,
                subtitles.c.item_id == item_id,
                scope_clause(scope, library_index=False),
            )
        ).first()
        if row is None:
            return None
        return SubtitleSource(row.library_id, row.format, row.path, row.media_path, row.embedded_index)
