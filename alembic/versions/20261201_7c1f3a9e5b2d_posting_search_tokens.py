"""posting search tokens and full-text index

Adds `job_posting.search_tokens` (the core's search document: jobwatch's own tokens as ASCII words, see
`jobwatch.core.matching.search_document`), fills it for stored postings, and indexes it for the live preview:
SQLite gets an external-content FTS5 table kept in step by triggers; PostgreSQL a GIN index on
`to_tsvector('simple', search_tokens)` (`simple`: no stemming, no stop words, so "IT" stays a word).

Revision ID: 7c1f3a9e5b2d
Revises: 549a9df260be
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "7c1f3a9e5b2d"
down_revision: str | None = "549a9df260be"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    # detail=none: the preview asks only which postings hold which words, never where.
    "CREATE VIRTUAL TABLE job_posting_fts USING fts5("
    "search_tokens, content='job_posting', content_rowid='id', tokenize='ascii', detail='none')",
    "CREATE TRIGGER job_posting_fts_insert AFTER INSERT ON job_posting BEGIN "
    "INSERT INTO job_posting_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    "CREATE TRIGGER job_posting_fts_delete AFTER DELETE ON job_posting BEGIN "
    "INSERT INTO job_posting_fts(job_posting_fts, rowid, search_tokens) "
    "VALUES ('delete', old.id, old.search_tokens); END",
    "CREATE TRIGGER job_posting_fts_update AFTER UPDATE OF search_tokens ON job_posting BEGIN "
    "INSERT INTO job_posting_fts(job_posting_fts, rowid, search_tokens) "
    "VALUES ('delete', old.id, old.search_tokens); "
    "INSERT INTO job_posting_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    "INSERT INTO job_posting_fts(job_posting_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS job_posting_fts_update",
    "DROP TRIGGER IF EXISTS job_posting_fts_delete",
    "DROP TRIGGER IF EXISTS job_posting_fts_insert",
    "DROP TABLE IF EXISTS job_posting_fts",
]
POSTGRES_UP = [
    "CREATE INDEX ix_job_posting_search_tokens ON job_posting "
    "USING gin (to_tsvector('simple'::regconfig, search_tokens))",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_job_posting_search_tokens"]


def _backfill() -> None:
    # Postings stored before this revision get their document from today's core, in batches.
    from jobwatch.core.matching import prepare, search_document
    from jobwatch.core.postings import Location, Posting

    bind = op.get_bind()
    table = sa.table(
        "job_posting",
        sa.column("id", sa.Integer),
        sa.column("source", sa.String),
        sa.column("board", sa.String),
        sa.column("external_id", sa.String),
        sa.column("title", sa.String),
        sa.column("company", sa.String),
        sa.column("description_text", sa.String),
        sa.column("locations", sa.JSON),
        sa.column("workplace", sa.String),
        sa.column("department", sa.String),
        sa.column("team", sa.String),
        sa.column("employment_type", sa.String),
        sa.column("search_tokens", sa.String),
    )
    last = 0
    while True:
        rows = bind.execute(sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(500)).mappings().all()
        if not rows:
            return
        for row in rows:
            posting = Posting(
                source=row["source"],
                board=row["board"],
                external_id=row["external_id"],
                title=row["title"],
                company=row["company"],
                description_text=row["description_text"],
                locations=[Location(**location) for location in row["locations"] or []],
                workplace=row["workplace"],
                department=row["department"],
                team=row["team"],
                employment_type=row["employment_type"],
            )
            bind.execute(
                table.update().where(table.c.id == row["id"]).values(search_tokens=search_document(prepare(posting)))
            )
        last = rows[-1]["id"]


def upgrade() -> None:
    with op.batch_alter_table("job_posting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_tokens", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    _backfill()
    statements = {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(op.get_bind().dialect.name, [])
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(op.get_bind().dialect.name, [])
    for statement in statements:
        op.execute(statement)
    with op.batch_alter_table("job_posting", schema=None) as batch_op:
        batch_op.drop_column("search_tokens")
