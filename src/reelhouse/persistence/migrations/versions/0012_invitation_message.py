"""Invitation message: what the friend reads on the invite page, apart from the admin's private note.

Revision ID: 0012
Revises: 0007

Until now the one `note` was shown to the person invited; it stays private to admins from this version on,
and an invitation made before it has no message for the friend.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks it.
    if "message" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("invitations")}:
        op.add_column("invitations", sa.Column("message", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("invitations", "message")
