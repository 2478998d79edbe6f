"""Principal changes over a link carry a sequence number: the sender counts per link, the receiver keeps the
highest it applied per federated user, so an older revocation or grant arriving late (from the outbox, or
reordered) never undoes a newer one.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_COLUMNS = (("peer_links", "revocation_seq"), ("federated_principals", "seq"))


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks them.
    for table, name in _COLUMNS:
        if name not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column(name, sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table, name in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(name)
