"""Playlists and play queues, each one user's own (Subsonic's playlists and savePlayQueue, the web's lists).

Revision ID: 0017
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks them.
    if "playlists" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "playlists",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("changed_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_playlists_user", "playlists", ["user_id"])
    op.create_table(
        "playlist_entries",
        sa.Column(
            "playlist_id", sa.String(32), sa.ForeignKey("playlists.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_playlist_entries_item", "playlist_entries", ["item_id"])
    op.create_table(
        "play_queues",
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("current", sa.String(32)),
        sa.Column("position_ms", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.Float(), nullable=False),
        sa.Column("changed_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "play_queue_entries",
        sa.Column(
            "user_id",
            sa.String(32),
            sa.ForeignKey("play_queues.user_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("play_queue_entries")
    op.drop_table("play_queues")
    op.drop_table("playlist_entries")
    op.drop_table("playlists")
