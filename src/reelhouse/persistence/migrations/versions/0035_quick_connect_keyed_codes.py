"""Quick Connect codes are stored as an HMAC under quick-connect.key instead of a bare SHA-256, which a copy of
the database reversed by trying the million codes. Rows hashed the old way would never match again and would
still name their code, so they go: a pending request lives five minutes, and its app simply starts again.

Revision ID: 0035
Revises: 0034
"""

from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM quick_connect")


def downgrade() -> None:
    # Keyed rows mean nothing to the older code; they expire within five minutes either way.
    op.execute("DELETE FROM quick_connect")
