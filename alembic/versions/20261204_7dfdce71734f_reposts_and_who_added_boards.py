"""reposts and who added each board

Adds `job_posting.repost_of_id` (the closed posting a new one reposts: same company, title and locations within
30 days, see `jobwatch.storage.ingest_postings`; a repost is never announced) and `board.added_by_user_id`
(who asked to watch the board, counted against `BOARDS_PER_USER_PER_DAY`). Both are nullable foreign keys
that become null when the row they point at is deleted.

On SQLite, batch mode recreates the tables (a plain `ALTER TABLE ... ADD COLUMN ... REFERENCES` would do
without, but SQLite then forgets `ON DELETE SET NULL` when the schema is read back, so autogenerate would
never agree with the models); recreating `job_posting` drops the full-text triggers of revision
7c1f3a9e5b2d, so they are recreated right after, in upgrade and downgrade alike.

Revision ID: 7dfdce71734f
Revises: 3b8e61f0c2a4
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "7dfdce71734f"
down_revision: str | None = "3b8e61f0c2a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column, referred table, foreign key name)
COLUMNS = [
    ("job_posting", "repost_of_id", "job_posting", "fk_job_posting_repost_of_id_job_posting"),
    ("board", "added_by_user_id", "user_account", "fk_board_added_by_user_id_user_account"),
]

# The full-text triggers of revision 7c1f3a9e5b2d, restored after the SQLite downgrade recreates the table.
SQLITE_FTS_TRIGGERS = [
    "CREATE TRIGGER job_posting_fts_insert AFTER INSERT ON job_posting BEGIN "
    "INSERT INTO job_posting_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    "CREATE TRIGGER job_posting_fts_delete AFTER DELETE ON job_posting BEGIN "
    "INSERT INTO job_posting_fts(job_posting_fts, rowid, search_tokens) "
    "VALUES ('delete', old.id, old.search_tokens); END",
    "CREATE TRIGGER job_posting_fts_update AFTER UPDATE OF search_tokens ON job_posting BEGIN "
    "INSERT INTO job_posting_fts(job_posting_fts, rowid, search_tokens) "
    "VALUES ('delete', old.id, old.search_tokens); "
    "INSERT INTO job_posting_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
]
SQLITE_FTS_TRIGGER_NAMES = ["job_posting_fts_update", "job_posting_fts_delete", "job_posting_fts_insert"]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    for table, column, referred, fk_name in COLUMNS:
        if _sqlite():
            _sqlite_rebuild(
                table,
                lambda batch_op, column=column, referred=referred, fk_name=fk_name: (
                    batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True)),
                    batch_op.create_foreign_key(fk_name, referred, [column], ["id"], ondelete="SET NULL"),
                ),
            )
        else:
            op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(fk_name, table, referred, [column], ["id"], ondelete="SET NULL")
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def downgrade() -> None:
    for table, column, _referred, fk_name in reversed(COLUMNS):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        if _sqlite():
            _sqlite_rebuild(table, lambda batch_op, column=column: batch_op.drop_column(column))
        else:
            op.drop_constraint(fk_name, table, type_="foreignkey")
            op.drop_column(table, column)


def _sqlite_rebuild(table: str, change: Callable[[Any], object]) -> None:
    """Apply `change` to `table` in batch mode (SQLite rebuilds the table), keeping `job_posting`'s FTS triggers.

    The rebuild copies every row with its id into a new table and drops the old one, whose triggers go with
    it; the full-text table's content (keyed by those ids) stays valid, so only the triggers are recreated.
    """
    if table == "job_posting":
        for name in SQLITE_FTS_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table(table, schema=None) as batch_op:
        change(batch_op)
    if table == "job_posting":
        for statement in SQLITE_FTS_TRIGGERS:
            op.execute(statement)
