"""After migration 0031, the next scan probes again exactly the AAC and Opus tracks recorded without their length
in samples, so they gain it (and gapless play) without a full rescan; every other file stays unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from reelhouse.domain.library import LibraryKind
from tests.scanner.rows import items, rows


def _media(db, name):  # type: ignore[no-untyped-def]
    (found,) = [r for r in rows(db, "SELECT path, media FROM media_files") if r["path"].endswith(name)]
    return json.loads(found["media"])


def test_the_next_scan_after_0031_reads_the_length_of_tracks_scanned_without_it(
    db, scanner, library_factory, media_kit, tmp_path: Path
):  # type: ignore[no-untyped-def]
    library = library_factory(LibraryKind.MUSIC)
    root = Path(library.roots[0])
    media_kit.audio_at(root / "Shore" / "Tides" / "01 Foam.m4a", title="Foam", album="Tides", artist="Shore")
    media_kit.audio_at(root / "Shore" / "Sand" / "01 Dune.mp3", title="Dune", album="Sand", artist="Shore")
    scanner.scan(library)
    samples = _media(db, "Foam.m4a")["streams"][0]["samples"]
    assert samples > 0
    ids = {r["title"]: r["id"] for r in items(db, "track")}
    # As the probe before the length was read recorded it: no samples, the database one revision older.
    with db.begin() as conn:
        (file_id, media) = conn.execute(
            text("SELECT id, media FROM media_files WHERE path LIKE '%Foam.m4a'")
        ).one()
        old = json.loads(media)
        del old["streams"][0]["samples"]
        conn.execute(
            text("UPDATE media_files SET media = :m WHERE id = :i"), {"m": json.dumps(old), "i": file_id}
        )
        conn.execute(text("UPDATE alembic_version SET version_num = '0027'"))
    assert (
        scanner.scan(library).updated == 0
    )  # unchanged on disk: without the migration it is never read again
    db.migrate(backup_dir=tmp_path / "backups")
    report = scanner.scan(library)
    assert (report.updated, report.unchanged) == (1, 1)
    assert _media(db, "Foam.m4a")["streams"][0]["samples"] == samples
    assert {r["title"]: r["id"] for r in items(db, "track")} == ids
    # Storing the new probe clears the flag: the scan after that reads nothing again.
    assert scanner.scan(library).updated == 0
