"""File identity: media files keep the device and inode they were scanned with.

Revision ID: 0006
Revises: 0005

Rows scanned before this version have neither; the media access decision then compares size and mtime only,
until the next scan that sees the file changed, or a full scan, records them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks them.
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("media_files")}
    for name in ("device", "inode"):
        if name not in present:
            op.add_column("media_files", sa.Column(name, sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for name in ("inode", "device"):
        op.drop_column("media_files", name)
