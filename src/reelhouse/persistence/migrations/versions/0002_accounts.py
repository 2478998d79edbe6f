"""Accounts: invitations, two-factor secrets and recovery codes.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from reelhouse.persistence.schema import metadata

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("invitations", "invitation_redemptions", "second_factors", "recovery_codes")


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=[metadata.tables[name] for name in TABLES])


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=[metadata.tables[name] for name in TABLES])
