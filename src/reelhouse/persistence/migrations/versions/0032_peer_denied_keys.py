"""A deny list of peer key fingerprints: a server unlinked here, or that unlinked itself, is refused by key
before anything else, until it pairs again with a fresh code.

Revision ID: 0032
Revises: 0031
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks it.
    if "peer_denied_keys" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "peer_denied_keys",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("server_id", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("denied_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("peer_denied_keys")
