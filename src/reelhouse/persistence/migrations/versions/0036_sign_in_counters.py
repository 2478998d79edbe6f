"""Sign-in throttle counters that web nodes sharing one PostgreSQL database keep together (issue #19).

Revision ID: 0036
Revises: 0035
"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks it.
    if "sign_in_counters" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "sign_in_counters",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("last", sa.Float(), nullable=False),
        sa.Column("pending_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sign_in_counters")
