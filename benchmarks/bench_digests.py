"""Benchmark digest delivery (issue 6): run by hand, not in CI.

    .venv/bin/python -m benchmarks.bench_digests                       # 10K users, SQLite, fake at 2 req/s x 100
    .venv/bin/python -m benchmarks.bench_digests --users 2000          # the same at a fifth of the size
    .venv/bin/python -m benchmarks.bench_digests --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

10K users each have a daily alert with three pending matches. One `send_due_digests` tick builds every user's
digest (rendered HTML and text) and hands them to the loopback fake Resend (`tests/fake_resend.py`, in its own
process) through the resend SDK, in batches of 100, paced by the shared pace at 2 requests per second. The
fake enforces that limit (429 beyond it) and counts acceptances per idempotency key and per address.

Printed: the elapsed time of the tick, emails accepted per second against the most the fake allows
(rate x batch; target >= 95 %), the delivery window (first to last acceptance) on its own, duplicates (must be
0), and peak memory: the process's maximum resident set size, measured in a process that did nothing but the
tick (the data is generated in a separate process first).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1, minutes=5)  # the users' 08:00 daily slot has passed
MATCHES_PER_USER = 3


def _setup(url: str, users: int) -> None:
    """Migrate `url` and store `users` verified users, each with a daily alert and three pending matches."""
    import sqlalchemy as sa

    from jobwatch import migrations
    from jobwatch.db import make_engine
    from jobwatch.models import Board, JobAlert, JobPosting, Notification, User

    migrations.upgrade(url)
    engine = make_engine(url)
    postings = 500
    with engine.begin() as conn:
        conn.execute(sa.insert(Board), [{"key": "greenhouse:acme", "ats": "greenhouse", "token": "acme"}])
        board_id = conn.execute(sa.select(Board.id)).scalar_one()  # type: ignore[call-overload]
        conn.execute(
            sa.insert(JobPosting),
            [
                {
                    "board_id": board_id,
                    "source": "greenhouse",
                    "board": "acme",
                    "external_id": f"job-{n}",
                    "title": f"Senior Python Engineer, Platform Team {n}",
                    "company": "Acme & Co",
                    "url": f"https://boards.greenhouse.io/acme/jobs/{n}",
                    "locations": [{"raw": "Berlin, Germany"}],
                    "content_hash": "0" * 64,
                    "first_seen_at": T0,
                    "last_seen_at": T0,
                }
                for n in range(postings)
            ],
        )
        posting_ids = list(conn.execute(sa.select(JobPosting.id).order_by(JobPosting.id)).scalars())  # type: ignore[call-overload, arg-type]
    for start in range(0, users, 1000):
        chunk = range(start, min(users, start + 1000))
        with engine.begin() as conn:
            conn.execute(
                sa.insert(User),
                [
                    {
                        "email": f"reader{n}@example.test",
                        "password_hash": "!unusable",
                        "display_name": f"Reader {n}",
                        "timezone": "UTC",
                        "digest_hour": 8,
                        "weekly_day": 0,
                        "is_admin": False,
                        "email_verified_at": T0,
                        "created_at": T0,
                    }
                    for n in chunk
                ],
            )
            user_ids = dict(
                conn.execute(
                    sa.select(User.email, User.id).where(User.email.in_([f"reader{n}@example.test" for n in chunk]))  # type: ignore[attr-defined]
                ).all()
            )
            conn.execute(
                sa.insert(JobAlert),
                [
                    {
                        "user_id": user_ids[f"reader{n}@example.test"],
                        "name": "Python in Berlin",
                        "filters": {"keywords": ["python"]},
                        "frequency": "daily",
                        "channels": ["inbox", "email"],
                        "is_active": True,
                        "created_at": T0,
                        "updated_at": T0,
                    }
                    for n in chunk
                ],
            )
            alert_ids = dict(
                conn.execute(
                    sa.select(JobAlert.user_id, JobAlert.id).where(JobAlert.user_id.in_(list(user_ids.values())))  # type: ignore[attr-defined]
                ).all()
            )
            conn.execute(
                sa.insert(Notification),
                [
                    {
                        "user_id": uid,
                        "posting_id": posting_ids[(n * MATCHES_PER_USER + k) % postings],
                        "alert_ids": [alert_ids[uid]],
                        "created_at": T0 + timedelta(hours=1),
                        "email_status": "pending",
                    }
                    for n, uid in enumerate(user_ids.values(), start=start)
                    for k in range(MATCHES_PER_USER)
                ],
            )
    engine.dispose()


def _start_fake(rate: float, batch: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_resend", "--rate", str(rate), "--batch", str(batch)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        sys.exit(f"the fake Resend did not start: {url!r}")
    return process, url


def _stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/_stats", timeout=10) as response:
        return dict(json.loads(response.read()))


def _throwaway_postgres(admin_url: str) -> tuple[str, str]:
    import sqlalchemy as sa

    from jobwatch.db import make_engine

    name = f"jobwatch_bench_{secrets.token_hex(4)}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False), name


def _drop_postgres(admin_url: str, name: str) -> None:
    import sqlalchemy as sa

    from jobwatch.db import make_engine

    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description="Digest delivery benchmark (issue 6)")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=2.0, help="requests per second the fake allows")
    parser.add_argument("--batch", type=int, default=100, help="emails per batch call")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL (default: a SQLite file)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="jobwatch-bench-digests-"))
    pg_name = None
    if args.database_url:
        url, pg_name = _throwaway_postgres(args.database_url)
    else:
        url = f"sqlite:///{workdir / 'bench.db'}"
    os.environ.update(
        JOBWATCH_DATA_DIR=str(workdir / "data"),
        JOBWATCH_ENV="test",
        SECRET_KEY="bench-" + secrets.token_urlsafe(16),
        APP_URL="https://jobwatch.example",
        DATABASE_URL=url,
        RESEND_API_KEY="re_test_key",
        RESEND_RATE_PER_SECOND=str(args.rate),
        RESEND_BATCH_SIZE=str(args.batch),
    )
    os.environ.pop("REDIS_URL", None)
    fake, fake_url = _start_fake(args.rate, args.batch)
    os.environ["RESEND_API_URL"] = fake_url
    try:
        started = time.perf_counter()
        setup = multiprocessing.get_context("spawn").Process(target=_setup, args=(url, args.users))
        setup.start()
        setup.join()
        if setup.exitcode != 0:
            sys.exit("setup failed")
        print(
            f"setup: {args.users:,} users x {MATCHES_PER_USER} pending matches in {time.perf_counter() - started:.1f} s"
        )

        from jobwatch.services.digests import send_due_digests

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tick = time.perf_counter()
        summary = send_due_digests(now=NOW)
        elapsed = time.perf_counter() - tick
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        stats = _stats(fake_url)
    finally:
        fake.terminate()
        fake.wait()
        if pg_name and args.database_url:
            _drop_postgres(args.database_url, pg_name)

    allowed = args.rate * args.batch
    accepted = stats["emails_accepted"]
    window = (stats["last_accept_at"] or 0) - (stats["first_accept_at"] or 0)
    # N emails need ceil(N / batch) calls, the first at once and each next one interval later.
    calls = -(-accepted // args.batch)
    ideal = max(calls - 1, 0) / args.rate
    print(f"database: {'PostgreSQL' if pg_name else 'SQLite'}; fake Resend: {args.rate:g} req/s x {args.batch}")
    print(
        f"tick: built {summary.built:,}, sent {summary.sent:,}, failed {summary.failed}, retry {summary.retry}, "
        f"batch calls {summary.batches}"
    )
    print(f"fake: requests {stats['requests']} by status {stats['statuses']}, emails accepted {accepted:,}")
    print(
        f"duplicates: addresses with more than one email {stats['duplicate_addresses']}, "
        f"keys acted on twice {stats['keys_accepted_twice']}"
    )
    print(
        f"end to end (build + send): {elapsed:.1f} s, {accepted / elapsed:.1f} emails/s = "
        f"{100 * accepted / elapsed / allowed:.1f} % of the allowed {allowed:g}/s"
    )
    print(
        f"delivery window (first to last acceptance): {window:.1f} s for {calls} calls (the fastest possible: "
        f"{ideal:.1f} s) = {100 * ideal / window if window else 100:.1f} % of the allowed pace"
    )
    print(f"peak memory (max RSS of the tick's process): {rss_peak:.0f} MB (before the tick: {rss_before:.0f} MB)")


if __name__ == "__main__":
    main()
