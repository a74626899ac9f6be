"""mail batches, mail events, shared rate-limit slots

Adds `mail_batch` (one batch call to the mail service: its idempotency key and state, with members stored in
`digest.batch_id` before the first attempt), `mail_event` (bounce and complaint webhooks acted on, once per
event id), `rate_limit_slot` (the shared pace of mail calls when `REDIS_URL` is unset) and
`user_account.email_suppression_reason` (why an address is suppressed, shown to its owner).

Revision ID: 3b8e61f0c2a4
Revises: 9dd817438a0b
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import jobwatch.models

revision: str = "3b8e61f0c2a4"
down_revision: str | None = "9dd817438a0b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTCDateTime = jobwatch.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "mail_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", AutoString(length=100), nullable=False),
        sa.Column("from_email", AutoString(length=320), nullable=False),
        sa.Column("status", AutoString(length=10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("in_doubt_since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("mail_batch", schema=None) as batch_op:
        batch_op.create_index("ix_mail_batch_status_next", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "mail_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", AutoString(length=200), nullable=False),
        sa.Column("type", AutoString(length=40), nullable=False),
        sa.Column("to_email", AutoString(length=320), nullable=True),
        sa.Column("provider_message_id", AutoString(length=200), nullable=True),
        sa.Column("detail", AutoString(), nullable=True),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("mail_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_event_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_event_to_email"), ["to_email"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_event_type"), ["type"], unique=False)

    op.create_table(
        "rate_limit_slot",
        sa.Column("key", AutoString(length=100), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )

    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_digest_batch_id"), ["batch_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_digest_batch_id_mail_batch", "mail_batch", ["batch_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_suppression_reason", AutoString(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("email_suppression_reason")

    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.drop_constraint("fk_digest_batch_id_mail_batch", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_digest_batch_id"))
        batch_op.drop_column("batch_id")

    op.drop_table("rate_limit_slot")
    with op.batch_alter_table("mail_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_event_type"))
        batch_op.drop_index(batch_op.f("ix_mail_event_to_email"))
        batch_op.drop_index(batch_op.f("ix_mail_event_received_at"))
    op.drop_table("mail_event")
    with op.batch_alter_table("mail_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_batch_status_next")
    op.drop_table("mail_batch")
