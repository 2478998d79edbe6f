"""Remote administration: the outbox of changes waiting for an unreachable linked server, and the keys of
changes received from one (so none is applied twice).

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

from reelhouse.persistence.peer_schema import peer_outbox, peer_received

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks these.
    for table in (peer_outbox, peer_received):
        if table.name not in present:
            table.create(op.get_bind())


def downgrade() -> None:
    op.drop_table("peer_received")
    op.drop_table("peer_outbox")
