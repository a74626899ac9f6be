"""Task runs: one `TaskRun` row per Huey task run, from enqueue to its end (issue 7, field cases B20, B22).

How a row moves:
- `record_queued` when a task is enqueued (Huey's `SIGNAL_ENQUEUED`, in whichever process enqueues). The
  periodic scheduler calls it *before* enqueueing, with the schedule slot: `(task, slot)` is unique, so a slot
  that is already recorded is not enqueued again, by a second scheduler by mistake or after a restart.
- `claim_start` just before the task runs (a Huey pre-execute hook): `queued` → `started` for exactly one
  consumer. A run whose row is already `started`, `finished` or `failed` is not run again (the hook cancels
  it), so a duplicate delivery changes nothing.
- `record_end` after it ran (post-execute hook): `finished` with a short summary of its result, or `failed`
  with the error; a failure that Huey will retry goes back to `queued` with the error kept.
- `record_requeued` when a shutdown interrupts a running task and it is put back on the queue (B22).

Reading: `last_runs` (the newest run of each task), `recent_failures`, `state_counts`, and `runs_by_slot`
for checks. Recording never raises into the task: errors are logged, the task runs as it would without them.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from jobwatch.db import session_scope
from jobwatch.models import TaskRun, utcnow

log = logging.getLogger(__name__)

STATES = ("queued", "started", "finished", "failed")
#: A `started` run older than this whose consumer is gone is shown as lost (`TaskRunView.lost`).
LOST_AFTER = timedelta(hours=1)


def process_identity() -> str:
    """This process as `host:pid` (the `queued_by` of what it enqueues)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def consumer_identity() -> str:
    """This worker thread as `host:pid/Thread-name` (the `consumer` of what it runs)."""
    return f"{process_identity()}/{threading.current_thread().name}"


def slot_for(when: datetime, every_seconds: int | None = None) -> str:
    """The schedule slot of a periodic enqueue at `when` (aware): the UTC minute (`2026-11-30T14:05Z`), or with
    `every_seconds` the start of its `every_seconds`-long slot (`2026-11-30T14:05:10Z`)."""
    when = when.astimezone(UTC)
    if every_seconds:
        second = (when.second // every_seconds) * every_seconds
        return when.replace(second=second, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    return when.strftime("%Y-%m-%dT%H:%MZ")


def _short(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record_queued(
    *,
    huey_id: str,
    task: str,
    args: Any = None,
    slot: str | None = None,
    queued_by: str | None = None,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> bool:
    """Record that task `huey_id` (named `task`) is queued; returns False when `(task, slot)` is already taken.

    A row that exists for `huey_id` (a task enqueued again under its id) goes back to `queued` unless it
    already ended. Raises only for database errors other than the unique slot.
    """
    now = now or utcnow()
    try:
        with session_scope(engine) as session:
            row = session.exec(select(TaskRun).where(TaskRun.huey_id == huey_id)).first()
            if row is not None:
                return row.state == "queued"
            session.add(
                TaskRun(
                    task=task[:100],
                    slot=slot,
                    huey_id=huey_id,
                    state="queued",
                    args=_short(args, 200),
                    queued_at=now,
                    queued_by=queued_by or process_identity(),
                )
            )
            session.flush()
    except IntegrityError:
        return False
    return True


def record_queued_many(
    runs: list[tuple[str, str, Any]],
    *,
    queued_by: str | None = None,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> None:
    """Record many runs as `queued` in one transaction: `runs` holds `(huey_id, task, args)` (no slots; new
    Huey ids). For a task that enqueues one task per board, so 1,000 boards cost one insert, not 1,000."""
    if not runs:
        return
    now = now or utcnow()
    by = queued_by or process_identity()
    with session_scope(engine) as session:
        session.execute(
            insert(TaskRun),
            [
                {
                    "task": task[:100],
                    "huey_id": huey_id,
                    "state": "queued",
                    "args": _short(args, 200),
                    "attempts": 0,
                    "queued_at": now,
                    "queued_by": by,
                }
                for huey_id, task, args in runs
            ],
        )


def claim_start(
    *, huey_id: str, task: str, consumer: str | None = None, now: datetime | None = None, engine: Engine | None = None
) -> bool:
    """Move run `huey_id` from `queued` to `started` for `consumer`; False when it is not queued (it already
    started elsewhere or ended: the caller must not run it). A task enqueued without a row gets one now."""
    now = now or utcnow()
    consumer = consumer or consumer_identity()
    with session_scope(engine) as session:
        claimed = session.exec(
            update(TaskRun)
            .where(col(TaskRun.huey_id) == huey_id, col(TaskRun.state) == "queued")
            .values(state="started", started_at=now, consumer=consumer, attempts=TaskRun.attempts + 1)
        )
        if claimed.rowcount:
            return True
        if session.exec(select(TaskRun.id).where(TaskRun.huey_id == huey_id)).first() is not None:
            return False
    # Enqueued where nothing recorded it (before this table existed, or the record failed): record it now.
    try:
        with session_scope(engine) as session:
            session.add(
                TaskRun(
                    task=task[:100],
                    huey_id=huey_id,
                    state="started",
                    attempts=1,
                    queued_at=now,
                    started_at=now,
                    consumer=consumer,
                )
            )
    except IntegrityError:
        return False
    return True


def record_end(
    *,
    huey_id: str,
    value: Any = None,
    error: BaseException | str | None = None,
    will_retry: bool = False,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> None:
    """Record the end of run `huey_id`: `finished` with `value` summarized as `detail` (None from a task under
    a lease means it was skipped), or with `error` `failed` (`queued` again when Huey will retry it)."""
    now = now or utcnow()
    with session_scope(engine) as session:
        row = session.exec(select(TaskRun).where(TaskRun.huey_id == huey_id)).first()
        if row is None:
            return
        started = row.started_at or now
        row.duration_seconds = max(0.0, (now - started).total_seconds())
        if error is None:
            row.state, row.finished_at = "finished", now
            row.detail = "skipped: another run holds its lease" if value is None else _short(value, 500)
        else:
            text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
            row.error = text[:2000]
            if will_retry:
                row.state = "queued"
                row.detail = "retrying after an error"
            else:
                row.state, row.finished_at = "failed", now
        session.add(row)


def record_requeued(*, huey_id: str, reason: str, engine: Engine | None = None) -> None:
    """Put run `huey_id` back to `queued` (it was interrupted and re-enqueued), noting `reason`."""
    with session_scope(engine) as session:
        session.exec(
            update(TaskRun)
            .where(col(TaskRun.huey_id) == huey_id, col(TaskRun.state).in_(("started", "queued")))
            .values(state="queued", detail=reason[:500])
        )


# --- reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskRunView:
    """One task run as `jobwatch status` and `/admin` show it. Times are aware UTC; `lost` marks a run still
    `started` after `LOST_AFTER` (its consumer most likely died: a later run or slot does its work)."""

    id: int
    task: str
    slot: str | None
    state: str
    args: str | None
    attempts: int
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    error: str | None
    detail: str | None
    consumer: str | None
    lost: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (times as ISO 8601)."""
        return {
            "task": self.task,
            "slot": self.slot,
            "state": "lost" if self.lost else self.state,
            "args": self.args,
            "attempts": self.attempts,
            "queued_at": self.queued_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_seconds": None if self.duration_seconds is None else round(self.duration_seconds, 3),
            "error": self.error,
            "detail": self.detail,
            "consumer": self.consumer,
        }


def _view(row: TaskRun, now: datetime) -> TaskRunView:
    lost = row.state == "started" and row.started_at is not None and now - row.started_at > LOST_AFTER
    return TaskRunView(
        id=row.id or 0,
        task=row.task,
        slot=row.slot,
        state=row.state,
        args=row.args,
        attempts=row.attempts,
        queued_at=row.queued_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_seconds=row.duration_seconds,
        error=row.error,
        detail=row.detail,
        consumer=row.consumer,
        lost=lost,
    )


def last_runs(*, session: Session, now: datetime | None = None) -> list[TaskRunView]:
    """The newest run of every task that ever ran, by task name."""
    now = now or utcnow()
    newest = select(TaskRun.task, func.max(TaskRun.id).label("last_id")).group_by(col(TaskRun.task)).subquery("newest")
    rows = session.exec(
        select(TaskRun).join(newest, col(TaskRun.id) == newest.c.last_id).order_by(col(TaskRun.task))
    ).all()
    return [_view(row, now) for row in rows]


def recent_runs(*, session: Session, limit: int = 50, now: datetime | None = None) -> list[TaskRunView]:
    """The newest task runs of every task, at most `limit` (1-500)."""
    now = now or utcnow()
    rows = session.exec(
        select(TaskRun).order_by(col(TaskRun.queued_at).desc(), col(TaskRun.id).desc()).limit(max(1, min(limit, 500)))
    ).all()
    return [_view(row, now) for row in rows]


def recent_failures(*, session: Session, limit: int = 20, now: datetime | None = None) -> list[TaskRunView]:
    """The newest failed runs (failed for good, or waiting for a retry after an error), at most `limit`."""
    now = now or utcnow()
    rows = session.exec(
        select(TaskRun)
        .where(col(TaskRun.error).is_not(None))
        .order_by(col(TaskRun.queued_at).desc(), col(TaskRun.id).desc())
        .limit(max(1, min(limit, 500)))
    ).all()
    return [_view(row, now) for row in rows]


def state_counts(*, session: Session) -> dict[str, int]:
    """How many recorded runs are in each state."""
    return {
        str(state): int(n)
        for state, n in session.exec(select(TaskRun.state, func.count()).group_by(col(TaskRun.state))).all()
    }


__all__ = [
    "STATES",
    "TaskRunView",
    "claim_start",
    "consumer_identity",
    "last_runs",
    "process_identity",
    "recent_failures",
    "recent_runs",
    "record_end",
    "record_queued",
    "record_queued_many",
    "record_requeued",
    "slot_for",
    "state_counts",
]
