"""task runs

Adds `task_run`: one row per run of a Huey task, from enqueue to its end (`jobwatch.services.taskruns`). The
periodic scheduler stores its row before it enqueues, and `(task, slot)` is unique, so a schedule slot is
enqueued once across every consumer (field case B20); `huey_id` is unique, so a task's retries and a re-queue
after an interrupted shutdown update one row.

Revision ID: 5e2a9c4d7b13
Revises: 7dfdce71734f
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import jobwatch.models

revision: str = "5e2a9c4d7b13"
down_revision: str | None = "7dfdce71734f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTCDateTime = jobwatch.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "task_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task", AutoString(length=100), nullable=False),
        sa.Column("slot", AutoString(length=40), nullable=True),
        sa.Column("huey_id", AutoString(length=64), nullable=False),
        sa.Column("state", AutoString(length=10), nullable=False),
        sa.Column("args", AutoString(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("queued_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("error", AutoString(), nullable=True),
        sa.Column("detail", AutoString(length=500), nullable=True),
        sa.Column("consumer", AutoString(length=200), nullable=True),
        sa.Column("queued_by", AutoString(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("huey_id"),
        sa.UniqueConstraint("task", "slot", name="uq_task_run_task_slot"),
    )
    with op.batch_alter_table("task_run", schema=None) as batch_op:
        batch_op.create_index("ix_task_run_state_queued", ["state", "queued_at"], unique=False)
        batch_op.create_index("ix_task_run_task_queued", ["task", "queued_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_run", schema=None) as batch_op:
        batch_op.drop_index("ix_task_run_task_queued")
        batch_op.drop_index("ix_task_run_state_queued")
    op.drop_table("task_run")
