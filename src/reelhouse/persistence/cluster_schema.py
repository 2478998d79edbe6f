"""Tables only a cluster of web nodes writes (`cluster` on, issue #19), on the schema's one MetaData.

``reelhouse.persistence.schema`` imports this module, so ``schema.metadata`` holds these tables too. A single
machine keeps the same state in memory and leaves them empty.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text

from reelhouse.persistence.schema_base import metadata

# Sign-in throttle counters shared by the nodes (migration 0036; services/shared_throttle.py). ``key`` names the
# throttle and the counter (per address, per account and address, per account); ``pending`` counts attempts let
# through whose password check has not ended, as of ``pending_at``, so a node that died mid-check is forgiven.
sign_in_counters = Table(
    "sign_in_counters",
    metadata,
    Column("key", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("pending", Integer, nullable=False),
    Column("last", Float, nullable=False),
    Column("pending_at", Float, nullable=False),
)

# A library being scanned, noted by the node that holds its scan lock (persistence/cluster.py) and removed when
# that scan ends: a note whose lock nobody holds is a scan whose node died, which another node takes up.
pending_scans = Table(
    "pending_scans",
    metadata,
    Column("library_id", String(32), ForeignKey("libraries.id", ondelete="CASCADE"), primary_key=True),
    Column("node", Text, nullable=False),
    Column("started_at", Float, nullable=False),
)

# Sign in with Home's entries under way (services/home_sign_in.py): on the linked server, flows by state; at home,
# pushed requests by handle and issued codes. ``key_hash`` is the SHA-256 of the handle, code or state, which
# travel in browsers and must not be readable from the database; ``grp`` is the link an entry counts against.
home_sign_ins = Table(
    "home_sign_ins",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("key_hash", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("grp", String(64)),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("ix_home_sign_ins_group", "kind", "grp", "created_at"),
)

# HLS sessions, so that any node serves any session's playlists and segments (migration 0037;
# persistence/hls_sessions.py). ``file_path`` is the file it plays (as every node sees it), ``plan`` the playback
# plan as JSON and ``subtitles`` the text renditions, so a node that never saw the session can rebuild it; ``job``
# is the worker's job now encoding it (its spec as JSON, with its id and token; empty without workers, or between
# jobs) and ``job_start`` where the session's encoder began; ``last_access`` is the wall clock of the newest
# request any node answered, which idle ends read; ``fallback`` says why its jobs go to CPU workers though the GPU
# policy prefers GPUs (migration 0038), so a node that takes it up shows it and sends no GPU job again.
hls_sessions = Table(
    "hls_sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), nullable=False),
    Column("item_id", String(32), nullable=False),
    Column("file_path", Text, nullable=False),
    Column("grant_session", String(64)),
    Column("device", Text),
    Column("plan", Text, nullable=False),
    Column("subtitles", Text, nullable=False),
    Column("origin", Text),
    Column("job_id", String(64)),
    Column("job", Text),
    Column("job_start", Integer, nullable=False),
    Column("node", Text, nullable=False),
    Column("worker", Text),
    Column("created_at", Float, nullable=False),
    Column("last_access", Float, nullable=False),
    Column("fallback", Text),
    Index("ix_hls_sessions_last_access", "last_access"),
)
