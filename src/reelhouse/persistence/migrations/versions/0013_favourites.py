"""Favourites and ratings: each viewer's own marks on an item, kept in their play-state row.

Revision ID: 0013
Revises: 0010

Jellyfin's apps mark favourites and Subsonic's apps star and rate; both are the same per-user mark here.
Existing rows keep their progress and get no marks.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks them.
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("play_state")}
    with op.batch_alter_table("play_state") as batch:
        if "favourite_at" not in present:
            batch.add_column(sa.Column("favourite_at", sa.Float(), nullable=True))
        if "rating" not in present:
            batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("play_state") as batch:
        batch.drop_column("rating")
        batch.drop_column("favourite_at")
