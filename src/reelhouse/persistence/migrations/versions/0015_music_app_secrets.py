"""Music app passwords for Subsonic's token auth, sealed with a key kept outside the database.

Revision ID: 0015
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks it.
    if "music_app_secrets" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "music_app_secrets",
        sa.Column(
            "token_id", sa.String(32), sa.ForeignKey("auth_tokens.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
    )
    op.create_index("ix_music_app_secrets_user", "music_app_secrets", ["user_id"])


def downgrade() -> None:
    op.drop_table("music_app_secrets")
