"""Database tables (plain SQLModel, `table=True`). Alembic owns the schema: `alembic/versions/`.

Datetimes are stored as UTC and always come back timezone-aware (`UTCDateTime`), on SQLite as on
PostgreSQL. Every child row cascades with its parent (`ondelete="CASCADE"`), so deleting a user or a board
removes everything that hangs off it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime column that stores UTC and returns aware UTC datetimes on every database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC text so that string comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _ts(*, nullable: bool = True, index: bool = False, default_now: bool = False) -> Any:
    kwargs: dict[str, Any] = {"sa_type": UTCDateTime, "nullable": nullable, "index": index}
    if default_now:
        kwargs["default_factory"] = utcnow
    else:
        kwargs["default"] = None
    return Field(**kwargs)


# --- boards and postings -------------------------------------------------------------------------------


class Company(SQLModel, table=True):
    """An employer, shared by its boards (one company may hire through several ATSs)."""

    __tablename__ = "company"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=200, unique=True, index=True)
    created_at: datetime = _ts(nullable=False, default_now=True)


class Board(SQLModel, table=True):
    """A watched job board: one ATS (`ats`, a CONTRACT source name) and its board token.

    `key` is the CONTRACT section 4 form (`greenhouse:stripe`). `baseline_at` is set by the first complete,
    successful scrape: postings seen in that scrape are the baseline and are never announced.
    """

    __tablename__ = "board"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=600, unique=True, index=True)
    ats: str = Field(max_length=40, index=True)
    token: str = Field(max_length=560)
    company_id: int | None = Field(default=None, foreign_key="company.id", ondelete="SET NULL", index=True)
    name: str | None = Field(default=None, max_length=200)
    scrape_interval_minutes: int = Field(default=60)
    is_active: bool = Field(default=True)
    next_scrape_at: datetime | None = _ts(index=True)
    last_run_at: datetime | None = _ts()
    last_run_status: str | None = Field(default=None, max_length=20)
    last_error: str | None = Field(default=None)
    last_success_at: datetime | None = _ts()
    baseline_at: datetime | None = _ts()
    consecutive_failures: int = Field(default=0)
    created_at: datetime = _ts(nullable=False, default_now=True)
    #: Who asked to watch the board (null: an operator from the command line, or a deleted account); with
    #: `created_at` it counts against that user's daily limit (`BOARDS_PER_USER_PER_DAY`).
    added_by_user_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True)


class JobPosting(SQLModel, table=True):
    """One posting of one board: every field of CONTRACT section 2, plus what ingest tracks.

    `first_seen_at`/`last_seen_at` are set by scrapes; `closed_at` when a complete, successful scrape no
    longer lists it (cleared if it comes back); `content_hash` is `Posting.content_hash()`; `is_baseline`
    marks postings found by a board's first scrape; `matched_at` is set once matching has handled it.
    """

    __tablename__ = "job_posting"
    __table_args__ = (
        sa.UniqueConstraint("source", "board", "external_id", name="uq_job_posting_source_board_external"),
        sa.Index("ix_job_posting_open_first_seen", "closed_at", "first_seen_at"),
        sa.Index("ix_job_posting_unmatched", "matched_at", "is_baseline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE", index=True)
    source: str = Field(max_length=40)
    board: str | None = Field(default=None, max_length=560)
    external_id: str = Field(max_length=500)
    title: str = Field(max_length=1000)
    company: str | None = Field(default=None, max_length=300, index=True)
    url: str | None = Field(default=None)
    description_html: str | None = Field(default=None)
    description_text: str | None = Field(default=None)
    locations: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    workplace: str | None = Field(default=None, max_length=20, index=True)
    department: str | None = Field(default=None, max_length=300)
    team: str | None = Field(default=None, max_length=300)
    employment_type: str | None = Field(default=None, max_length=20, index=True)
    salary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    posted_at: datetime | None = _ts(index=True)
    updated_at: datetime | None = _ts()
    first_seen_at: datetime = _ts(nullable=False, default_now=True)
    last_seen_at: datetime = _ts(nullable=False, default_now=True)
    closed_at: datetime | None = _ts()
    content_hash: str = Field(max_length=64)
    is_baseline: bool = Field(default=False)
    matched_at: datetime | None = _ts()
    #: The core's search document of the posting (`jobwatch.core.matching.search_document`): its tokens
    #: and other matching terms as ASCII words, indexed by the database's full-text index for the preview.
    search_tokens: str | None = Field(default=None)
    #: The closed posting this one reposts: a new external id with the same company, title and locations
    #: within 30 days of the old one's close (`storage.ingest_postings`). A repost is never announced.
    repost_of_id: int | None = Field(default=None, foreign_key="job_posting.id", ondelete="SET NULL", index=True)


class ScrapeRun(SQLModel, table=True):
    """One scrape of one board: `status` is `running`, `ok`, `partial` or `failed`, with counts and error."""

    __tablename__ = "scrape_run"
    __table_args__ = (sa.Index("ix_scrape_run_board_started", "board_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE")
    started_at: datetime = _ts(nullable=False, default_now=True)
    finished_at: datetime | None = _ts()
    status: str = Field(default="running", max_length=20, index=True)
    new_count: int = Field(default=0)
    updated_count: int = Field(default=0)
    closed_count: int = Field(default=0)
    reopened_count: int = Field(default=0)
    unchanged_count: int = Field(default=0)
    error: str | None = Field(default=None)


# --- users and their alerts ----------------------------------------------------------------------------


class User(SQLModel, table=True):
    """An account. `email` is stored normalized (trimmed, lower-cased); `password_hash` is argon2 (passlib).

    `timezone` is an IANA name; `digest_hour` (0-23) and `weekly_day` (0 = Monday) place daily and weekly
    digests in the user's local time.
    """

    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    password_hash: str = Field(max_length=500)
    display_name: str | None = Field(default=None, max_length=100)
    timezone: str = Field(default="UTC", max_length=64)
    digest_hour: int = Field(default=8)
    weekly_day: int = Field(default=0)
    is_admin: bool = Field(default=False)
    email_verified_at: datetime | None = _ts()
    notifications_paused_until: datetime | None = _ts()
    email_suppressed_at: datetime | None = _ts()
    created_at: datetime = _ts(nullable=False, default_now=True)
    #: Why `email_suppressed_at` is set: the mail service's bounce or complaint message (shown to the user).
    email_suppression_reason: str | None = Field(default=None, max_length=500)


class UserSession(SQLModel, table=True):
    """A server-side login session. Only the SHA-256 of the random token is stored (`token_hash`)."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = _ts(nullable=False, default_now=True)
    expires_at: datetime = _ts(nullable=False)
    revoked_at: datetime | None = _ts()
    last_seen_at: datetime | None = _ts()


class AuthToken(SQLModel, table=True):
    """A single-use token for email verification or password reset; only its SHA-256 is stored.

    `email` is the address the token was mailed to: verifying proves that address (for an email change, the
    new one), so a token never confirms an address it was not sent to.
    """

    __tablename__ = "auth_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    purpose: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = _ts(nullable=False, default_now=True)
    expires_at: datetime = _ts(nullable=False)
    used_at: datetime | None = _ts()
    email: str | None = Field(default=None, max_length=320)


class JobAlert(SQLModel, table=True):
    """A saved search: `filters` is CONTRACT section 3 JSON (validated before it is stored).

    `frequency` is `instant`, `daily` or `weekly`; `channels` a list of `inbox` and `email`.
    `last_notified_at` is when a digest last told the user of this alert's matches.
    """

    __tablename__ = "job_alert"
    __table_args__ = (sa.Index("ix_job_alert_active", "is_active", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=100)
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    frequency: str = Field(default="daily", max_length=10)
    channels: list[str] = Field(default_factory=lambda: ["inbox", "email"], sa_column=Column(JSON, nullable=False))
    is_active: bool = Field(default=True)
    created_at: datetime = _ts(nullable=False, default_now=True)
    updated_at: datetime = _ts(nullable=False, default_now=True)
    last_notified_at: datetime | None = _ts()
    #: Up to when this alert's email digests are settled: the last digest slot handled, sent or empty.
    digest_cursor_at: datetime | None = _ts()


class AlertMatch(SQLModel, table=True):
    """That one alert matched one posting (once: unique on alert and posting)."""

    __tablename__ = "alert_match"
    __table_args__ = (sa.UniqueConstraint("alert_id", "posting_id", name="uq_alert_match_alert_posting"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="job_alert.id", ondelete="CASCADE", index=True)
    posting_id: int = Field(foreign_key="job_posting.id", ondelete="CASCADE", index=True)
    matched_at: datetime = _ts(nullable=False, default_now=True)


class Notification(SQLModel, table=True):
    """One inbox item per user and posting, however many of the user's alerts matched (field case B18).

    `alert_ids` lists the matching alerts; `email_status` is `pending`, `sent`, `skipped` or `failed`.
    """

    __tablename__ = "notification"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "posting_id", name="uq_notification_user_posting"),
        sa.Index("ix_notification_inbox", "user_id", "read_at", "created_at"),
        sa.Index("ix_notification_email", "email_status", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    posting_id: int = Field(foreign_key="job_posting.id", ondelete="CASCADE", index=True)
    alert_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts(nullable=False, default_now=True)
    read_at: datetime | None = _ts()
    email_status: str = Field(default="pending", max_length=10)
    digest_id: int | None = Field(default=None, foreign_key="digest.id", ondelete="SET NULL", index=True)


class UserJobInteraction(SQLModel, table=True):
    """What a user did with a posting: saved, applied, hidden, viewed (each a time or null)."""

    __tablename__ = "user_job_interaction"
    __table_args__ = (sa.UniqueConstraint("user_id", "posting_id", name="uq_interaction_user_posting"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    posting_id: int = Field(foreign_key="job_posting.id", ondelete="CASCADE", index=True)
    saved_at: datetime | None = _ts()
    applied_at: datetime | None = _ts()
    hidden_at: datetime | None = _ts()
    viewed_at: datetime | None = _ts()


# --- mail ----------------------------------------------------------------------------------------------


class Digest(SQLModel, table=True):
    """One digest email to one user: what it covers and whether it went out.

    `status` is `pending` (built, not yet accepted by the mail service), `sent` or `failed`.
    """

    __tablename__ = "digest"
    __table_args__ = (sa.Index("ix_digest_user_created", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    to_email: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    alert_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    posting_count: int = Field(default=0)
    #: The rendered message, kept so that a retry sends exactly the same payload.
    html: str = Field(default="")
    text: str = Field(default="")
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=10, index=True)
    attempts: int = Field(default=0)
    provider_message_id: str | None = Field(default=None, max_length=200)
    error: str | None = Field(default=None)
    created_at: datetime = _ts(nullable=False, default_now=True)
    sent_at: datetime | None = _ts()
    #: The batch call that carries this digest (`MailBatch`); set once, before the first attempt.
    batch_id: int | None = Field(default=None, foreign_key="mail_batch.id", ondelete="SET NULL", index=True)


class OutboxMessage(SQLModel, table=True):
    """An email written to the local outbox (the default mail backend when `RESEND_API_KEY` is unset)."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    to_email: str = Field(max_length=320, index=True)
    from_email: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    html: str
    text: str
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    kind: str = Field(default="digest", max_length=20)
    created_at: datetime = _ts(nullable=False, default_now=True, index=True)


# --- throttling ----------------------------------------------------------------------------------------


class ThrottleHit(SQLModel, table=True):
    """One counted attempt under a throttle rule (`jobwatch.services.throttle`), used when `REDIS_URL` is unset.

    `rule` names the limit (`login-account`, `login-address`, ...); `key_hash` is an HMAC-SHA256 of what the
    rule counts per (an email, a client address), so the table holds no addresses. Rows older than the
    rule's window no longer count and are deleted as new hits arrive.
    """

    __tablename__ = "throttle_hit"
    __table_args__ = (sa.Index("ix_throttle_hit_rule_key_created", "rule", "key_hash", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=40)
    key_hash: str = Field(max_length=64)
    created_at: datetime = _ts(nullable=False, default_now=True, index=True)


# --- mail delivery -------------------------------------------------------------------------------------


class MailBatch(SQLModel, table=True):
    """One batch call to the mail service: its members (`Digest.batch_id`, in digest id order) are stored first.

    `idempotency_key` is fixed at creation (`jobwatch-batch-<id>-<random>`), so every attempt, even after a
    crash, carries the same key with the same payload. `status` is `pending`, `sent` (a 2xx answer; each
    member digest then says whether it was accepted) or `failed` (refused as a whole, or abandoned).
    `in_doubt_since` is set when an attempt may have reached the service without an answer (a timeout, a 5xx,
    a crash): past the service's idempotency window such a batch is not sent again (see `services.digests`).
    """

    __tablename__ = "mail_batch"
    __table_args__ = (sa.Index("ix_mail_batch_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=100, unique=True)
    from_email: str = Field(max_length=320)
    status: str = Field(default="pending", max_length=10)
    size: int = Field(default=0)
    attempts: int = Field(default=0)
    created_at: datetime = _ts(nullable=False, default_now=True)
    last_attempt_at: datetime | None = _ts()
    next_attempt_at: datetime | None = _ts()
    in_doubt_since: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    error: str | None = Field(default=None)


class MailEvent(SQLModel, table=True):
    """A mail service webhook event that was acted on (bounce, complaint), once per event id (`svix-id`)."""

    __tablename__ = "mail_event"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=200, unique=True)
    type: str = Field(max_length=40, index=True)
    to_email: str | None = Field(default=None, max_length=320, index=True)
    provider_message_id: str | None = Field(default=None, max_length=200)
    detail: str | None = Field(default=None)
    received_at: datetime = _ts(nullable=False, default_now=True, index=True)


class RateLimitSlot(SQLModel, table=True):
    """The next free moment (Unix seconds) of one shared pace, when `REDIS_URL` is unset (`services.ratelimit`)."""

    __tablename__ = "rate_limit_slot"

    key: str = Field(max_length=100, primary_key=True)
    next_at: float = Field(default=0.0)


# --- background work -----------------------------------------------------------------------------------


class TaskRun(SQLModel, table=True):
    """One run of one Huey task (`jobwatch.services.taskruns`): from enqueue to its end, retries included.

    `task` is the task's name (`scrape_board_task`); `slot` is set for runs the periodic scheduler enqueued
    (the schedule slot, `2026-11-30T14:05Z` for a crontab minute) and is unique per task, so a slot is
    enqueued and run once across every consumer, and again not after a crash. `huey_id` is Huey's task id (a
    retry keeps it). `state` is `queued`, `started`, `finished` or `failed`; `attempts` counts starts;
    `duration_seconds` is the last attempt's run time; `consumer` names who ran it (`host:pid/Worker-1`) and
    `queued_by` who enqueued it; `detail` is a short summary of the result (`{"new": 3}`) or why it was skipped.
    """

    __tablename__ = "task_run"
    __table_args__ = (
        sa.UniqueConstraint("task", "slot", name="uq_task_run_task_slot"),
        sa.Index("ix_task_run_task_queued", "task", "queued_at"),
        sa.Index("ix_task_run_state_queued", "state", "queued_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task: str = Field(max_length=100)
    slot: str | None = Field(default=None, max_length=40)
    huey_id: str = Field(max_length=64, unique=True)
    state: str = Field(default="queued", max_length=10)
    args: str | None = Field(default=None, max_length=200)
    attempts: int = Field(default=0)
    queued_at: datetime = _ts(nullable=False, default_now=True)
    started_at: datetime | None = _ts()
    finished_at: datetime | None = _ts()
    duration_seconds: float | None = Field(default=None)
    error: str | None = Field(default=None)
    detail: str | None = Field(default=None, max_length=500)
    consumer: str | None = Field(default=None, max_length=200)
    queued_by: str | None = Field(default=None, max_length=200)


ALL_TABLES = (
    Company,
    Board,
    JobPosting,
    ScrapeRun,
    User,
    UserSession,
    AuthToken,
    JobAlert,
    AlertMatch,
    Notification,
    UserJobInteraction,
    Digest,
    OutboxMessage,
    MailBatch,
    MailEvent,
    RateLimitSlot,
    ThrottleHit,
    TaskRun,
)
