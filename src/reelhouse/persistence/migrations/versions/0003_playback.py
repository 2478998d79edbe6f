"""Playback: per-user play state (resume position, watched).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from reelhouse.persistence.schema import metadata

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("play_state",)


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=[metadata.tables[name] for name in TABLES])


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=[metadata.tables[name] for name in TABLES])
