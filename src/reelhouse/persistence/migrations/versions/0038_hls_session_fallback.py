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
    # 0001 creates tables from the current schema, where the column already is; 0037's own list lacks it, so a
    # database that was at 0036 or 0037 before gets it here.
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("hls_sessions")}
    if "fallback" not in columns:
        op.add_column("hls_sessions", sa.Column("fallback", sa.Text()))


def downgrade() -> None:
    op.drop_column("hls_sessions", "fallback")
