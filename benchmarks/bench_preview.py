"""Benchmark the live preview over stored postings on SQLite and PostgreSQL (issue 4): run by hand.

    .venv/bin/python -m benchmarks.bench_preview                     # 100K postings, 200 drafts, both databases
    .venv/bin/python -m benchmarks.bench_preview --postings 20000 --databases sqlite
    .venv/bin/python -m benchmarks.bench_preview --keep                      # keep the filled databases
    .venv/bin/python -m benchmarks.bench_preview --url sqlite:////tmp/x/bench.db --repeat 3   # measure again

Each database is a throwaway one (a temporary SQLite file; a PostgreSQL database created on
`JOBWATCH_BENCH_POSTGRES_URL`, default `postgresql+psycopg://postgres@127.0.0.1:5432/postgres`, and dropped
at the end), migrated with the project's Alembic history and filled through `ingest_postings` (which stores
the search documents). Drafts are drawn like the generator's alerts; the script prints p50/p95/max latency of
`preview()` (count up to 1,000 and the newest 50) and how many drafts hit the cap.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from benchmarks.generator import NOW, Generator
from jobwatch import migrations
from jobwatch.db import make_engine
from jobwatch.models import Board
from jobwatch.services.alerts import preview
from jobwatch.storage import ingest_postings

POSTGRES_URL = os.environ.get("JOBWATCH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def database(kind: str, *, keep: bool = False) -> Iterator[str]:
    """A migrated, empty throwaway database; removed afterwards unless `keep`."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="jobwatch-bench-")
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrations.upgrade(url)
        try:
            yield url
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)
        return
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"jobwatch_bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url)
        yield url
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fill(url: str, gen: Generator, count: int) -> float:
    """Store `count` generated postings (one board per company), returns seconds."""
    engine = make_engine(url)
    start = time.perf_counter()
    postings = gen.postings(count)
    by_board: dict[str, list] = {}
    for posting in postings:
        by_board.setdefault(posting.board or "", []).append(posting)
    with Session(engine) as session:
        for token, items in by_board.items():
            board = Board(key=f"greenhouse:{token}", ats="greenhouse", token=token)
            session.add(board)
            session.flush()
            ingest_postings(session=session, board=board, postings=items, complete=False, now=NOW)
        session.commit()
        if url.startswith("postgresql"):
            session.exec(text("ANALYZE job_posting"))  # type: ignore[call-overload]
            session.commit()
    engine.dispose()
    return time.perf_counter() - start


def measure(url: str, drafts: list[dict]) -> tuple[list[float], int, list[int]]:
    engine = make_engine(url)
    latencies: list[float] = []
    capped = 0
    counts: list[int] = []
    with Session(engine) as session:
        for filters in drafts[:5]:  # warm the caches
            preview(session=session, filters=filters, now=NOW)
        for filters in drafts:
            start = time.perf_counter()
            result = preview(session=session, filters=filters, now=NOW)
            latencies.append((time.perf_counter() - start) * 1000)
            capped += result.capped
            counts.append(result.count)
    engine.dispose()
    return latencies, capped, counts


def report(label: str, latencies: list[float], capped: int, counts: list[int]) -> None:
    latencies = sorted(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"{label}: p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms; "
        f"median count {statistics.median(counts):.0f}, {capped} capped at 1,000+"
    )


def measure_all(label: str, url: str, drafts: list[dict], repeat: int) -> None:
    for run in range(repeat):
        latencies, capped, counts = measure(url, drafts)
        report(f"{label} run {run + 1}" if repeat > 1 else label, latencies, capped, counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--drafts", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="measurements of the same drafts, each printed")
    parser.add_argument("--keep", action="store_true", help="keep the filled databases and print their URLs")
    parser.add_argument("--url", help="measure this already filled database instead of filling new ones")
    args = parser.parse_args()
    drafts = [filters for _, filters in Generator(args.seed + 7).alerts(args.drafts)]
    if args.url:
        measure_all(make_url(args.url).get_backend_name(), args.url, drafts, args.repeat)
        return
    for kind in [name.strip() for name in args.databases.split(",") if name.strip()]:
        gen = Generator(args.seed)
        with database(kind, keep=args.keep) as url:
            seconds = fill(url, gen, args.postings)
            label = f"{kind:8} {args.postings:,} postings (stored in {seconds:.0f} s), {len(drafts)} drafts"
            if args.keep:
                print(f"kept {url}")
            measure_all(label, url, drafts, args.repeat)


if __name__ == "__main__":
    main()
