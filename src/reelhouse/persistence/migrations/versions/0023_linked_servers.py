"""Linked servers: pairing codes (sealed, one attempt), the links they make, and signed requests' nonces.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

from reelhouse.persistence.peer_schema import pairing_codes, peer_links, peer_nonces

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks these.
    for table in (pairing_codes, peer_links, peer_nonces):
        if table.name not in present:
            table.create(op.get_bind())


def downgrade() -> None:
    op.drop_table("peer_nonces")
    op.drop_table("peer_links")
    op.drop_table("pairing_codes")
