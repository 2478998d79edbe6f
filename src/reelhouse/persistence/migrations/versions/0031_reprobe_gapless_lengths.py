"""Opus and AAC tracks scanned before the probe read their exact length in samples are probed again by the next
scan, so that they too play gaplessly (issue #17).

Revision ID: 0031
Revises: 0027

The scanner skips a file whose size, modification time and identity match what it recorded; there is no probe
version to bump, and bumping one would probe every file of every library again. Instead, the recorded
modification time of exactly those files (a track's media naming an Opus or AAC audio stream without
``samples``) becomes -1, which no file on disk has. Nothing else in the row changes. Until the next scan (one
runs at start by default), opening such a file finds it changed, which queues that scan too.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0027"
branch_labels = None
depends_on = None

# Never a real file's modification time (1969-12-31 23:59:59 to the second), so the scanner sees a change.
UNSCANNED_MTIME = -1.0
_CODECS = ("opus", "aac")


def _lacks_length(media: str) -> bool:
    try:
        streams = json.loads(media).get("streams") or []
    except (ValueError, AttributeError):
        return False
    return any(
        isinstance(s, dict) and s.get("type") == "audio" and s.get("codec") in _CODECS and "samples" not in s
        for s in streams
    )


def upgrade() -> None:
    bind = op.get_bind()
    # A cheap filter first; the JSON decides (a title may mention "aac").
    rows = bind.execute(
        sa.text(
            "SELECT f.id, f.media FROM media_files f JOIN items i ON i.id = f.item_id "
            "WHERE i.kind = 'track' AND f.media IS NOT NULL "
            "AND (f.media LIKE '%opus%' OR f.media LIKE '%aac%')"
        )
    ).all()
    stale = [row.id for row in rows if _lacks_length(row.media)]
    update = sa.text("UPDATE media_files SET mtime = :mtime WHERE id IN :ids").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    for start in range(0, len(stale), 500):
        bind.execute(update, {"mtime": UNSCANNED_MTIME, "ids": stale[start : start + 500]})


def downgrade() -> None:
    # The files' real modification times are gone; the next scan writes them back whatever happens here.
    pass
