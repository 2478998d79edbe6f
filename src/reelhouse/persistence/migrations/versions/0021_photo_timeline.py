"""The photo timeline's sort key (items.taken_key) and its browse index.

Revision ID: 0021
Revises: 0020

A photos library pages through its timeline newest first; without the index each page sorted every photo of
the library. The key is a virtual column (SQLite cannot add a stored one to a table), so no row is rewritten.
"""

import sqlalchemy as sa
from alembic import op

from reelhouse.persistence.schema import UNDATED_KEY

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_INDEX = "ix_items_browse_taken"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks them.
    if "taken_key" not in {c["name"] for c in inspector.get_columns("items")}:
        op.execute(
            "ALTER TABLE items ADD COLUMN taken_key FLOAT "
            f"GENERATED ALWAYS AS (coalesce(taken_at, {UNDATED_KEY})) VIRTUAL"
        )
    if _INDEX not in {i["name"] for i in inspector.get_indexes("items")}:
        op.create_index(
            _INDEX, "items", ["library_id", "kind", "taken_key", "id", "rating_rank", "label_mask", "top_id"]
        )


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="items")
    op.execute("ALTER TABLE items DROP COLUMN taken_key")
