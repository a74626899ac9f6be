"""One full background cycle (scrape, match, notify) through real `jobwatch worker` processes (issue 7).

    .venv/bin/python -m benchmarks.bench_cycle [--boards 1000] [--per-board 100] [--users 10000]
        [--consumers 2] [--threads 4] [--new-per-board 2] [--resend-rate 2]

Everything runs as in production on PostgreSQL and Redis: a throwaway PostgreSQL database (created and
dropped here) and a Redis database number claimed the way the tests claim theirs (flushed before and after);
`--consumers` worker processes (`jobwatch worker --no-scheduler -w THREADS`; this script enqueues the
periodic tasks itself, so each stage starts at once); a loopback server answering Greenhouse-shaped board
responses built from `benchmarks/generator.py` postings (descriptions ~3.2 KB); the loopback fake Resend in
its own process at Resend's default 2 requests per second, 100 emails per batch.

Stages, each timed from the moment its task is enqueued:
0. baseline: every board's first scrape (`per-board` postings each, 100K in all by default; stored, never
   announced);
1. scrape: the next scrape of every board, whose response drops one posting and adds `new-per-board` new ones
   (matching runs after each ingest, overlapping; "match" is when the last new posting was matched);
2. notify: the users' daily digests fall due; `send_due_digests_task` builds and sends them all.
Printed per stage: wall time; then the task runs' count and busy time per task (from `task_run`), and the
peak memory (VmHWM) of each worker process.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("JOBWATCH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_SERVER = os.environ.get("JOBWATCH_BENCH_REDIS_URL", "redis://127.0.0.1:6379")


def greenhouse_job(posting: Any, posted_at: datetime) -> dict[str, Any]:
    """A Greenhouse job board API item (`/v1/boards/TOKEN/jobs?content=true`) for a generator posting."""
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in (posting.description_text or "").split("\n\n"))
    return {
        "id": int(posting.external_id),
        "title": posting.title,
        "absolute_url": posting.url,
        "location": {"name": "; ".join(loc.raw for loc in posting.locations) or "Remote"},
        "updated_at": posted_at.isoformat(),
        "first_published": posted_at.isoformat(),
        "company_name": posting.company,
        "content": html.escape(paragraphs),
        "departments": [{"id": 1, "name": posting.department, "child_ids": [], "parent_id": None}],
        "offices": [],
        "metadata": None,
    }


class Boards:
    """The loopback board server: path -> response bytes, swapped between stages."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.requests = 0
        boards = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                boards.requests += 1
                body = boards.bodies.get(self.path.split("?", 1)[0])
                status = 200 if body is not None else 404
                body = body if body is not None else b'{"error":"not found"}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def claim_redis() -> tuple[str, Callable[[], None]]:
    """A Redis database number of this run's own (claimed on db 0 like the tests' `redis_url`), flushed."""
    import redis

    claims = redis.Redis.from_url(f"{REDIS_SERVER}/0")
    for number in range(15, 0, -1):
        key = f"jobwatch-test:db:{number}"
        if claims.set(key, f"bench-{os.getpid()}", nx=True, ex=3 * 3600):
            break
    else:
        sys.exit("every Redis database 1-15 is claimed")
    url = f"{REDIS_SERVER}/{number}"
    own = redis.Redis.from_url(url)
    own.flushdb()

    def release() -> None:
        own.flushdb()
        claims.delete(key)

    return url, release


def wait(condition: Callable[[], bool], what: str, timeout: float = 3600) -> float:
    """Poll `condition` every 0.25 s; returns the moment (perf_counter) it held."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.25)
    return time.perf_counter()


def vm_hwm_mb(pid: int) -> float:
    """The peak resident set size of process `pid` (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boards", type=int, default=1000)
    parser.add_argument("--per-board", type=int, default=100)
    parser.add_argument("--new-per-board", type=int, default=2)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--resend-rate", type=float, default=2.0)
    args = parser.parse_args()

    import sqlalchemy as sa

    from benchmarks.bench_digests import _drop_postgres, _start_fake, _stats, _throwaway_postgres

    database_url, db_name = _throwaway_postgres(PG_ADMIN)
    redis_url, release_redis = claim_redis()
    workdir = Path(tempfile.mkdtemp(prefix="jobwatch-bench-cycle-"))
    boards = Boards()
    fake, fake_url = _start_fake(args.resend_rate, 100)
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JOBWATCH_DATA_DIR": str(workdir / "data"),
        "JOBWATCH_ENV": "test",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "GREENHOUSE_API_URL": f"{boards.url}/greenhouse",
        "RESEND_API_KEY": "re_test_key",
        "RESEND_API_URL": fake_url,
        "RESEND_RATE_PER_SECOND": str(args.resend_rate),
    }
    os.environ.update(env)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        from jobwatch import migrations
        from jobwatch.config import get_settings
        from jobwatch.db import make_engine

        get_settings.cache_clear()
        migrations.upgrade(database_url)
        engine = make_engine(database_url)
        run_bench(args, engine, boards, workers, workdir)
        stats = _stats(fake_url)
        print(
            f"fake Resend:        {stats['emails_accepted']} emails accepted in {stats['keys']} batches, "
            f"{stats['duplicate_addresses']} addresses twice, {stats['keys_accepted_twice']} keys twice"
        )
        engine.dispose()
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        fake.kill()
        boards.httpd.shutdown()
        release_redis()
        _drop_postgres(PG_ADMIN, db_name)
    _ = sa


def run_bench(
    args: argparse.Namespace, engine: Any, boards: Boards, workers: list[subprocess.Popen[bytes]], workdir: Path
) -> None:
    """Set up the data, start the consumers and time the three stages (see the module docstring)."""
    from sqlalchemy import func, insert, update
    from sqlmodel import Session, col, select

    from benchmarks.generator import Generator
    from jobwatch.models import Board, Digest, JobAlert, JobPosting, Notification, ScrapeRun, TaskRun, User, utcnow
    from workers.tasks import scrape_due_boards, send_due_digests_task

    t0 = time.perf_counter()
    gen = Generator(seed=1)
    total = args.boards * args.per_board
    postings = gen.postings(total + args.boards * args.new_per_board)
    now = utcnow()
    old = now - timedelta(days=3)
    jobs = [greenhouse_job(p, old) for p in postings[:total]]
    fresh = [greenhouse_job(p, now - timedelta(hours=2)) for p in postings[total:]]
    del postings
    path = "/greenhouse/v1/boards/bench{n}/jobs"

    def body(items: list[dict[str, Any]]) -> bytes:
        return json.dumps({"jobs": items, "meta": {"total": len(items)}}).encode()

    for n in range(args.boards):
        boards.bodies[path.format(n=n)] = body(jobs[n * args.per_board : (n + 1) * args.per_board])
    alerts = gen.alerts(args.users)
    with engine.begin() as conn:
        conn.execute(
            insert(Board),
            [
                {
                    "key": f"greenhouse:bench{n}",
                    "ats": "greenhouse",
                    "token": f"bench{n}",
                    "next_scrape_at": now - timedelta(minutes=1),
                    "scrape_interval_minutes": 60,
                    "is_active": True,
                    "consecutive_failures": 0,
                    "created_at": now,
                }
                for n in range(args.boards)
            ],
        )
        conn.execute(
            insert(User),
            [
                {
                    "email": f"seeker{n}@example.test",
                    "password_hash": "!unusable",
                    "timezone": "UTC",
                    "digest_hour": 8,
                    "weekly_day": 0,
                    "is_admin": False,
                    "email_verified_at": now,
                    "created_at": now,
                }
                for n in range(args.users)
            ],
        )
        ids = conn.execute(select(User.id).order_by(col(User.id))).scalars().all()
        conn.execute(
            insert(JobAlert),
            [
                {
                    "user_id": user_id,
                    "name": f"Alert {n}",
                    "filters": filters,
                    "frequency": "daily",
                    "channels": ["inbox", "email"],
                    "is_active": True,
                    "created_at": now - timedelta(hours=1),
                    "updated_at": now,
                    "digest_cursor_at": now + timedelta(days=1),
                }
                for n, (user_id, (_key, filters)) in enumerate(zip(ids, alerts, strict=True))
            ],
        )
    print(
        f"setup:              {time.perf_counter() - t0:.1f} s ({args.boards} boards, {total} postings served, "
        f"{args.users} users with one alert each)"
    )

    for n in range(args.consumers):
        log = (workdir / f"worker-{n}.log").open("ab")
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "jobwatch.cli", "worker", "--no-scheduler", "-w", str(args.threads)],
                cwd=ROOT,
                env=dict(os.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    def count(query: Any) -> int:
        with Session(engine) as s:
            return int(s.exec(query).one())

    runs_ok = select(func.count()).select_from(ScrapeRun).where(col(ScrapeRun.status).in_(("ok", "partial")))
    unmatched = select(func.count()).select_from(JobPosting).where(col(JobPosting.matched_at).is_(None))
    stored = select(func.count()).select_from(JobPosting)

    def settle() -> float:
        """Wait until every posting is matched: by the matches each scrape enqueues and their follow-ups."""
        return wait(lambda: count(unmatched) == 0, "every posting matched", timeout=1800)

    # 0. Baseline.
    start = time.perf_counter()
    scrape_due_boards()
    done = wait(lambda: count(runs_ok) >= args.boards, "the baseline scrape")
    settle()
    print(f"stage 0 baseline:   {done - start:.1f} s scrape ({count(stored)} postings stored)")

    # 1. The next scrape: one posting closed and `new_per_board` new ones per board.
    for n in range(args.boards):
        items = jobs[n * args.per_board + 1 : (n + 1) * args.per_board]
        new = fresh[n * args.new_per_board : (n + 1) * args.new_per_board]
        boards.bodies[path.format(n=n)] = body(new + items)
    del jobs
    with Session(engine) as s:
        s.exec(update(Board).values(next_scrape_at=utcnow() - timedelta(seconds=1)))  # type: ignore[call-overload]
        s.commit()
    start = time.perf_counter()
    scrape_due_boards()
    scraped = wait(lambda: count(runs_ok) >= 2 * args.boards, "the cycle's scrape")
    matched = settle()
    with Session(engine) as s:
        notes = int(s.exec(select(func.count()).select_from(Notification)).one())
        due_users = int(
            s.exec(
                select(func.count(func.distinct(Notification.user_id))).where(Notification.email_status == "pending")
            ).one()
        )
    print(f"stage 1 scrape:     {scraped - start:.1f} s ({count(stored)} postings stored)")
    print(
        f"stage 1 match:      {matched - start:.1f} s from the scrape's start ({notes} notifications, "
        f"{due_users} users with news)"
    )

    # 2. Notify.
    with Session(engine) as s:
        s.exec(update(JobAlert).values(digest_cursor_at=utcnow() - timedelta(days=2)))  # type: ignore[call-overload]
        s.commit()
    start = time.perf_counter()
    send_due_digests_task()
    sent_q = select(func.count()).select_from(Digest).where(Digest.status == "sent")
    sent = wait(lambda: count(sent_q) >= due_users, "every digest sent")
    print(f"stage 2 notify:     {sent - start:.1f} s ({count(sent_q)} digests sent)")

    with Session(engine) as s:
        rows = s.exec(
            select(TaskRun.task, func.count(), func.sum(TaskRun.duration_seconds), func.max(TaskRun.duration_seconds))
            .where(TaskRun.state == "finished")
            .group_by(col(TaskRun.task))
        ).all()
    for task, n, busy, longest in rows:
        print(f"task {task:24} {n:6} runs, busy {busy or 0:8.1f} s, longest {longest or 0:6.1f} s")
    for n, proc in enumerate(workers):
        print(f"worker {n} peak memory: {vm_hwm_mb(proc.pid):.0f} MB (VmHWM)")
    print(
        f"board requests:     {boards.requests}; load average {os.getloadavg()[0]:.1f}; "
        f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


if __name__ == "__main__":
    main()
