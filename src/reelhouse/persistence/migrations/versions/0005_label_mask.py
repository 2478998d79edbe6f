"""Label masks: items carry their top item's label bits, and the browse indexes cover them.

Revision ID: 0005
Revises: 0004
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from reelhouse.domain.access import label_mask
from reelhouse.persistence.schema import BROWSE_INDEX_COLUMNS

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COVERED = ("id", "rating_rank", "label_mask", "top_id")


def upgrade() -> None:
    bind = op.get_bind()
    # 0001 creates tables from the current schema, so a database made by this version has the column
    # already; only one from an earlier version needs it added, its indexes rebuilt and its masks filled.
    if "label_mask" in {c["name"] for c in sa.inspect(bind).get_columns("items")}:
        return
    op.add_column("items", sa.Column("label_mask", sa.Integer(), nullable=False, server_default="0"))
    for name, column in BROWSE_INDEX_COLUMNS.items():
        op.drop_index(name, table_name="items")
        op.create_index(name, "items", ["library_id", "kind", column, *_COVERED])
    labels: dict[str, list[str]] = defaultdict(list)
    for item_id, tag in bind.execute(sa.text("SELECT item_id, tag FROM item_tags")):
        labels[item_id].append(tag)
    masks = {item_id: label_mask(tags) for item_id, tags in labels.items()}
    if not masks:
        return
    rows = [
        {"id": row_id, "mask": masks[top_id]}
        for row_id, top_id in bind.execute(sa.text("SELECT id, top_id FROM items"))
        if masks.get(top_id)
    ]
    if rows:
        bind.execute(sa.text("UPDATE items SET label_mask = :mask WHERE id = :id"), rows)


def downgrade() -> None:
    for name, column in BROWSE_INDEX_COLUMNS.items():
        op.drop_index(name, table_name="items")
        op.create_index(name, "items", ["library_id", "kind", column, "id", "rating_rank", "top_id"])
    op.drop_column("items", "label_mask")
