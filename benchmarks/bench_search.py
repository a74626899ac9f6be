"""Benchmark: the `/jobs` search with its facets, and the builder's suggestions, over generated postings.

Prints the median and p95 of one search (count, one page and every facet, as the page asks for them) for a
mix of requests, and the time of `builder_suggestions` (read once per builder load). Run by hand:

    .venv/bin/python -m benchmarks.bench_search [--postings 100000] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlmodel import Session

from benchmarks.bench_preview import NOW, database, fill
from benchmarks.generator import Generator
from jobwatch.db import make_engine
from jobwatch.services import postings_search
from jobwatch.services.postings_search import SearchRequest, builder_suggestions, search_postings

REQUESTS = [
    SearchRequest(),
    SearchRequest(text="python"),
    SearchRequest(text="data engineer"),
    SearchRequest(text="engineer", countries=("DE",)),
    SearchRequest(workplaces=("remote",), employment_types=("full_time",)),
    SearchRequest(text="backend, frontend", posted_within=30),
    SearchRequest(text='"site reliability"', departments=("Engineering",)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the filled database and print its URL")
    parser.add_argument("--url", help="measure an existing database (filled by an earlier --keep run)")
    args = parser.parse_args()
    if args.url:
        measure(args.url, args.repeat)
        return
    with database(args.database, keep=args.keep) as url:
        seconds = fill(url, Generator(seed=1), args.postings)
        print(f"stored {args.postings:,} postings in {seconds:.1f} s ({args.database}): {url}")
        measure(url, args.repeat)


def measure(url: str, repeat: int) -> None:
    """Time the searches of `REQUESTS` (`repeat` rounds) and the builder's suggestions on database `url`.

    The facet cache is off: every search counts its facets (the page reuses counts for a minute)."""
    postings_search.FACET_CACHE_SECONDS = 0
    engine = make_engine(url)
    with Session(engine) as session:
        timings: list[float] = []
        for _ in range(repeat):
            for request in REQUESTS:
                start = time.perf_counter()
                result = search_postings(session=session, request=request, now=NOW)
                timings.append(time.perf_counter() - start)
                if _ == 0:
                    print(f"  {request.text or '-':>22} {timings[-1] * 1000:7.1f} ms  {result.total:,} found")
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(f"search with facets: median {statistics.median(timings) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
        start = time.perf_counter()
        found = builder_suggestions(session=session)
        took = time.perf_counter() - start
        sizes = f"{len(found.companies)} companies, {len(found.locations)} places"
        print(f"builder suggestions: {took * 1000:.0f} ms ({sizes})")
    engine.dispose()


if __name__ == "__main__":
    main()
