"""posting search vector stored on PostgreSQL

The live preview and the postings search found candidates with the GIN index on the expression
`to_tsvector('simple', search_tokens)`. Whenever PostgreSQL's planner preferred a scan (a broad draft, a
`LIMIT`, stale statistics), it computed that expression for every row it read: about a millisecond per posting
of a few KB, so one draft could take seconds. This revision stores the vector in a generated column
`search_vector` and indexes the column instead, so no plan ever tokenizes at query time. SQLite keeps its FTS5
table (revision 7c1f3a9e5b2d) and gets nothing here.

Revision ID: b41c7e9d2f6a
Revises: 5e2a9c4d7b13
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b41c7e9d2f6a"
down_revision: str | None = "5e2a9c4d7b13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_UP = [
    # Filling the column rewrites the table once (to_tsvector of every stored posting).
    "ALTER TABLE job_posting ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_tokens)) STORED",
    "DROP INDEX IF EXISTS ix_job_posting_search_tokens",
    "CREATE INDEX ix_job_posting_search_vector ON job_posting USING gin (search_vector)",
    "ANALYZE job_posting",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_job_posting_search_vector",
    "ALTER TABLE job_posting DROP COLUMN IF EXISTS search_vector",
    "CREATE INDEX ix_job_posting_search_tokens ON job_posting "
    "USING gin (to_tsvector('simple'::regconfig, search_tokens))",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
