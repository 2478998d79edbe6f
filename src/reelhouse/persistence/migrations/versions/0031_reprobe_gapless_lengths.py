"""Opus and AAC tracks scanned before the probe read their exact length in samples are probed again by the next
scan, so that they too play gaplessly (issue #17).

Revision ID: 0031
Revises: 0027

The scanner skips a file whose size, modification time and identity match what it recorded. A probe version for
every file would probe every file of every library again; instead a `reprobe` flag on the file's row marks exactly
those files (a track's media naming an Opus or AAC audio stream without ``samples``). The scanner treats a flagged
file as changed and clears the flag when it stores the new probe. Playback checks the file's identity only, so
these tracks keep playing (with the old hand-over between tracks) until that scan.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0027"
branch_labels = None
depends_on = None

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
    # 0001 creates tables from the current schema, so a database made by this version has the column already.
    if "reprobe" not in {c["name"] for c in sa.inspect(bind).get_columns("media_files")}:
        op.add_column("media_files", sa.Column("reprobe", sa.Boolean(), nullable=False, server_default="0"))
    # A cheap filter first; the JSON decides (a title may mention "aac").
    rows = bind.execute(
        sa.text(
            "SELECT f.id, f.media FROM media_files f JOIN items i ON i.id = f.item_id "
            "WHERE i.kind = 'track' AND f.media IS NOT NULL "
            "AND (f.media LIKE '%opus%' OR f.media LIKE '%aac%')"
        )
    ).all()
    stale = [row.id for row in rows if _lacks_length(row.media)]
    # A bound true, not 1: PostgreSQL's boolean takes no integer.
    update = sa.text("UPDATE media_files SET reprobe = :yes WHERE id IN :ids").bindparams(
        sa.bindparam("ids", expanding=True), sa.bindparam("yes", True, type_=sa.Boolean())
    )
    for start in range(0, len(stale), 500):
        bind.execute(update, {"ids": stale[start : start + 500]})


def downgrade() -> None:
    op.drop_column("media_files", "reprobe")
