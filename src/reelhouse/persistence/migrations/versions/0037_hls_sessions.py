"""The HLS session table web nodes share (issue #19): a session started on one node is served by any, and
outlives the node that started it.

Revision ID: 0037
Revises: 0036
"""

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks it.
    if "hls_sessions" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "hls_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("item_id", sa.String(32), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("grant_session", sa.String(64)),
        sa.Column("device", sa.Text()),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("subtitles", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text()),
        sa.Column("job_id", sa.String(64)),
        sa.Column("job", sa.Text()),
        sa.Column("job_start", sa.Integer(), nullable=False),
        sa.Column("node", sa.Text(), nullable=False),
        sa.Column("worker", sa.Text()),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_access", sa.Float(), nullable=False),
    )
    op.create_index("ix_hls_sessions_last_access", "hls_sessions", ["last_access"])


def downgrade() -> None:
    op.drop_table("hls_sessions")
