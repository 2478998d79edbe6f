"""Device tokens for Jellyfin's apps (the device's id and the app's name) and Quick Connect requests.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks these.
    present = {c["name"] for c in sa.inspect(bind).get_columns("auth_tokens")}
    with op.batch_alter_table("auth_tokens") as batch:
        if "device_id" not in present:
            batch.add_column(sa.Column("device_id", sa.String(128), nullable=True))
        if "client" not in present:
            batch.add_column(sa.Column("client", sa.String(128), nullable=True))
    if "quick_connect" in sa.inspect(bind).get_table_names():
        return
    op.create_table(
        "quick_connect",
        sa.Column("secret_hash", sa.String(64), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("client", sa.String(128), nullable=False),
        sa.Column("device", sa.String(128), nullable=False),
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    )
    op.create_index("ix_quick_connect_code", "quick_connect", ["code_hash"])


def downgrade() -> None:
    op.drop_table("quick_connect")
    with op.batch_alter_table("auth_tokens") as batch:
        batch.drop_column("client")
        batch.drop_column("device_id")
