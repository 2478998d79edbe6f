"""Initial schema: libraries, catalogue, files, users, tokens, settings, audit.

Revision ID: 0001
"""

from alembic import op

from reelhouse.persistence.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Search: an FTS5 index kept in step with items by triggers (SQLite only; other databases use ILIKE).
FTS = [
    "CREATE VIRTUAL TABLE items_fts USING fts5(item_id UNINDEXED, title, "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')",
    "CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN "
    "INSERT INTO items_fts(item_id, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN "
    "DELETE FROM items_fts WHERE item_id = old.id; END",
    "CREATE TRIGGER items_fts_update AFTER UPDATE OF title ON items BEGIN "
    "UPDATE items_fts SET title = new.title WHERE item_id = new.id; END",
]


# Later migrations add their own tables; this one creates exactly these.
TABLES = (
    "libraries",
    "library_roots",
    "items",
    "item_genres",
    "item_tags",
    "media_files",
    "subtitles",
    "scan_errors",
    "users",
    "auth_tokens",
    "setup_codes",
    "settings",
    "audit_log",
)


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind, tables=[metadata.tables[name] for name in TABLES])
    if bind.dialect.name == "sqlite":
        for statement in FTS:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS items_fts")
    metadata.drop_all(bind, tables=[metadata.tables[name] for name in TABLES])
