"""Sign-in addresses kept apart from tokens, seeded from the addresses of today's password sessions.

Revision ID: 0010
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    # 0001 creates tables from the current schema, so a database made by this version has the table already.
    if "sign_in_addresses" in sa.inspect(bind).get_table_names():
        return
    op.create_table(
        "sign_in_addresses",
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("last_at", sa.Float(), nullable=False),
    )
    bind.execute(
        sa.text(
            "INSERT INTO sign_in_addresses (user_id, address, last_at) "
            "SELECT user_id, last_address, MAX(last_seen_at) FROM auth_tokens "
            "WHERE kind = 'session' AND last_address IS NOT NULL GROUP BY user_id, last_address"
        )
    )


def downgrade() -> None:
    op.drop_table("sign_in_addresses")
