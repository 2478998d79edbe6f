"""Federated users: who vouches for each, the sign-in nonces and token ids already used, and (home side) which
users a linked server was asked to let in.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

from reelhouse.persistence.peer_schema import federated_principals, federation_shares, federation_used

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks these.
    for table in (federated_principals, federation_used, federation_shares):
        if table.name not in present:
            table.create(op.get_bind())


def downgrade() -> None:
    op.drop_table("federation_shares")
    op.drop_table("federation_used")
    op.drop_table("federated_principals")
