"""Task-run records (`services.taskruns`, `workers.recording`) and the slot-claiming scheduler, on both databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from huey import MemoryHuey, crontab
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.models import TaskRun
from jobwatch.services import taskruns
from workers import recording
from workers.consumer import SlotScheduler

NOW = datetime(2026, 11, 30, 14, 5, 37, tzinfo=UTC)


def _rows(engine: Engine) -> list[TaskRun]:
    with Session(engine) as s:
        return list(s.exec(select(TaskRun).order_by(TaskRun.id)).all())  # type: ignore[arg-type]


def test_slot_is_the_utc_minute_or_the_configured_period() -> None:
    assert taskruns.slot_for(NOW) == "2026-11-30T14:05Z"
    assert taskruns.slot_for(NOW, 10) == "2026-11-30T14:05:30Z"
    assert taskruns.slot_for(NOW.astimezone(datetime.now().astimezone().tzinfo), 1) == "2026-11-30T14:05:37Z"


def test_a_slot_is_recorded_once_and_a_run_starts_once(db: Engine) -> None:
    assert taskruns.record_queued(huey_id="a", task="scrape_due_boards", slot="S1", now=NOW)
    assert not taskruns.record_queued(huey_id="b", task="scrape_due_boards", slot="S1", now=NOW)
    assert taskruns.record_queued(huey_id="c", task="send_due_digests_task", slot="S1", now=NOW)
    assert taskruns.claim_start(huey_id="a", task="scrape_due_boards", consumer="h:1/W", now=NOW)
    assert not taskruns.claim_start(huey_id="a", task="scrape_due_boards", consumer="h:2/W", now=NOW)
    taskruns.record_end(huey_id="a", value=3, now=NOW + timedelta(seconds=2))
    assert not taskruns.claim_start(huey_id="a", task="scrape_due_boards", now=NOW)  # ended: never again
    rows = {r.huey_id: r for r in _rows(db)}
    assert set(rows) == {"a", "c"}
    a = rows["a"]
    assert (a.state, a.attempts, a.consumer, a.detail, a.duration_seconds) == ("finished", 1, "h:1/W", "3", 2.0)
    assert a.queued_by == taskruns.process_identity()


def test_ends_record_skips_retries_and_failures(db: Engine) -> None:
    for huey_id in ("skip", "retry", "fail"):
        taskruns.record_queued(huey_id=huey_id, task="t", args=[7], now=NOW)
        taskruns.claim_start(huey_id=huey_id, task="t", now=NOW)
    taskruns.record_end(huey_id="skip", value=None)
    taskruns.record_end(huey_id="retry", error=RuntimeError("db gone"), will_retry=True)
    taskruns.record_end(huey_id="fail", error=RuntimeError("db gone"))
    # A run nobody recorded at enqueue time (recorded when it starts instead).
    assert taskruns.claim_start(huey_id="late", task="t", now=NOW)
    rows = {r.huey_id: r for r in _rows(db)}
    assert rows["skip"].state == "finished" and rows["skip"].detail.startswith("skipped")
    assert rows["retry"].state == "queued" and rows["retry"].error == "RuntimeError: db gone"
    assert taskruns.claim_start(huey_id="retry", task="t")  # the retry claims the same row
    assert rows["fail"].state == "failed" and rows["fail"].finished_at is not None
    assert rows["late"].state == "started" and rows["late"].args is None and rows["skip"].args == "[7]"
    with Session(db) as s:
        assert taskruns.state_counts(session=s) == {"finished": 1, "started": 2, "failed": 1}
        last = taskruns.last_runs(session=s, now=NOW + timedelta(minutes=5))
        assert [r.task for r in last] == ["t"] and last[0].to_json()["state"] == "started"
        # Still `started` after LOST_AFTER: its consumer died; shown as lost.
        assert taskruns.last_runs(session=s, now=NOW + timedelta(hours=2))[0].to_json()["state"] == "lost"
        assert [r.error for r in taskruns.recent_failures(session=s)] == ["RuntimeError: db gone"] * 2


@pytest.fixture()
def memory_huey(db: Engine) -> MemoryHuey:
    huey = MemoryHuey("test-runs", utc=True)
    recording.install(huey)
    return huey


def test_hooks_record_a_run_a_retry_and_cancel_a_second_delivery(db: Engine, memory_huey: MemoryHuey) -> None:
    calls: list[int] = []

    @memory_huey.task(retries=1)
    def flaky(n: int) -> int:
        calls.append(n)
        if len(calls) == 1:
            raise RuntimeError("first try fails")
        return n * 2

    flaky(21)
    task = memory_huey.dequeue()
    assert task is not None
    assert [(r.state, r.args) for r in _rows(db)] == [("queued", "[21]")]
    memory_huey.execute(task)
    row = _rows(db)[0]
    assert (row.state, row.attempts, row.error) == ("queued", 1, "RuntimeError: first try fails")
    retry = memory_huey.dequeue()
    assert retry is not None and retry.id == task.id
    memory_huey.execute(retry)
    row = _rows(db)[0]
    assert (row.state, row.attempts, row.detail) == ("finished", 2, "42")
    memory_huey.execute(retry)  # the same run delivered once more: cancelled, not run
    assert calls == [21, 21] and len(_rows(db)) == 1


def test_an_interrupted_run_is_queued_again_under_its_id(db: Engine, memory_huey: MemoryHuey) -> None:
    @memory_huey.task()
    def slow() -> None:
        return None

    slow()
    task = memory_huey.dequeue()
    assert task is not None
    taskruns.claim_start(huey_id=task.id, task=task.name)
    memory_huey._tasks_in_flight.add(task)
    memory_huey.notify_interrupted_tasks()  # what the consumer does when the shutdown grace runs out
    assert memory_huey.pending_count() == 1
    row = _rows(db)[0]
    assert row.state == "queued" and "interrupted" in (row.detail or "")
    again = memory_huey.dequeue()
    assert again is not None and again.id == task.id
    memory_huey.execute(again)
    assert _rows(db)[0].state == "finished" and _rows(db)[0].attempts == 2


def test_two_schedulers_enqueue_each_slot_once(db: Engine, memory_huey: MemoryHuey) -> None:
    @memory_huey.periodic_task(crontab(minute="*"))
    def tick() -> None:
        return None

    @memory_huey.periodic_task(crontab(minute="*/10"))
    def rare() -> None:
        return None

    first = SlotScheduler(memory_huey, threading.Event(), 1, True)
    second = SlotScheduler(memory_huey, threading.Event(), 1, True)
    at_0510 = datetime(2026, 11, 30, 5, 10, 0, 400_000)  # Huey passes naive UTC
    first.enqueue_periodic_tasks(at_0510)
    second.enqueue_periodic_tasks(at_0510.replace(second=59))
    assert memory_huey.pending_count() == 2
    first.enqueue_periodic_tasks(at_0510 + timedelta(minutes=1))
    assert memory_huey.pending_count() == 3  # only `tick` is due at 05:11
    rows = _rows(db)
    assert sorted((r.task, r.slot) for r in rows) == [
        ("rare", "2026-11-30T05:10Z"),
        ("tick", "2026-11-30T05:10Z"),
        ("tick", "2026-11-30T05:11Z"),
    ]
    seen: list[Any] = []
    while (task := memory_huey.dequeue()) is not None:
        memory_huey.execute(task)
        seen.append(task.id)
    assert len(seen) == 3 and {r.state for r in _rows(db)} == {"finished"}
