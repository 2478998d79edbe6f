"""People and collections from NFOs, and lyrics of tracks.

Revision ID: 0018
Revises: 0017

New tables only: every existing row stays as it is. Items get their people, collection and lyrics at their
next full scan, or when their NFO or file changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks them.
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "people" not in present:
        op.create_table(
            "people",
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("name", sa.Text(), nullable=False),
            sa.Column("name_key", sa.Text(), nullable=False, unique=True),
        )
    if "item_people" not in present:
        op.create_table(
            "item_people",
            sa.Column(
                "item_id", sa.String(32), sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
            ),
            sa.Column(
                "person_id", sa.String(32), sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
            ),
            sa.Column("kind", sa.String(16), primary_key=True),
            sa.Column("role", sa.Text()),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("photo", sa.Text()),
        )
        op.create_index("ix_item_people_person", "item_people", ["person_id", "item_id"])
    if "collections" not in present:
        op.create_table(
            "collections",
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("name", sa.Text(), nullable=False),
            sa.Column("name_key", sa.Text(), nullable=False, unique=True),
        )
    if "item_collections" not in present:
        op.create_table(
            "item_collections",
            sa.Column(
                "item_id", sa.String(32), sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
            ),
            sa.Column(
                "collection_id",
                sa.String(32),
                sa.ForeignKey("collections.id", ondelete="CASCADE"),
                nullable=False,
            ),
        )
        op.create_index("ix_item_collections_collection", "item_collections", ["collection_id", "item_id"])
    if "item_lyrics" not in present:
        op.create_table(
            "item_lyrics",
            sa.Column(
                "item_id", sa.String(32), sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
            ),
            sa.Column("synced", sa.Boolean(), nullable=False),
            sa.Column("source", sa.String(16), nullable=False),
            sa.Column("language", sa.String(16)),
            sa.Column("lines", sa.Text(), nullable=False),
        )


def downgrade() -> None:
    for table in ("item_lyrics", "item_collections", "collections", "item_people", "people"):
        op.drop_table(table)
