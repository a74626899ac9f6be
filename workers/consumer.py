"""The consumer `jobwatch worker` runs: Huey's, with a scheduler that enqueues each periodic slot once.

`SlotScheduler` records a periodic run with its schedule slot (`services.taskruns.slot_for`) *before* it
enqueues it; `(task, slot)` is unique in the database, so when a second scheduler runs by mistake (a second
`jobwatch worker` without `--no-scheduler`) or a restarted one looks at a slot again, the slot is not
enqueued twice (field case B20). With `SCHEDULE_EVERY_SECONDS` (tests, demos) the periodic check runs every
that many seconds and every periodic task is due at each check.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from huey import Huey
from huey.consumer import Consumer, Scheduler

from jobwatch.config import get_settings
from jobwatch.services import taskruns
from workers.recording import RECORDED_ATTR

log = logging.getLogger(__name__)


class SlotScheduler(Scheduler):
    """Huey's scheduler, enqueueing a periodic task only after its slot was recorded as this run's."""

    def __init__(self, huey: Huey, stop_flag: Any, interval: float, periodic: bool) -> None:
        super().__init__(huey, stop_flag, interval, periodic)
        self.every = get_settings().schedule_every_seconds
        if self.every:
            self.periodic_task_seconds = self.every
        self.identity = taskruns.process_identity()

    def enqueue_periodic_tasks(self, now: datetime | None) -> None:
        """Enqueue every periodic task due at `now` (default: the current time) whose slot is still free."""
        # Huey's own times are naive UTC.
        moment = datetime.now(UTC) if now is None else now.replace(tzinfo=now.tzinfo or UTC)
        slot = taskruns.slot_for(moment, self.every)
        for task in self.huey.read_periodic(moment.astimezone(UTC).replace(tzinfo=None)):
            try:
                fresh = taskruns.record_queued(
                    huey_id=task.id, task=str(task.name), slot=slot, queued_by=self.identity, now=moment
                )
            except Exception:
                log.exception("periodic task %s: could not record slot %s; not enqueued", task.name, slot)
                continue
            if not fresh:
                log.info("periodic task %s: slot %s is already taken; not enqueued again", task.name, slot)
                continue
            setattr(task, RECORDED_ATTR, True)
            try:
                self.huey.enqueue(task)
            except Exception as exc:
                log.exception("periodic task %s: enqueue failed", task.name)
                taskruns.record_end(huey_id=task.id, error=f"enqueue failed: {exc}")


class JobwatchConsumer(Consumer):
    """Huey's consumer with `SlotScheduler`."""

    scheduler_class = SlotScheduler
