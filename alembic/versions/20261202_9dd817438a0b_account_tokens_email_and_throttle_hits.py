"""account tokens: the address each was sent to; throttle hits

Adds `auth_token.email` (the address a verification or reset link was mailed to, so that an email change is
confirmed only by the new address) and the `throttle_hit` table, where login and account-mail throttling
counts attempts when `REDIS_URL` is not set (`jobwatch.services.throttle`).

Revision ID: 9dd817438a0b
Revises: 7c1f3a9e5b2d
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import jobwatch.models

revision: str = "9dd817438a0b"
down_revision: str | None = "7c1f3a9e5b2d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "throttle_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", jobwatch.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("throttle_hit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_throttle_hit_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_throttle_hit_rule_key_created", ["rule", "key_hash", "created_at"], unique=False)

    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.drop_column("email")

    with op.batch_alter_table("throttle_hit", schema=None) as batch_op:
        batch_op.drop_index("ix_throttle_hit_rule_key_created")
        batch_op.drop_index(batch_op.f("ix_throttle_hit_created_at"))

    op.drop_table("throttle_hit")
