"""A linked server's previous key, accepted for a day after it rotates to a new one.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("previous_fingerprint", sa.String(64)),
    ("previous_spki", sa.Text()),
    ("previous_until", sa.Float()),
)


def upgrade() -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("peer_links")}
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks them.
    for name, kind in _COLUMNS:
        if name not in present:
            op.add_column("peer_links", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("peer_links") as batch:
        for name, _kind in _COLUMNS:
            batch.drop_column(name)
