"""The search index reads titles from `items` itself and knows each item's kind.

Revision ID: 0020
Revises: 0019

0001's index kept its own copy of every title with the item's id beside it. Reading those ids back cost about
a microsecond a match, 10 ms for a common word at 100,000 tracks, and removing an item searched the whole
index for its id. Now the index is keyed by the item row itself (an external-content FTS5 table), so a match
is a row number, and the kind is a column of it: a search for songs, albums or artists (Subsonic's search3,
Jellyfin's search by type) matches only titles of that kind. SQLite only; other databases search with ILIKE.
The index is rebuilt from `items` on upgrade; no stored row changes.
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_OLD_TRIGGERS = ("items_fts_insert", "items_fts_delete", "items_fts_update")
_TOKENS = "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4'"

_NEW = [
    f"CREATE VIRTUAL TABLE items_fts USING fts5(kind, title, content='items', content_rowid='rowid', {_TOKENS})",
    "CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN "
    "INSERT INTO items_fts(rowid, kind, title) VALUES (new.rowid, new.kind, new.title); END",
    # An external-content index forgets a row by being told the values it indexed.
    "CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, kind, title) VALUES ('delete', old.rowid, old.kind, old.title); END",
    "CREATE TRIGGER items_fts_update AFTER UPDATE OF kind, title ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, kind, title) VALUES ('delete', old.rowid, old.kind, old.title); "
    "INSERT INTO items_fts(rowid, kind, title) VALUES (new.rowid, new.kind, new.title); END",
    "INSERT INTO items_fts(items_fts) VALUES ('rebuild')",
]

_OLD = [
    f"CREATE VIRTUAL TABLE items_fts USING fts5(item_id UNINDEXED, title, {_TOKENS})",
    "CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN "
    "INSERT INTO items_fts(item_id, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN "
    "DELETE FROM items_fts WHERE item_id = old.id; END",
    "CREATE TRIGGER items_fts_update AFTER UPDATE OF title ON items BEGIN "
    "UPDATE items_fts SET title = new.title WHERE item_id = new.id; END",
    "INSERT INTO items_fts(item_id, title) SELECT id, title FROM items",
]


def _replace(statements: list[str]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in _OLD_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS items_fts")
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _replace(_NEW)


def downgrade() -> None:
    _replace(_OLD)
