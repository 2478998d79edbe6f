"""Each item keeps how many items name it as their parent (items.child_count), kept by triggers.

Revision ID: 0033
Revises: 0032

Listings show a folder's children count (an album's songs, an artist's albums, a show's seasons). Counted per
listed row from ix_items_children it cost a fifth of a page of albums' statement at 100,000 tracks; stored on
the row, it is read with the row. Triggers keep it in the transaction that adds, removes or moves a child, so
no writer (the scanner, a library's removal cascading to its items, a test's factory) can leave it behind.
The count is not scoped, as the counting it replaces was not: a child is in its folder's library and carries
the rating rank and label mask of the same top item, so whoever sees the folder sees every child.
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS items_child_added AFTER INSERT ON items WHEN new.parent_id IS NOT NULL "
    "BEGIN UPDATE items SET child_count = child_count + 1 WHERE id = new.parent_id; END",
    # A row written with a count of its own (a copy of another database) is counted again, so the count
    # never holds anything but the children present.
    "CREATE TRIGGER IF NOT EXISTS items_child_count_given AFTER INSERT ON items WHEN new.child_count <> 0 "
    "BEGIN UPDATE items SET child_count = (SELECT count(*) FROM items AS c WHERE c.parent_id = new.id) "
    "WHERE id = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS items_child_removed AFTER DELETE ON items WHEN old.parent_id IS NOT NULL "
    "BEGIN UPDATE items SET child_count = child_count - 1 WHERE id = old.parent_id; END",
    "CREATE TRIGGER IF NOT EXISTS items_child_moved AFTER UPDATE OF parent_id ON items "
    "WHEN old.parent_id IS NOT new.parent_id BEGIN "
    "UPDATE items SET child_count = child_count - 1 WHERE id = old.parent_id; "
    "UPDATE items SET child_count = child_count + 1 WHERE id = new.parent_id; END",
)
_SQLITE_NAMES = ("items_child_added", "items_child_count_given", "items_child_removed", "items_child_moved")
_POSTGRESQL_TRIGGER = (
    "CREATE OR REPLACE FUNCTION items_child_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'INSERT' AND NEW.child_count <> 0 THEN "
    "UPDATE items SET child_count = (SELECT count(*) FROM items AS c WHERE c.parent_id = NEW.id) "
    "WHERE id = NEW.id; END IF; "
    "IF TG_OP <> 'INSERT' AND OLD.parent_id IS NOT NULL "
    "AND (TG_OP = 'DELETE' OR OLD.parent_id IS DISTINCT FROM NEW.parent_id) THEN "
    "UPDATE items SET child_count = child_count - 1 WHERE id = OLD.parent_id; END IF; "
    "IF TG_OP <> 'DELETE' AND NEW.parent_id IS NOT NULL "
    "AND (TG_OP = 'INSERT' OR OLD.parent_id IS DISTINCT FROM NEW.parent_id) THEN "
    "UPDATE items SET child_count = child_count + 1 WHERE id = NEW.parent_id; END IF; "
    "RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS items_child_count ON items",
    "CREATE TRIGGER items_child_count AFTER INSERT OR DELETE OR UPDATE OF parent_id ON items "
    "FOR EACH ROW EXECUTE FUNCTION items_child_count()",
)
_BACKFILL = (
    "UPDATE items SET child_count = (SELECT count(*) FROM items AS c WHERE c.parent_id = items.id) "
    "WHERE id IN (SELECT DISTINCT parent_id FROM items WHERE parent_id IS NOT NULL)"
)


def upgrade() -> None:
    bind = op.get_bind()
    # 0001 creates tables from the current schema, so only a database from an earlier version lacks it.
    if "child_count" not in {c["name"] for c in sa.inspect(bind).get_columns("items")}:
        op.add_column("items", sa.Column("child_count", sa.Integer(), nullable=False, server_default="0"))
    for statement in _SQLITE_TRIGGERS if bind.dialect.name == "sqlite" else _POSTGRESQL_TRIGGER:
        op.execute(statement)
    # Counted after the triggers exist: rows written from here on are counted by them.
    op.execute(_BACKFILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _SQLITE_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS items_child_count ON items")
        op.execute("DROP FUNCTION IF EXISTS items_child_count()")
    op.drop_column("items", "child_count")
