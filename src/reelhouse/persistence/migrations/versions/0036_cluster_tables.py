"""Tables web nodes sharing one PostgreSQL database write (issue #19): the sign-in throttle's counters, and a
note per library being scanned, so a scan whose node died is taken up by another.

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
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks them.
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "sign_in_counters" not in present:
        op.create_table(
            "sign_in_counters",
            sa.Column("key", sa.Text(), primary_key=True),
            sa.Column("failures", sa.Integer(), nullable=False),
            sa.Column("pending", sa.Integer(), nullable=False),
            sa.Column("last", sa.Float(), nullable=False),
            sa.Column("pending_at", sa.Float(), nullable=False),
        )
    if "pending_scans" not in present:
        op.create_table(
            "pending_scans",
            sa.Column(
                "library_id",
                sa.String(32),
                sa.ForeignKey("libraries.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column("node", sa.Text(), nullable=False),
            sa.Column("started_at", sa.Float(), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("pending_scans")
    op.drop_table("sign_in_counters")
