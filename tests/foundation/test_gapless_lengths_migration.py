"""Migration 0031 makes the next scan probe again the Opus and AAC tracks recorded without their exact length in
samples (scanned before the probe read it), and nothing else: only their `reprobe` flag is set, so playback,
which checks the recorded size, time and identity, is not disturbed; every other row and value stays."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from reelhouse.persistence.database import Database

MTIME = 1_700_000_000.5


def _media(codec: str, samples: int | None = None, video: str | None = None) -> str:
    audio: dict[str, Any] = {"index": 0, "type": "audio", "codec": codec, "channels": 2, "sample_rate": 48000}
    if samples is not None:
        audio["samples"] = samples
    streams = [audio] + ([{"index": 1, "type": "video", "codec": video}] if video else [])
    return json.dumps({"container": "ogg", "duration": 3.0, "streams": streams})


# file id → (item kind, media): which of them the next scan must probe again
FILES = {
    "opus-old": ("track", _media("opus")),
    "aac-old": ("track", _media("aac")),
    "opus-new": ("track", _media("opus", 143_520)),
    "aac-new": ("track", _media("aac", 132_300)),
    "mp3": ("track", _media("mp3")),
    "flac": ("track", _media("flac")),
    "film": ("movie", _media("aac", video="h264")),
    "unprobed": ("track", None),
}
STALE = {"opus-old", "aac-old"}


def test_upgrading_flags_only_opus_and_aac_tracks_without_samples_for_a_new_probe(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO libraries (id, name, name_key, kind, created_at) VALUES ('m', 'M', 'm', 'music', 0)"
        )
        for n, (name, (kind, media)) in enumerate(FILES.items()):
            conn.execute(
                "INSERT INTO items (id, library_id, kind, top_id, title, sort_title, extra, missing, added_at,"
                " updated_at) VALUES (?, 'm', ?, ?, ?, ?, '{}', 0, 1.0, 2.0)",
                (name, kind, name, name, name),
            )
            conn.execute(
                "INSERT INTO media_files (id, library_id, item_id, path, size, mtime, device, inode,"
                " fingerprint, part, media, scanned_at) VALUES (?, 'm', ?, ?, ?, ?, 7, ?, 'fp', 1, ?, 3.0)",
                (name, name, f"/music/{name}", 1000 + n, MTIME, 100 + n, media),
            )
        conn.execute("UPDATE alembic_version SET version_num = '0027'")
    before = _rows(conn)
    conn.close()
    db = Database(f"sqlite:///{path}")
    db.migrate(backup_dir=tmp_path / "backups")
    assert db.current_revision() == db.head_revision()
    db.close()
    conn = sqlite3.connect(path)
    after = _rows(conn)
    conn.close()
    assert not any(row.pop("reprobe") for row in before["media_files"].values())
    flagged = {name for name, row in after["media_files"].items() if row.pop("reprobe")}
    assert flagged == STALE
    # Nothing else moved: the size, time and identity that playback checks stay what the scan recorded.
    assert after["media_files"] == before["media_files"]
    assert after["items"] == before["items"]


def _rows(conn: sqlite3.Connection) -> dict[str, dict[str, dict[str, Any]]]:
    conn.row_factory = sqlite3.Row
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for table in ("media_files", "items"):
        out[table] = {row["id"]: dict(row) for row in conn.execute(f"SELECT * FROM {table}")}
    conn.row_factory = None
    return out
