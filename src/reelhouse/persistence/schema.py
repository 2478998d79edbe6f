"""The tables, declared once with SQLAlchemy Core; migrations create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler

# The linked-server and cluster tables live in modules of their own on the same MetaData: importing them here is
# what puts them in ``metadata``, which migration 0001 and `reelhouse db copy` read whole.
from reelhouse.persistence import cluster_schema as cluster_schema
from reelhouse.persistence import peer_schema as peer_schema
from reelhouse.persistence.schema_base import metadata as metadata

# 64-bit where values need it (a label mask's high bits, a file's size): SQLite's INTEGER already is, and is
# left spelled as it was; PostgreSQL's INTEGER is 32-bit.
Int64 = Integer().with_variant(BigInteger(), "postgresql")


@compiles(Computed, "postgresql")
def _stored_on_postgresql(generated: Computed, compiler: DDLCompiler, **kw: object) -> str:
    # PostgreSQL (before 18) has only stored generated columns; a virtual one on SQLite is stored there.
    expression = compiler.sql_compiler.process(generated.sqltext, include_table=False, literal_binds=True)
    return f"GENERATED ALWAYS AS ({expression}) STORED"


libraries = Table(
    "libraries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("name_key", String(128), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    # Whether the encoder queue makes seek preview thumbnails for this library's videos (migration 0022).
    Column("seek_previews", Boolean, nullable=False, server_default=false()),
)

library_roots = Table(
    "library_roots",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("library_id", String(32), ForeignKey("libraries.id", ondelete="CASCADE"), nullable=False),
    Column("path", Text, nullable=False),
    Column("position", Integer, nullable=False),
    UniqueConstraint("library_id", "path"),
)

# items.taken_key for a row without a date taken: below any real timestamp, so undated photos sort last.
UNDATED_KEY = -1e18

# Browse indexes by sort column; migration 0005 rebuilds them from this list.
BROWSE_INDEX_COLUMNS = {
    "ix_items_browse_title": "sort_title",
    "ix_items_browse_added": "added_at",
    "ix_items_browse_year": "year_key",
    "ix_items_browse_rating": "rating_key",
}
BROWSE_INDEXES = [
    Index(name, "library_id", "kind", column, "id", "rating_rank", "label_mask", "top_id")
    for name, column in BROWSE_INDEX_COLUMNS.items()
]

items = Table(
    "items",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("library_id", String(32), ForeignKey("libraries.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parent_id", String(32), ForeignKey("items.id", ondelete="CASCADE")),
    # The top-level ancestor (itself for top-level items): scope filters on rating and labels look there.
    Column("top_id", String(32), nullable=False),
    # Groups items found from different files: normalised show/artist/album names.
    Column("group_key", Text),
    Column("title", Text, nullable=False),
    Column("sort_title", Text, nullable=False),
    Column("year", Integer),
    Column("idx", Integer),
    Column("parent_idx", Integer),
    Column("aired", String(10)),
    Column("rating", Float),
    Column("content_rating", String(32)),
    Column("rating_rank", Integer),
    # The top item's label_mask (domain.access): label filters read it from the browse indexes.
    Column("label_mask", Int64, nullable=False, default=0, server_default="0"),
    # Sort keys with NULL as lowest, stored so that browse indexes cover them and (key, id) seeks work.
    Column("year_key", Integer, Computed("coalesce(year, -1)", persisted=True)),
    Column("rating_key", Float, Computed("coalesce(rating, -1.0)", persisted=True)),
    Column("plot", Text),
    Column("duration", Float),
    Column("taken_at", Float),
    # The photo timeline's sort key, undated lowest. Virtual, so that 0021 can add it to an existing table.
    Column("taken_key", Float, Computed(f"coalesce(taken_at, {UNDATED_KEY})", persisted=False)),
    Column("poster", Text),
    Column("fanart", Text),
    Column("extra", Text, nullable=False, default="{}"),
    Column("missing", Boolean, nullable=False, default=False),
    # How many items name this one as their parent, kept by triggers (migration 0033): listings show it.
    Column("child_count", Integer, nullable=False, server_default="0"),
    Column("added_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # Browse indexes end in id so that a page's ids come from the index alone (deep OFFSETs stay cheap);
    # rating_rank, label_mask and top_id ride along so a restricted viewer's scope filter is answered from the
    # index too.
    *BROWSE_INDEXES,
    # Kept apart from BROWSE_INDEXES, which 0005 rebuilds: a database that old has no taken_key yet (0021).
    Index(
        "ix_items_browse_taken",
        "library_id",
        "kind",
        "taken_key",
        "id",
        "rating_rank",
        "label_mask",
        "top_id",
    ),
    Index("ix_items_children", "parent_id", "parent_idx", "idx"),
    Index("ix_items_group", "library_id", "kind", "group_key"),
    Index("ix_items_recent", "kind", "added_at"),
    # Counting a show's episodes or an artist's tracks for a listing (persistence/finding.py).
    Index("ix_items_top", "top_id", "kind"),
)

item_genres = Table(
    "item_genres",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("genre", String(64), primary_key=True),
    Index("ix_item_genres_genre", "genre", "item_id"),
)

item_tags = Table(
    "item_tags",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(64), primary_key=True),
    Index("ix_item_tags_tag", "tag", "item_id"),
)

media_files = Table(
    "media_files",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("library_id", String(32), ForeignKey("libraries.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", String(32), ForeignKey("items.id", ondelete="SET NULL")),
    Column("path", Text, nullable=False, unique=True),
    Column("size", Int64, nullable=False),
    Column("mtime", Float, nullable=False),
    # The file's identity when scanned: a file opened for a viewer must still be this one (services.media_files).
    Column("device", BigInteger),
    Column("inode", BigInteger),
    # Size plus a hash of the first and last 64 KiB: finds a moved or renamed file again.
    Column("fingerprint", String(64), nullable=False),
    Column("part", Integer, nullable=False, default=1),
    Column("media", Text),
    Column("missing_since", Float),
    Column("scanned_at", Float, nullable=False),
    # Set by an upgrade whose probe reads more than the stored one holds: the next scan probes the file again,
    # while playback, which checks only the file's identity, goes on meanwhile.
    Column("reprobe", Boolean, nullable=False, default=False, server_default="0"),
    Index("ix_media_files_item", "item_id"),
    Index("ix_media_files_library", "library_id", "path"),
    Index("ix_media_files_fingerprint", "fingerprint"),
)

subtitles = Table(
    "subtitles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("item_id", String(32), ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("file_id", String(32), ForeignKey("media_files.id", ondelete="CASCADE")),
    Column("path", Text),
    Column("embedded_index", Integer),
    Column("language", String(16)),
    Column("format", String(16), nullable=False),
    Column("forced", Boolean, nullable=False, default=False),
    Column("title", Text),
    Index("ix_subtitles_item", "item_id"),
)

scan_errors = Table(
    "scan_errors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("library_id", String(32), ForeignKey("libraries.id", ondelete="CASCADE"), nullable=False),
    Column("path", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", Float, nullable=False),
    UniqueConstraint("library_id", "path"),
)

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("username_key", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    # JSON: the per-user grants (libraries, ratings, labels, download, transcode, bitrate, remote...).
    Column("grants", Text, nullable=False, default="{}"),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name", String(128), nullable=False),
    Column("scopes", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
    Column("last_address", String(64)),
    Column("expires_at", Float),
    # Device tokens (migration 0014): the app's own id for the device, so signing in again from it replaces
    # its token, and the app's name, shown beside the device's on the Account page.
    Column("device_id", String(128)),
    Column("client", String(128)),
    Index("ix_auth_tokens_user", "user_id"),
)

# A music app password (migration 0015) must stay readable, because Subsonic's token auth sends
# md5(password + salt): it is sealed with a key kept outside the database (music-apps.key). The token row it
# belongs to holds its hash, name and last use, and revoking that row drops it.
music_app_secrets = Table(
    "music_app_secrets",
    metadata,
    Column("token_id", String(32), ForeignKey("auth_tokens.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("sealed", Text, nullable=False),
    Index("ix_music_app_secrets_user", "user_id"),
)

# Quick Connect (migration 0014): an app shows a code, a signed-in user approves it on the Account page, and
# the app trades its secret for a device token. The secret is stored as SHA-256, the short code as an HMAC under
# quick-connect.key (outside the database; migration 0035); each lives five minutes.
quick_connect = Table(
    "quick_connect",
    metadata,
    Column("secret_hash", String(64), primary_key=True),
    Column("code_hash", String(64), nullable=False),
    Column("client", String(128), nullable=False),
    Column("device", String(128), nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("address", String(64)),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE")),
    Index("ix_quick_connect_code", "code_hash"),
)

# Where each user has signed in with a password, kept apart from the tokens: ending every session (a
# password change, a reset, "sign out everywhere") must not make home look like a stranger's address.
sign_in_addresses = Table(
    "sign_in_addresses",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("last_at", Float, nullable=False),
)

setup_codes = Table(
    "setup_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("created_at", Float, nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("updated_by", String(32)),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor_id", String(32)),
    Column("actor_name", String(64)),
    Column("action", String(64), nullable=False),
    Column("target", Text),
    Column("detail", Text, nullable=False, default="{}"),
    Column("address", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_action", "action", "at"),
)

# Accounts (migration 0002): invitations, two-factor secrets and recovery codes.
invitations = Table(
    "invitations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(32)),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("max_uses", Integer, nullable=False),
    Column("uses", Integer, nullable=False, default=0),
    Column("role", String(16), nullable=False),
    # For admins only; `message` (migration 0012) is what the friend reads on the invite page.
    Column("note", Text),
    Column("message", Text),
    # JSON: the grants every account made from this invitation starts with.
    Column("grants", Text, nullable=False, default="{}"),
    Column("revoked_at", Float),
)

invitation_redemptions = Table(
    "invitation_redemptions",
    metadata,
    Column("invitation_id", String(32), ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("at", Float, nullable=False),
)

second_factors = Table(
    "second_factors",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # The TOTP secret must be readable to check codes, so it is sealed (AES-GCM, key in the data dir).
    Column("secret", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("confirmed_at", Float),
    # The last accepted 30-second step: a code is never accepted twice.
    Column("last_step", Integer, nullable=False, default=0),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("used_at", Float),
    Index("ix_recovery_codes_user", "user_id"),
)

play_state = Table(
    "play_state",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", String(32), ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Float, nullable=False, default=0.0),
    Column("duration", Float),
    Column("watched", Boolean, nullable=False, default=False),
    Column("play_count", Integer, nullable=False, default=0),
    Column("updated_at", Float, nullable=False),
    # When the viewer marked it a favourite (Jellyfin's IsFavorite, Subsonic's star); NULL when not.
    Column("favourite_at", Float),
    # The viewer's own rating, 1 to 5 (Subsonic's setRating); NULL when unrated.
    Column("rating", Integer),
    Index("ix_play_state_recent", "user_id", "watched", "updated_at"),
)

# How each app lays out a user's screens (Jellyfin's display preferences, migration 0016): the app's own JSON,
# per user, screen and app; read back by that user alone.
display_preferences = Table(
    "display_preferences",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("screen", String(64), primary_key=True),
    Column("client", String(128), primary_key=True),
    Column("body", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Playlists (migration 0017): each belongs to one user and is seen by that user alone. Entries keep their order
# by position (with gaps after removals); an entry is checked against the viewer's scope whenever it is read.
playlists = Table(
    "playlists",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("changed_at", Float, nullable=False),
    Index("ix_playlists_user", "user_id"),
)

playlist_entries = Table(
    "playlist_entries",
    metadata,
    Column("playlist_id", String(32), ForeignKey("playlists.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("item_id", String(32), ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Index("ix_playlist_entries_item", "item_id"),
)

# A user's play queue (migration 0017), saved by one app and picked up by another (Subsonic's savePlayQueue).
play_queues = Table(
    "play_queues",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("current", String(32)),
    Column("position_ms", BigInteger, nullable=False, default=0),
    Column("changed_at", Float, nullable=False),
    Column("changed_by", String(128), nullable=False, default=""),
)

play_queue_entries = Table(
    "play_queue_entries",
    metadata,
    Column("user_id", String(32), ForeignKey("play_queues.user_id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("item_id", String(32), ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
)

# People and collections from NFOs (migration 0018). A person is one name across every library (matched
# case-insensitively); who may see a person is decided by the items they appear in, through the viewer's scope.
people = Table(
    "people",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False, unique=True),
)

item_people = Table(
    "item_people",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", String(32), ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    # actor, director or writer; role is the character played; position is the billing order.
    Column("kind", String(16), primary_key=True),
    Column("role", Text),
    Column("position", Integer, nullable=False, default=0),
    # A local photo (.actors/Name.jpg beside the movie or show), served only through the item's access.
    Column("photo", Text),
    Index("ix_item_people_person", "person_id", "item_id"),
)

collections = Table(
    "collections",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False, unique=True),
)

item_collections = Table(
    "item_collections",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("collection_id", String(32), ForeignKey("collections.id", ondelete="CASCADE"), nullable=False),
    Index("ix_item_collections_collection", "collection_id", "item_id"),
)

# A track's lyrics (migration 0018): from a sidecar .lrc or .txt, else embedded (ID3 SYLT/USLT, Vorbis and MP4
# lyrics). ``lines`` is JSON: [[milliseconds or null, text], ...]; synced when every line has a time.
item_lyrics = Table(
    "item_lyrics",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("synced", Boolean, nullable=False, default=False),
    Column("source", String(16), nullable=False),
    Column("language", String(16)),
    Column("lines", Text, nullable=False),
)
