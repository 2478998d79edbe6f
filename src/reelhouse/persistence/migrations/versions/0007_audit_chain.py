"""Audit chain format 2: every stored field is hashed, and a checkpoint starts the new chain.

Revision ID: 0007
Revises: 0006

Nothing already written is re-hashed: a silent re-hash would vouch for rows whose actor names, addresses and
order the old hash never covered. Instead, when the log has entries, one checkpoint entry is appended
(`audit.checkpoint`, kind "format") naming the seq and hash of the last old-format entry, hashed the new way.
Entries up to that seq keep being checked with the old hash and their links; how such an old log starts is
not checked (the old code pruned without a checkpoint), and neither are the fields the old hash left out.
Everything after the checkpoint is checked in full.
"""

import json
import time

import sqlalchemy as sa
from alembic import op

from reelhouse.persistence.audit import CHECKPOINT, digest

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    last = bind.execute(sa.text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).first()
    if last is None:
        return
    values = {
        "seq": int(last.seq) + 1,
        "at": time.time(),
        "actor_id": None,
        "actor_name": None,
        "address": None,
        "action": CHECKPOINT,
        "target": None,
        "detail": json.dumps({"hash": last.hash, "kind": "format", "through": int(last.seq)}, sort_keys=True),
        "prev_hash": last.hash,
    }
    values["hash"] = digest(**values)
    bind.execute(
        sa.text(
            "INSERT INTO audit_log (seq, at, actor_id, actor_name, address, action, target, detail, "
            "prev_hash, hash) VALUES (:seq, :at, :actor_id, :actor_name, :address, :action, :target, "
            ":detail, :prev_hash, :hash)"
        ),
        values,
    )


def downgrade() -> None:
    # The checkpoint stays: deleting an audit entry is what this chain exists to expose. The older code
    # will report it as changed, as it would any entry written in the new format.
    pass
