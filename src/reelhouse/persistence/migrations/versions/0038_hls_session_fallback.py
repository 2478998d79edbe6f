"""An HLS session's fallback to CPU workers is kept in the shared row (issue #19), so a node that takes the
session up shows why and keeps its jobs on CPU workers instead of trying a GPU worker again.

Revision ID: 0038
Revises: 0037
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0037 creates the table from its own column list (0001 never does), so every database gets it here.
    op.add_column("hls_sessions", sa.Column("fallback", sa.Text()))


def downgrade() -> None:
    op.drop_column("hls_sessions", "fallback")
