"""A library's owner option to make seek preview thumbnails (libraries.seek_previews).

Revision ID: 0022
Revises: 0021

Existing libraries take the default of their kind: on for films, shows and home videos, off for music and
photos, which have no seek bar to preview.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks it.
    if "seek_previews" not in {c["name"] for c in inspector.get_columns("libraries")}:
        op.add_column(
            "libraries",
            sa.Column("seek_previews", sa.Boolean(), nullable=False, server_default=sa.false()),
        )
        op.execute(
            sa.text(
                "UPDATE libraries SET seek_previews = :yes WHERE kind IN ('movies', 'shows', 'home_videos')"
            ).bindparams(sa.bindparam("yes", True, type_=sa.Boolean()))
        )


def downgrade() -> None:
    op.drop_column("libraries", "seek_previews")
