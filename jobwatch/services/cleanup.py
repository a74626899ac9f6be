"""Cleanup and retention (issues 7 and 9): what the hourly `cleanup_task` deletes, and what it keeps on purpose.

First, runs left behind by a worker that died (SIGKILL, a lost machine) are closed: a scrape run still `running`
and a task run still `started` an hour after they started are marked `failed` ("abandoned"), so they show
among the failures instead of looking busy forever (their work is redone by the next run or slot).

Deleted, each kind in its own short transaction and at most `CHUNK` rows per statement:
- login sessions that expired, or were revoked more than a day ago (a deleted session reads as logged out,
  exactly like a revoked one);
- single-use account tokens (verify, reset, email change) a week after they expired, so a late click still
  says "expired" for a while rather than "unknown";
- scrape runs and task runs older than `RETENTION_RUNS_DAYS` (a board's latest state lives on the board row;
  a scrape run still `running` and a task run still `queued` or `started` are kept whatever their age);
- emails of the local outbox older than `RETENTION_OUTBOX_DAYS`;
- postings closed more than `RETENTION_CLOSED_POSTINGS_DAYS` ago (at least 31: past the 30-day repost window,
  so repost detection still sees them), with what cascades from them: alert matches, inbox notifications and
  plain interactions (viewed, hidden) of those postings.

Kept: a closed posting that anyone saved or applied to (it is part of that user's own record, shown on their
saved and applied lists) is never deleted by age; open postings are never deleted; digests and mail batches
are the delivery history and are kept; users, alerts and boards are only deleted by their owners.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from jobwatch.config import get_settings
from jobwatch.db import session_scope
from jobwatch.models import (
    AuthToken,
    JobPosting,
    OutboxMessage,
    ScrapeRun,
    TaskRun,
    UserJobInteraction,
    UserSession,
    utcnow,
)

log = logging.getLogger(__name__)

#: Rows deleted per statement (and transaction), so a first cleanup of a large backlog never holds long locks.
CHUNK = 2000
#: Revoked sessions are kept this long (for "signed out elsewhere" messages), expired tokens this long.
REVOKED_SESSION_GRACE = timedelta(days=1)
EXPIRED_TOKEN_GRACE = timedelta(days=7)


#: A scrape run still `running` or a task run still `started` this long after it started is abandoned.
ABANDONED_AFTER = timedelta(hours=1)
ABANDONED = "abandoned: the worker running it stopped before it ended"


@dataclass(slots=True)
class CleanupSummary:
    """Rows closed as abandoned (`abandoned_*`) and rows deleted per kind by one cleanup pass."""

    abandoned_scrape_runs: int = 0
    abandoned_task_runs: int = 0
    sessions: int = 0
    tokens: int = 0
    scrape_runs: int = 0
    task_runs: int = 0
    outbox: int = 0
    postings: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts as a dict (the task's result)."""
        return asdict(self)


def _delete_chunks(engine: Engine | None, model: type, where: list[Any]) -> int:
    """Delete rows of `model` matching `where` by id, `CHUNK` at a time; returns how many were deleted."""
    total = 0
    id_col = col(model.id)  # type: ignore[attr-defined]
    while True:
        with session_scope(engine) as session:
            ids = list(session.exec(select(id_col).where(*where).order_by(id_col).limit(CHUNK)).all())
            if not ids:
                return total
            result = session.exec(delete(model).where(id_col.in_(ids)))
            total += int(result.rowcount or 0)
        if len(ids) < CHUNK:
            return total


def run_cleanup(*, engine: Engine | None = None, now: datetime | None = None) -> CleanupSummary:
    """Delete what the retention settings say is old (see the module docstring); returns the counts.

    Idempotent: a second pass at the same `now` deletes nothing; a pass cut short deletes the rest next time.
    """
    settings = get_settings()
    now = now or utcnow()
    summary = CleanupSummary()
    stale = now - ABANDONED_AFTER
    with session_scope(engine) as session:
        summary.abandoned_scrape_runs = int(
            session.exec(
                update(ScrapeRun)
                .where(col(ScrapeRun.status) == "running", col(ScrapeRun.started_at) < stale)
                .values(status="failed", finished_at=now, error=ABANDONED)
            ).rowcount
            or 0
        )
        summary.abandoned_task_runs = int(
            session.exec(
                update(TaskRun)
                .where(col(TaskRun.state) == "started", col(TaskRun.started_at) < stale)
                .values(state="failed", finished_at=now, error=ABANDONED)
            ).rowcount
            or 0
        )
    summary.sessions = _delete_chunks(
        engine,
        UserSession,
        [
            or_(
                col(UserSession.expires_at) < now,
                col(UserSession.revoked_at) < now - REVOKED_SESSION_GRACE,
            )
        ],
    )
    summary.tokens = _delete_chunks(engine, AuthToken, [col(AuthToken.expires_at) < now - EXPIRED_TOKEN_GRACE])
    runs_before = now - timedelta(days=settings.retention_runs_days)
    summary.scrape_runs = _delete_chunks(
        engine, ScrapeRun, [col(ScrapeRun.started_at) < runs_before, col(ScrapeRun.status) != "running"]
    )
    summary.task_runs = _delete_chunks(
        engine, TaskRun, [col(TaskRun.queued_at) < runs_before, col(TaskRun.state).in_(("finished", "failed"))]
    )
    summary.outbox = _delete_chunks(
        engine, OutboxMessage, [col(OutboxMessage.created_at) < now - timedelta(days=settings.retention_outbox_days)]
    )
    kept = (
        select(UserJobInteraction.posting_id)
        .where(or_(col(UserJobInteraction.saved_at).is_not(None), col(UserJobInteraction.applied_at).is_not(None)))
        .scalar_subquery()
    )
    summary.postings = _delete_chunks(
        engine,
        JobPosting,
        [
            col(JobPosting.closed_at).is_not(None),
            col(JobPosting.closed_at) < now - timedelta(days=settings.retention_closed_postings_days),
            col(JobPosting.id).not_in(kept),
        ],
    )
    if any(summary.as_dict().values()):
        log.info("cleanup deleted %s", summary.as_dict())
    return summary


__all__ = ["CHUNK", "CleanupSummary", "run_cleanup"]
