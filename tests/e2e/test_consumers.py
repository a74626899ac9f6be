"""Background work that never double-sends and never silently stops (issue 7, field cases B20, B22, B23).

Real `jobwatch worker` processes against a loopback board server (30 self-written boards) and the loopback
fake Resend, 200 users with alerts:
- PostgreSQL and Redis with two consumers (one scheduler, one `--no-scheduler`);
- the embedded default: SQLite storage for the app and for Huey, one consumer.
The fake Resend holds back its answer after k accepted batches; the consumer delivering that batch is killed
with SIGKILL, then restarted. Afterwards every due user has exactly one digest at the fake, no posting is
announced twice to anyone, and every periodic schedule slot has exactly one recorded run.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func
from sqlmodel import Session, col, select

from jobwatch import migrations
from jobwatch.db import make_engine
from jobwatch.models import Digest, JobPosting, Notification, ScrapeRun, TaskRun, User
from tests.conftest import _postgres_database
from tests.e2e.consumer_flow import (
    KEYWORDS,
    PATHS,
    PERIODIC,
    Worker,
    make_due,
    pid_of,
    seed,
    serve_boards,
    slot_runs,
    wait_for,
    worker_env,
)
from tests.fake_resend import API_KEY, FakeResend
from tests.loopback import BoardServer

BOARDS = 30
PER_BOARD = 6
USERS = 200
BATCH = 20
HOLD_AFTER = 3
URL = re.compile(r"https://jobs\.example\.test/[a-z]+/co-\d+/\d+")


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
    """A PostgreSQL database of this test's own, migrated."""
    gen = _postgres_database()
    url = next(gen)
    migrations.upgrade(url)
    yield url
    gen.close()


def _env(tmp_path: Path, server: BoardServer, fake: FakeResend, database_url: str, redis: str | None) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "JOBWATCH_DATA_DIR": str(tmp_path / "data"),
        "RESEND_API_KEY": API_KEY,
        "RESEND_API_URL": fake.url,
        "RESEND_BATCH_SIZE": str(BATCH),
        "RESEND_RATE_PER_SECOND": "20",
        "RESEND_TIMEOUT_SECONDS": "30",
        "DIGEST_MAX_PER_ALERT": "100",
        "SCHEDULE_EVERY_SECONDS": "2",
        "WORKER_LEASE_SECONDS": "3",
        "MAIL_BATCH_LEASE_SECONDS": "5",
        "WORKER_SHUTDOWN_SECONDS": "10",
    }
    for source in PATHS:
        env[f"{source.upper()}_API_URL"] = f"{server.url}/{source}"
    if redis:
        env["REDIS_URL"] = redis
    return worker_env(env)


def _run_flow(tmp_path: Path, database_url: str, redis: str | None, consumers: list[list[str]]) -> None:
    engine = make_engine(database_url)
    with BoardServer() as server, FakeResend(rate=20, max_batch=100) as fake:
        keys = serve_boards(server, BOARDS, PER_BOARD)
        with Session(engine) as s:
            seed(s, keys, USERS)
        env = _env(tmp_path, server, fake, database_url, redis)
        workers = [Worker(args, env, tmp_path / f"worker-{n}.log").start() for n, args in enumerate(consumers)]
        logs = [w.log for w in workers]
        try:
            # 1. Scrape every board once (the scheduler enqueues one task per due board) and match everything.
            def scraped() -> bool:
                with Session(engine) as s:
                    runs = s.exec(select(func.count()).select_from(ScrapeRun).where(ScrapeRun.status == "ok")).one()
                    unmatched = s.exec(
                        select(func.count()).select_from(JobPosting).where(col(JobPosting.matched_at).is_(None))
                    ).one()
                    postings = s.exec(select(func.count()).select_from(JobPosting)).one()
                return runs >= BOARDS and postings == BOARDS * PER_BOARD and unmatched == 0

            wait_for(scraped, timeout=120, what="every board scraped and every posting matched", logs=logs)
            with Session(engine) as s:
                notes = s.exec(select(Notification)).all()
                wanted: dict[int, set[int]] = defaultdict(set)
                for note in notes:
                    wanted[note.user_id].add(note.posting_id)
                assert len(wanted) == USERS * (len(KEYWORDS) - 1) // len(KEYWORDS)
                emails = {u.id: u.email for u in s.exec(select(User)).all()}
                urls = {p.id: p.url for p in s.exec(select(JobPosting)).all()}

            # 2. Digests fall due; the fake holds its answer after HOLD_AFTER accepted batches.
            fake.hold_after(HOLD_AFTER)
            with Session(engine) as s:
                make_due(s)
            wait_for(lambda: fake.held >= 1, timeout=90, what="a batch answer held back", logs=logs)

            # 3. SIGKILL the consumer that is delivering, then restart it.
            def sender() -> int | None:
                with Session(engine) as s:
                    run = s.exec(
                        select(TaskRun).where(TaskRun.task == "send_due_digests_task", TaskRun.state == "started")
                    ).first()
                return pid_of(run.consumer) if run else None

            pid = wait_for(sender, timeout=30, what="the delivering run recorded as started", logs=logs)
            victim = next(w for w in workers if w.pid == pid)
            victim.kill()
            fake.release()
            victim.start()

            # 4. Everything due goes out, once.
            def delivered() -> bool:
                with Session(engine) as s:
                    sent = s.exec(select(func.count()).select_from(Digest).where(Digest.status == "sent")).one()
                return sent == len(wanted) and len(fake.delivered) == len(wanted)

            wait_for(delivered, timeout=120, what="every due digest sent", logs=logs)
        finally:
            codes = [w.stop() for w in workers]
        assert codes == [0] * len(workers), [w.log.read_text()[-2000:] for w in workers]

        # Every due user has exactly one digest at the fake; nobody else got one.
        assert fake.delivered == Counter({emails[user_id]: 1 for user_id in wanted})
        assert fake.stats()["keys_accepted_twice"] == 0
        assert fake.stats()["replays"] >= 1  # the killed batch was sent again under its key, and not counted
        # No posting announced twice to anyone, and each user was told of every match.
        told: dict[str, Counter[str]] = defaultdict(Counter)
        for message in fake.messages:
            for to in message["to"] if isinstance(message["to"], list) else [message["to"]]:
                told[to].update(set(URL.findall(message["text"])))
        for user_id, postings in wanted.items():
            counts = told[emails[user_id]]
            assert set(counts) == {urls[p] for p in postings}
            assert max(counts.values()) == 1
        with Session(engine) as s:
            assert s.exec(select(Digest).where(Digest.status != "sent")).all() == []
            assert s.exec(select(func.count()).select_from(Digest)).one() == len(wanted)
            # Every periodic schedule slot has exactly one run, enqueued by a scheduler, never by a
            # --no-scheduler consumer; only the killed run is left unfinished.
            runs = slot_runs(s)
            per_slot = Counter((r.task, r.slot) for r in runs)
            assert runs and all(r.slot for r in runs) and set(per_slot.values()) == {1}
            schedulers = {pid for w in workers if "--no-scheduler" not in w.args for pid in w.pids}
            assert {pid_of(r.queued_by) for r in runs} <= schedulers
            assert {r.task for r in runs} >= {"scrape_due_boards", "send_due_digests_task"}
            unfinished = [r for r in runs if r.state not in ("finished", "failed")]
            assert all(pid_of(r.consumer) == pid for r in unfinished if r.state == "started")
            assert len([r for r in unfinished if r.state == "started"]) <= 1
            assert all(r.task in PERIODIC for r in runs)
    engine.dispose()


def test_two_consumers_on_postgres_and_redis_survive_a_sigkill(tmp_path: Path, pg_url: str, redis_db: str) -> None:
    _run_flow(tmp_path, pg_url, redis_db, consumers=[["-w", "2"], ["--no-scheduler", "-w", "2"]])


def test_embedded_default_one_consumer_on_sqlite_survives_a_sigkill(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrations.upgrade(url)
    _run_flow(tmp_path, url, None, consumers=[["-w", "2"]])
