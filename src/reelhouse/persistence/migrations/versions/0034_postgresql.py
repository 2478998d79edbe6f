"""PostgreSQL: search by words (a generated tsvector of each title, items.search, with a GIN index), and the
json_patch function the scanner merges `items.extra` with.

Revision ID: 0034
Revises: 0033

SQLite searches through its FTS5 index (0020) and has json_patch built in; it is not changed here. On
PostgreSQL the column folds and cuts titles as FTS5 does (persistence/text_search.py), and the database keeps
it in step on every write, so no trigger or rebuild is needed; the GIN index answers prefix queries
(`word:*`). json_patch(text, text) is RFC 7396's merge patch, as SQLite's: a null removes a key, an object
merges into an object, anything else replaces.
"""

import sqlalchemy as sa
from alembic import op

from reelhouse.persistence.text_search import title_vector_sql

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

_INDEX = "ix_items_search"
_MERGE = """
CREATE OR REPLACE FUNCTION reelhouse_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF jsonb_typeof(patch) IS DISTINCT FROM 'object' THEN
    RETURN patch;
  END IF;
  IF jsonb_typeof(target) IS DISTINCT FROM 'object' THEN
    target := '{}'::jsonb;
  END IF;
  RETURN (
    SELECT coalesce(jsonb_object_agg(key, CASE WHEN p.value IS NULL THEN t.value
                                              ELSE reelhouse_merge_patch(t.value, p.value) END), '{}'::jsonb)
    FROM jsonb_each(target) AS t FULL JOIN jsonb_each(patch) AS p USING (key)
    WHERE p.value IS NULL OR jsonb_typeof(p.value) <> 'null'
  );
END $$
"""
_PATCH = (
    "CREATE OR REPLACE FUNCTION json_patch(target text, patch text) RETURNS text LANGUAGE sql IMMUTABLE "
    "AS $$ SELECT reelhouse_merge_patch(target::jsonb, patch::jsonb)::text $$"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    inspector = sa.inspect(bind)
    if "search" not in {c["name"] for c in inspector.get_columns("items")}:
        op.execute(
            f"ALTER TABLE items ADD COLUMN search tsvector GENERATED ALWAYS AS ({title_vector_sql()}) STORED"
        )
    if _INDEX not in {i["name"] for i in inspector.get_indexes("items")}:
        op.execute(f"CREATE INDEX {_INDEX} ON items USING gin (search)")
    op.execute(_MERGE)
    op.execute(_PATCH)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS json_patch(text, text)")
    op.execute("DROP FUNCTION IF EXISTS reelhouse_merge_patch(jsonb, jsonb)")
    op.execute(f"DROP INDEX IF EXISTS {_INDEX}")
    op.execute("ALTER TABLE items DROP COLUMN IF EXISTS search")
