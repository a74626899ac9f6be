"""Read-only views for the operators' page (`/admin`) and `jobwatch status`: board health, recent scrape runs,
users, the outbox, the task queue and the task runs (`services.taskruns`).

Every function reads; none checks who asks. The UI calls them only after `AuthState._require_user()` found
an admin (and removes boards through `services.boards.remove_board` after `require_admin`). The summaries hold
no password hashes or tokens, so a page state may turn them into view rows.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from jobwatch.models import Board, Company, JobAlert, JobPosting, OutboxMessage, ScrapeRun, User
from jobwatch.services import boards as boards_service
from jobwatch.services import taskruns
from jobwatch.services.outbox import OutboxItem, list_outbox

log = logging.getLogger(__name__)

#: Run statuses that count as a failure on the operators' page (a partial read missed part of the board).
FAILED_STATUSES = ("failed", "partial")


@dataclass(frozen=True, slots=True)
class BoardHealth:
    """One watched board as operators see it: key, company, health (`services.boards.HEALTH_STATES`), its last
    run (status, time, error), failures in a row and open postings."""

    id: int
    key: str
    company: str | None
    health: str
    last_run_status: str | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    open_postings: int
    is_active: bool


def board_health(*, session: Session) -> list[BoardHealth]:
    """Every board with its health, by key."""
    counts = dict(
        session.exec(
            select(JobPosting.board_id, func.count())
            .where(col(JobPosting.closed_at).is_(None))
            .group_by(col(JobPosting.board_id))
        ).all()
    )
    rows = session.exec(select(Board, Company.name).join(Company, isouter=True).order_by(col(Board.key))).all()
    return [
        BoardHealth(
            id=board.id or 0,
            key=board.key,
            company=company_name,
            health=boards_service.board_health(last_run_status=board.last_run_status, last_error=board.last_error),
            last_run_status=board.last_run_status,
            last_run_at=board.last_run_at,
            last_success_at=board.last_success_at,
            last_error=board.last_error,
            consecutive_failures=board.consecutive_failures,
            open_postings=int(counts.get(board.id or 0, 0)),
            is_active=board.is_active,
        )
        for board, company_name in rows
    ]


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One scrape run: its board, when it started and finished, its status (`running`, `ok`, `partial`,
    `failed`), the counts it stored and its error."""

    id: int
    board_id: int
    board_key: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    new_count: int
    updated_count: int
    closed_count: int
    reopened_count: int
    unchanged_count: int
    error: str | None


def recent_runs(*, session: Session, limit: int = 50, failed_only: bool = False) -> list[RunSummary]:
    """The newest scrape runs of every board, at most `limit` (1-500); with `failed_only`, only runs whose
    status is in `FAILED_STATUSES`."""
    query = select(ScrapeRun, Board.key).join(Board, col(Board.id) == col(ScrapeRun.board_id))
    if failed_only:
        query = query.where(col(ScrapeRun.status).in_(FAILED_STATUSES))
    query = query.order_by(col(ScrapeRun.started_at).desc(), col(ScrapeRun.id).desc()).limit(max(1, min(limit, 500)))
    return [
        RunSummary(
            id=run.id or 0,
            board_id=run.board_id,
            board_key=key,
            started_at=run.started_at,
            finished_at=run.finished_at,
            status=run.status,
            new_count=run.new_count,
            updated_count=run.updated_count,
            closed_count=run.closed_count,
            reopened_count=run.reopened_count,
            unchanged_count=run.unchanged_count,
            error=run.error,
        )
        for run, key in session.exec(query).all()
    ]


@dataclass(frozen=True, slots=True)
class UserOverview:
    """One account as operators see it: email, when it was made, whether the address is verified or
    suppressed, whether it is an admin, and how many alerts it has (active or paused)."""

    id: int
    email: str
    created_at: datetime
    verified: bool
    is_admin: bool
    suppressed: bool
    alerts: int


def users_overview(*, session: Session, limit: int = 200) -> list[UserOverview]:
    """The newest accounts, at most `limit` (1-1000), with their alert counts."""
    counts = dict(session.exec(select(JobAlert.user_id, func.count()).group_by(col(JobAlert.user_id))).all())
    users = session.exec(
        select(User).order_by(col(User.created_at).desc(), col(User.id).desc()).limit(max(1, min(limit, 1000)))
    ).all()
    return [
        UserOverview(
            id=u.id or 0,
            email=u.email,
            created_at=u.created_at,
            verified=u.email_verified_at is not None,
            is_admin=u.is_admin,
            suppressed=u.email_suppressed_at is not None,
            alerts=int(counts.get(u.id or 0, 0)),
        )
        for u in users
    ]


def outbox_overview(*, session: Session, limit: int = 50) -> list[OutboxItem]:
    """The newest emails of the local outbox to every recipient, at most `limit` (≤ 200)."""
    return list_outbox(session=session, to_email=None, limit=limit)


def outbox_message(*, session: Session, message_id: int) -> OutboxItem | None:
    """One email of the local outbox by id (any recipient), or None."""
    row = session.get(OutboxMessage, message_id)
    if row is None:
        return None
    return OutboxItem(
        id=row.id or 0,
        to_email=row.to_email,
        subject=row.subject,
        created_at=row.created_at,
        html=row.html,
        text=row.text,
    )


def queue_length() -> int | None:
    """How many tasks wait in the task queue (`workers.huey_app.huey.pending_count()`), or None when the queue
    cannot be read (the module is missing or its storage does not answer; the cause is logged).

    The queue module is imported here, not at the top, so the web app starts without it.
    """
    try:
        huey_app = importlib.import_module("workers.huey_app")
        return int(huey_app.huey.pending_count())
    except Exception:
        log.exception("admin: could not read the task queue length")
        return None


@dataclass(frozen=True, slots=True)
class TaskOverview:
    """The background work at a glance: tasks waiting in the queue (None: unreadable) and scheduled for later
    (retries, None: unreadable), recorded runs per state, the newest run of every task, the newest failures."""

    queue_length: int | None
    scheduled: int | None
    states: dict[str, int]
    last_runs: list[taskruns.TaskRunView]
    failures: list[taskruns.TaskRunView]


def scheduled_count() -> int | None:
    """How many tasks wait for a later time (retries with backoff), or None when the queue cannot be read."""
    try:
        huey_app = importlib.import_module("workers.huey_app")
        return int(huey_app.huey.scheduled_count())
    except Exception:
        log.exception("admin: could not read the task schedule")
        return None


def task_overview(*, session: Session, failures: int = 20) -> TaskOverview:
    """The queue length and the recorded task runs (see `TaskOverview`); at most `failures` failures."""
    return TaskOverview(
        queue_length=queue_length(),
        scheduled=scheduled_count(),
        states=taskruns.state_counts(session=session),
        last_runs=taskruns.last_runs(session=session),
        failures=taskruns.recent_failures(session=session, limit=failures),
    )
