"""Exactly one scheduler, and a clean stop on SIGTERM, with real `jobwatch worker` processes (PostgreSQL, Redis).

Field case B20: `jobwatch worker` schedules, `jobwatch worker --no-scheduler` only consumes; even a second
scheduler started by mistake does not enqueue a slot twice. Field case B22: SIGTERM lets the task in hand
finish; when the grace period runs out first, the task is queued again and another consumer finishes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlmodel import Session, col, select

from jobwatch import migrations
from jobwatch.db import make_engine
from jobwatch.models import Board, ScrapeRun, TaskRun, utcnow
from tests.conftest import _postgres_database
from tests.e2e.consumer_flow import (
    PATHS,
    PERIODIC,
    Worker,
    pid_of,
    serve_boards,
    slot_runs,
    wait_for,
    worker_env,
)
from tests.loopback import BoardServer


@pytest.fixture()
def redis_db(redis_url: str) -> Iterator[str]:
    """The run's Redis database, emptied before and after: no task of another test is left on the queue."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield redis_url
    client.flushdb()
    client.close()


@pytest.fixture()
def pg_url() -> Iterator[str]:
    gen = _postgres_database()
    url = next(gen)
    migrations.upgrade(url)
    yield url
    gen.close()


def _env(tmp_path: Path, server: BoardServer, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JOBWATCH_DATA_DIR": str(tmp_path / "data"),
        "SCHEDULE_EVERY_SECONDS": "1",
        "WORKER_LEASE_SECONDS": "3",
        **extra,
    }
    for source in PATHS:
        env[f"{source.upper()}_API_URL"] = f"{server.url}/{source}"
    return worker_env(env)


def test_one_scheduler_enqueues_each_slot_once_even_with_a_second_one(
    tmp_path: Path, pg_url: str, redis_db: str
) -> None:
    engine = make_engine(pg_url)
    with BoardServer() as server:
        env = _env(tmp_path, server, pg_url, redis_db)
        scheduler = Worker(["-w", "1"], env, tmp_path / "scheduler.log").start()
        consumer = Worker(["--no-scheduler", "-w", "2"], env, tmp_path / "consumer.log").start()
        logs = [scheduler.log, consumer.log]
        workers = [scheduler, consumer]

        def slots(task: str) -> set[str]:
            with Session(engine) as s:
                return {r.slot or "" for r in slot_runs(s) if r.task == task}

        def ran_on(worker: Worker) -> bool:
            with Session(engine) as s:
                return any(pid_of(r.consumer) == worker.pid for r in s.exec(select(TaskRun)).all())

        try:
            wait_for(lambda: len(slots("scrape_due_boards")) >= 4, timeout=60, what="4 slots", logs=logs)
            wait_for(lambda: ran_on(consumer), timeout=60, what="the --no-scheduler consumer ran a task", logs=logs)
            with Session(engine) as s:
                assert {pid_of(r.queued_by) for r in slot_runs(s)} == {scheduler.pid}
            # A second scheduler by mistake: slots stay single.
            second = Worker(["-w", "1"], env, tmp_path / "second.log").start()
            workers.append(second)
            logs.append(second.log)
            before = len(slots("scrape_due_boards"))
            wait_for(lambda: len(slots("scrape_due_boards")) >= before + 4, timeout=60, what="4 more slots", logs=logs)
            wait_for(
                lambda: "already taken" in second.log.read_text() + scheduler.log.read_text(),
                timeout=60,
                what="a scheduler finding its slot taken",
                logs=logs,
            )
        finally:
            codes = [w.stop() for w in workers]
        assert codes == [0, 0, 0], [w.log.read_text()[-2000:] for w in workers]
        with Session(engine) as s:
            runs = slot_runs(s)
            assert set(Counter((r.task, r.slot) for r in runs).values()) == {1}
            assert {r.task for r in runs} == set(PERIODIC)
            # Every periodic run was enqueued with its slot: none arrived outside the slot records.
            assert (
                s.exec(select(TaskRun).where(col(TaskRun.task).in_(PERIODIC), col(TaskRun.slot).is_(None))).all() == []
            )
            assert {pid_of(r.queued_by) for r in runs} <= {scheduler.pid, second.pid}
            assert {r.state for r in runs} <= {"finished", "queued"}
    engine.dispose()


@pytest.mark.parametrize("grace", ["30", "0.5"])
def test_sigterm_finishes_the_task_in_hand_or_queues_it_again(
    tmp_path: Path, pg_url: str, redis_db: str, grace: str
) -> None:
    engine = make_engine(pg_url)
    with BoardServer() as server:
        (key,) = serve_boards(server, 1, 3)
        path = PATHS["greenhouse"].format(token="co-0")
        server.held.add(path)
        with Session(engine) as s:
            s.add(Board(key=key, ats="greenhouse", token="co-0", next_scrape_at=utcnow()))
            s.commit()
        env = _env(tmp_path, server, pg_url, redis_db, WORKER_SHUTDOWN_SECONDS=grace)
        first = Worker(["-w", "1"], env, tmp_path / "first.log").start()
        wait_for(lambda: server.waiting >= 1, timeout=60, what="the scrape in hand", logs=[first.log])
        assert first.proc is not None
        first.proc.terminate()  # SIGTERM
        if grace == "30":
            wait_for(lambda: "gracefully" in first.log.read_text(), timeout=60, what="the stop", logs=[first.log])
            server.release()
            assert first.proc.wait(timeout=30) == 0
            with Session(engine) as s:
                run = s.exec(select(TaskRun).where(TaskRun.task == "scrape_board_task")).one()
                assert (run.state, run.attempts) == ("finished", 1)
                assert [r.status for r in s.exec(select(ScrapeRun)).all()] == ["ok"]
            return
        assert first.proc.wait(timeout=30) == 0
        with Session(engine) as s:
            run = s.exec(select(TaskRun).where(TaskRun.task == "scrape_board_task")).one()
            assert run.state == "queued" and "interrupted" in (run.detail or "")
            huey_id = run.huey_id.encode()
        queued = redis.Redis.from_url(redis_db).lrange("huey.redis.jobwatch", 0, -1)
        assert sum(huey_id in item for item in queued) == 1  # back on the queue, once
        server.release()
        second = Worker(["--no-scheduler", "-w", "1"], env, tmp_path / "second.log").start()
        try:

            def finished() -> bool:
                with Session(engine) as s:
                    again = s.exec(select(TaskRun).where(TaskRun.task == "scrape_board_task")).one()
                return again.state == "finished"

            wait_for(finished, timeout=60, what="the re-queued scrape finished", logs=[first.log, second.log])
        finally:
            assert second.stop() == 0
        with Session(engine) as s:
            again = s.exec(select(TaskRun).where(TaskRun.task == "scrape_board_task")).one()
            assert again.attempts == 2 and pid_of(again.consumer) == second.pid
            assert "ok" in [r.status for r in s.exec(select(ScrapeRun)).all()]
    engine.dispose()
