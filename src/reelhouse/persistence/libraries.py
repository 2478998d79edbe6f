"""Library rows and their root folders."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, select, update

from reelhouse.domain.ids import LibraryId, new_id
from reelhouse.domain.library import Library, LibraryKind
from reelhouse.persistence.schema import libraries, library_roots


def _to_library(row: object, roots: tuple[str, ...]) -> Library:
    return Library(
        id=LibraryId(row.id),  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        kind=LibraryKind(row.kind),  # type: ignore[attr-defined]
        roots=roots,
        created_at=datetime.fromtimestamp(row.created_at, UTC),  # type: ignore[attr-defined]
        seek_previews=bool(row.seek_previews),  # type: ignore[attr-defined]
    )


class LibraryRepository:
    def add(
        self, conn: Connection, name: str, kind: LibraryKind, roots: list[str], seek_previews: bool = False
    ) -> Library:
        library_id = LibraryId(new_id())
        conn.execute(
            insert(libraries).values(
                id=library_id,
                name=name,
                name_key=name.casefold(),
                kind=kind.value,
                created_at=time.time(),
                seek_previews=seek_previews,
            )
        )
        conn.execute(
            insert(library_roots),
            [
                {"id": new_id(), "library_id": library_id, "path": p, "position": i}
                for i, p in enumerate(roots)
            ],
        )
        found = self.get(conn, library_id)
        assert found is not None
        return found

    def _roots(self, conn: Connection) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for row in conn.execute(select(library_roots).order_by(library_roots.c.position)):
            out.setdefault(row.library_id, []).append(row.path)
        return out

    def list(self, conn: Connection) -> list[Library]:
        roots = self._roots(conn)
        rows = conn.execute(select(libraries).order_by(libraries.c.name_key))
        return [_to_library(r, tuple(roots.get(r.id, ()))) for r in rows]

    def get(self, conn: Connection, library_id: str) -> Library | None:
        row = conn.execute(select(libraries).where(libraries.c.id == library_id)).first()
        if row is None:
            return None
        roots = conn.execute(
            select(library_roots.c.path)
            .where(library_roots.c.library_id == library_id)
            .order_by(library_roots.c.position)
        ).scalars()
        return _to_library(row, tuple(roots))

    def find_by_name(self, conn: Connection, name: str) -> Library | None:
        row_id = conn.execute(
            select(libraries.c.id).where(libraries.c.name_key == name.casefold())
        ).scalar_one_or_none()
        return None if row_id is None else self.get(conn, row_id)

    def remove(self, conn: Connection, library_id: str) -> None:
        conn.execute(delete(libraries).where(libraries.c.id == library_id))

    def set_seek_previews(self, conn: Connection, library_id: str, enabled: bool) -> None:
        conn.execute(update(libraries).where(libraries.c.id == library_id).values(seek_previews=enabled))
