"""The linked-server tables (pairing, peer links and their outbox, federated users), on the schema's one MetaData.

``reelhouse.persistence.schema`` imports this module, so ``schema.metadata`` holds these tables too.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text

from reelhouse.persistence.schema_base import metadata

# Linked servers (migration 0023). SPAKE2 is a balanced PAKE, so the side that shows a code must be able to use
# it: it is kept sealed with a key outside the database (peer/codes.key), for ten minutes and one attempt.
pairing_codes = Table(
    "pairing_codes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("code_sealed", Text, nullable=False),
    Column("created_by", String(32), ForeignKey("users.id", ondelete="CASCADE")),  # null: the CLI
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    # open → claimed (one attempt started) → used | burned; or cancelled.
    Column("state", String(16), nullable=False),
    # What the server that types the code may do here, and what this server asks to do there (JSON lists).
    Column("scopes_to_peer", Text, nullable=False),
    Column("scopes_from_peer", Text, nullable=False),
)

# One row per server paired with this one. ``fingerprint`` pins its peer key (SHA-256 of the SPKI, base32);
# ``scopes_to_peer`` is what it may do here, ``scopes_from_peer`` what it granted this server there.
peer_links = Table(
    "peer_links",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("server_id", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("spki", Text, nullable=False),
    Column("addresses", Text, nullable=False),
    Column("scopes_to_peer", Text, nullable=False),
    Column("scopes_from_peer", Text, nullable=False),
    Column("state", String(24), nullable=False),
    Column("role", String(16), nullable=False),  # "dialed" (we typed the code) or "listened"
    Column("paired_at", Float, nullable=False),
    Column("paired_by", String(32)),
    Column("last_seen", Float),
    Column("last_status", Text),
    Column("skew_ms", Integer),
    Column("proto", Integer, nullable=False),
    # After the peer rotated its key (migration 0026): the key it had, still accepted until previous_until.
    Column("previous_fingerprint", String(64)),
    Column("previous_spki", Text),
    Column("previous_until", Float),
    # The last sequence number this server gave a change of federated users sent over the link (migration 0027).
    Column("revocation_seq", Integer, nullable=False, server_default="0"),
    Index("ix_peer_links_fingerprint", "fingerprint"),
)

# Nonces of signed peer requests seen in the last ten minutes: a replay within a signature's life is refused,
# across restarts too.
peer_nonces = Table(
    "peer_nonces",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("link_id", String(32), nullable=False),
    Column("seen_at", Float, nullable=False),
    Index("ix_peer_nonces_seen", "seen_at"),
)

# Keys of servers unlinked here or by themselves: refused before any other check of a signed request, until a
# new pairing with a fresh code pins that key again.
peer_denied_keys = Table(
    "peer_denied_keys",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("server_id", String(32), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("denied_at", Float, nullable=False),
)

# Changes for a linked server that was unreachable, waiting to be sent (remote administration). The key makes
# a delivery idempotent: the receiver remembers it in peer_received and never applies it twice.
peer_outbox = Table(
    "peer_outbox",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("link_id", String(32), nullable=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),  # "settings", or a revocation: "revoke_principal", "unlink"
    Column("body", Text, nullable=False),  # JSON: what to send
    Column("actor", Text, nullable=False),  # JSON: the human on whose behalf it goes
    Column("created_by", String(32), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("state", String(16), nullable=False),  # pending, sent, refused, cancelled, expired
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("finished_at", Float, nullable=True),
    Column("response_status", Integer, nullable=True),
    Index("ix_peer_outbox_link_state", "link_id", "state"),
)

# Idempotency keys of changes a linked server delivered here, with the answer given, so that a change sent
# again (its acknowledgement was lost) is answered the same and not applied twice.
peer_received = Table(
    "peer_received",
    metadata,
    Column("link_id", String(32), primary_key=True),
    Column("idempotency_key", String(64), primary_key=True),
    Column("request_id", String(64), nullable=False),
    Column("received_at", Float, nullable=False),
    Column("answer", Text, nullable=False),
)

# Federated users (migration 0025): a friend of a linked server (issuer: its key fingerprint; subject: the
# friend's user id there) who signs in here with a token from that server. The user row holds the grants; this
# row ties it to whoever vouches for it, and revoking keeps the row so that the user stays refused.
federated_principals = Table(
    "federated_principals",
    metadata,
    Column("issuer", String(64), primary_key=True),
    Column("subject", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("link_id", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
    # The highest sequence number of the issuer's changes applied to this user (migration 0027).
    Column("seq", Integer, nullable=False, server_default="0"),
)

# Sign-in nonces this server handed out (kind "nonce": single use, five minutes) and token ids it accepted
# (kind "jti"): neither is accepted twice.
federation_used = Table(
    "federation_used",
    metadata,
    Column("value", String(128), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
    Index("ix_federation_used_created", "created_at"),
)

# On the home side: which of this server's users a linked server was told to let in, so that they can see
# where they may sign in. The linked server's word is the one that counts; this is what was last asked of it.
federation_shares = Table(
    "federation_shares",
    metadata,
    Column("link_id", String(32), primary_key=True),
    # No foreign key: once the user is deleted, the row still says which servers to tell (then it goes).
    Column("user_id", String(32), primary_key=True),
    Column("libraries", Text, nullable=False),  # JSON: the library ids there
    Column("shared_at", Float, nullable=False),
)
