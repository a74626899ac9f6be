"""Huey hooks that record every task run in `task_run` (`jobwatch.services.taskruns`) and re-queue interrupted ones.

- `SIGNAL_ENQUEUED` (in the enqueuing process): the run is recorded `queued` (the periodic scheduler records
  its runs itself, with their slot, before enqueueing: `workers.consumer.SlotScheduler`).
- pre-execute: the run is claimed (`queued` → `started`); a run that already started elsewhere or ended is
  cancelled instead of run twice.
- post-execute: `finished` or `failed` (back to `queued` when Huey retries it).
- `SIGNAL_INTERRUPTED` (a shutdown whose grace period ran out while the task ran, field case B22): the task
  is put back on the queue under its id; every task is idempotent, so its next run finishes the work once.
- `SIGNAL_EXPIRED`, `SIGNAL_REVOKED`: `failed` with the reason.

A recording error is logged and never stops the task itself.
"""

from __future__ import annotations

import logging
from typing import Any

from huey import Huey
from huey import signals as S
from huey.api import Task
from huey.exceptions import CancelExecution

from jobwatch.services import taskruns

log = logging.getLogger(__name__)

#: Set on a task object whose run the scheduler already recorded (with its slot).
RECORDED_ATTR = "_jobwatch_recorded"


def _name(task: Task) -> str:
    return str(task.name)


def _args(task: Task) -> Any:
    args, kwargs = task.data
    if not args and not kwargs:
        return None
    return {"args": list(args), "kwargs": kwargs} if kwargs else list(args)


def install(huey: Huey) -> None:
    """Connect the recording hooks to `huey` (once per instance)."""
    if getattr(huey, "_jobwatch_recording", False):
        return
    huey._jobwatch_recording = True

    def on_enqueued(signal: str, task: Task, *args: Any, **kwargs: Any) -> None:
        if getattr(task, RECORDED_ATTR, False):
            return
        try:
            taskruns.record_queued(huey_id=task.id, task=_name(task), args=_args(task))
        except Exception:
            log.exception("task run of %s: could not record the enqueue", task)

    def claim(task: Task) -> None:
        try:
            claimed = taskruns.claim_start(huey_id=task.id, task=_name(task))
        except Exception:
            log.exception("task run of %s: could not record the start; running it anyway", task)
            return
        if not claimed:
            # Started elsewhere or already ended: a second delivery of one run must change nothing.
            raise CancelExecution(retry=False)

    def ended(task: Task, value: Any, exc: BaseException | None) -> None:
        try:
            taskruns.record_end(
                huey_id=task.id, value=value, error=exc, will_retry=exc is not None and bool(task.retries)
            )
        except Exception:
            log.exception("task run of %s: could not record its end", task)

    def interrupted(signal: str, task: Task, *args: Any, **kwargs: Any) -> None:
        try:
            taskruns.record_requeued(huey_id=task.id, reason="interrupted by a shutdown; re-queued")
            setattr(task, RECORDED_ATTR, True)
            huey.enqueue(task)
            log.warning("task %s was interrupted by a shutdown and is queued again", task)
        except Exception:
            log.exception("task %s was interrupted and could not be queued again", task)

    def gone(signal: str, task: Task, *args: Any, **kwargs: Any) -> None:
        try:
            taskruns.claim_start(huey_id=task.id, task=_name(task))
            taskruns.record_end(huey_id=task.id, error=f"not run: {signal}")
        except Exception:
            log.exception("task run of %s: could not record %s", task, signal)

    huey.signal(S.SIGNAL_ENQUEUED)(on_enqueued)
    huey.signal(S.SIGNAL_INTERRUPTED)(interrupted)
    huey.signal(S.SIGNAL_EXPIRED, S.SIGNAL_REVOKED)(gone)
    huey.pre_execute("jobwatch_task_run_claim")(claim)
    huey.post_execute("jobwatch_task_run_end")(ended)
