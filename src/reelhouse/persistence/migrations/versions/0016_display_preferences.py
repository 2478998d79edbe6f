"""Display preferences: how each Jellyfin app lays out a user's screens, kept per user, screen and app.

Revision ID: 0016
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks it.
    if "display_preferences" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "display_preferences",
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("screen", sa.String(64), primary_key=True),
        sa.Column("client", sa.String(128), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("display_preferences")
