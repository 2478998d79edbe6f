"""Tables web nodes sharing one PostgreSQL database write (issue #19): the sign-in throttle's counters, a note
per library being scanned, so a scan whose node died is taken up by another, and Sign in with Home's entries
under way, so a sign-in started on one node finishes on another.

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
    if "home_sign_ins" not in present:
        op.create_table(
            "home_sign_ins",
            sa.Column("kind", sa.String(16), primary_key=True),
            sa.Column("key_hash", sa.String(64), primary_key=True),
            sa.Column("value", sa.Text(), nullable=False),
            sa.Column("grp", sa.String(64)),
            sa.Column("created_at", sa.Float(), nullable=False),
            sa.Column("expires_at", sa.Float(), nullable=False),
        )
        op.create_index("ix_home_sign_ins_group", "home_sign_ins", ["kind", "grp", "created_at"])


def downgrade() -> None:
    op.drop_table("home_sign_ins")
    op.drop_table("pending_scans")
    op.drop_table("sign_in_counters")
