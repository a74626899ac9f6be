"""Benchmark the matching engine (issue 4): run by hand, not in CI.

    .venv/bin/python -m benchmarks.bench_match                # 10K x 10K with the seed matcher, then 10K x 100K
    .venv/bin/python -m benchmarks.bench_match --alerts 10000 --big-alerts 0
    .venv/bin/python -m benchmarks.bench_match --repeat 3     # each jobwatch run three times: best and spread

1. 10K postings x 10K alerts: jobwatch against the original plan's matcher (`../shared/bench/seed_matcher.py`,
   or `JOBWATCH_SEED_MATCHER`), imported by path, never copied. The seed matcher's cost is linear in
   alerts, so it runs on a sample of alerts and its time is scaled up (said so in the output). The match
   count is printed and checked on a subsample against a brute-force run of the same semantics (every pair
   through the core predicate, no index).
2. 10K postings x 100K alerts: time, peak memory (the process's maximum resident set size) and pairs/s.

jobwatch is timed two ways, both printed:
- `match_all` end to end (what `jobwatch match` runs): compiling the alerts, reading the first postings for
  term statistics, building the index, then tokenizing and matching every posting; pairs collected in a list
  (as the seed matcher returns them).
- as the worker runs: `build` (compile the alerts and index them, with statistics from 1,000 postings) once,
  then `match` (tokenize each posting and match it through the index), since the worker keeps its index
  across batches and only refreshes what changed.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.generator import NOW, Generator
from jobwatch.core.filters import parse_filters
from jobwatch.core.matching import (
    SAMPLE_SIZE,
    AlertIndex,
    TermStatistics,
    compile_alert,
    compile_alerts,
    match_all,
    matches,
    prepare,
)

DEFAULT_SEED_MATCHER = Path(__file__).resolve().parents[2] / "shared" / "bench" / "seed_matcher.py"


def load_seed_matcher() -> ModuleType:
    """The seed matcher module, loaded from its path (`JOBWATCH_SEED_MATCHER` or the default)."""
    path = Path(os.environ.get("JOBWATCH_SEED_MATCHER", DEFAULT_SEED_MATCHER))
    spec = importlib.util.spec_from_file_location("seed_matcher", path)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot load the seed matcher from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_jobwatch(postings: list[Any], alerts: list[tuple[str, dict[str, Any]]]) -> tuple[float, list[tuple[str, str]]]:
    """`match_all` end to end: seconds, and the pairs."""
    parsed = [(alert_id, parse_filters(filters)) for alert_id, filters in alerts]
    gc.collect()
    start = time.perf_counter()
    found = list(match_all(postings, parsed, now=NOW))
    return time.perf_counter() - start, found


def run_worker_style(postings: list[Any], alerts: list[tuple[str, dict[str, Any]]]) -> tuple[float, float, int]:
    """Build the index once, then match every posting through it: (build seconds, match seconds, pairs)."""
    parsed = [(alert_id, parse_filters(filters)) for alert_id, filters in alerts]
    gc.collect()
    start = time.perf_counter()
    sample = [prepare(posting) for posting in postings[:SAMPLE_SIZE]]
    index = AlertIndex(compile_alerts(parsed), stats=TermStatistics(sample))
    built = time.perf_counter()
    del sample
    count = 0
    for posting in postings:
        count += len(index.match(prepare(posting), now=NOW))
    return built - start, time.perf_counter() - built, count


def timed(runs: int, run: Callable[[], Any]) -> tuple[list[Any], str]:
    """`run()` `runs` times; every result, and the spread of the first element (seconds) as text."""
    results = [run() for _ in range(runs)]
    return results, spread([result[0] for result in results])


def spread(seconds: list[float]) -> str:
    """ "best 1.23 s" for one run; with more, the median and range too."""
    if len(seconds) == 1:
        return f"{seconds[0]:.2f} s"
    return (
        f"best {min(seconds):.2f} s, median {statistics.median(seconds):.2f} s, "
        f"range {min(seconds):.2f}-{max(seconds):.2f} s over {len(seconds)} runs"
    )


def brute_force(postings: list[Any], alerts: list[tuple[str, dict[str, Any]]]) -> set[tuple[str, str]]:
    """Every (alert, posting) pair through the core predicate, no index: the same semantics, no pruning."""
    prepared = [prepare(posting) for posting in postings]
    compiled = [compile_alert(alert_id, parse_filters(filters)) for alert_id, filters in alerts]
    return {
        (alert.alert_id, posting.id or "")
        for alert in compiled
        for posting in prepared
        if matches(posting, alert, now=NOW)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--big-alerts", type=int, default=100_000, help="0 skips the second run")
    parser.add_argument("--seed-sample", type=int, default=200, help="alerts the seed matcher really runs")
    parser.add_argument("--check-postings", type=int, default=500)
    parser.add_argument("--check-alerts", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each jobwatch timing (best is used)")
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; generator seed {args.seed}")
    gen = Generator(args.seed)
    start = time.perf_counter()
    postings = gen.postings(args.postings)
    alerts = gen.alerts(max(args.alerts, args.big_alerts))
    size = sum(len(p.description_text or "") for p in postings) / len(postings)
    print(
        f"generated {len(postings):,} postings (descriptions {size:,.0f} chars on average) and "
        f"{len(alerts):,} alerts in {time.perf_counter() - start:.1f} s"
    )

    # 1. 10K x 10K, jobwatch and the seed matcher side by side.
    small = alerts[: args.alerts]
    pairs = len(postings) * len(small)
    print(f"\n== {len(postings):,} postings x {len(small):,} alerts ==")
    runs, text = timed(args.repeat, lambda: run_jobwatch(postings, small))
    elapsed = min(seconds for seconds, _ in runs)
    found = set(runs[0][1])
    del runs
    print(f"jobwatch match_all, end to end: {text}  {len(found):,} matches  {pairs / elapsed:,.0f} pairs/s")
    worker, _ = timed(args.repeat, lambda: run_worker_style(postings, small))
    builds = [build for build, _, _ in worker]
    matched = [match for _, match, _ in worker]
    assert all(count == len(found) for _, _, count in worker)
    print(f"jobwatch as the worker: build {spread(builds)}; match {spread(matched)}")

    seed = load_seed_matcher()
    jobs = [{**posting.to_json(), "id": posting.id} for posting in postings]
    sample = [{"id": alert_id, "filters": filters} for alert_id, filters in small[: args.seed_sample]]
    start = time.perf_counter()
    seed_pairs = seed.match_all(jobs, sample, NOW)
    seed_sample_time = time.perf_counter() - start
    seed_time = seed_sample_time * len(small) / len(sample)
    print(
        f"seed matcher: {seed_time:8.2f} s  (timed on {len(sample):,} of {len(small):,} alerts: "
        f"{seed_sample_time:.2f} s, scaled linearly; {len(seed_pairs):,} matches on the sample, with its old "
        "substring semantics)"
    )
    print(
        f"ratio:        {seed_time / elapsed:8.0f}x faster end to end (best run); "
        f"{seed_time / min(matched):.0f}x for the worker's match with its index built (best run)"
    )

    check_postings = postings[: args.check_postings]
    check_alerts = small[: args.check_alerts]
    start = time.perf_counter()
    expected = brute_force(check_postings, check_alerts)
    check_ids = {p.id for p in check_postings}
    check_alert_ids = {alert_id for alert_id, _ in check_alerts}
    got = {(a, p) for a, p in found if p in check_ids and a in check_alert_ids}
    verdict = "equal" if got == expected else f"DIFFERENT ({len(got ^ expected)} pairs differ)"
    print(
        f"check:        {len(check_postings):,} postings x {len(check_alerts):,} alerts brute force "
        f"({time.perf_counter() - start:.1f} s): {len(expected):,} matches, engine's answer {verdict}"
    )
    if got != expected:
        sys.exit(1)

    # 2. 10K x 100K.
    if args.big_alerts:
        del jobs, seed_pairs, found
        gc.collect()
        before = peak_rss_mb()
        big = alerts[: args.big_alerts]
        pairs = len(postings) * len(big)
        print(f"\n== {len(postings):,} postings x {len(big):,} alerts ==")
        runs, text = timed(args.repeat, lambda: run_jobwatch(postings, big))
        elapsed = min(seconds for seconds, _ in runs)
        count = len(runs[0][1])
        del runs
        gc.collect()
        print(
            f"jobwatch match_all, end to end: {text}  {count:,} matches  {pairs / elapsed:,.0f} pairs/s  "
            f"peak RSS {peak_rss_mb():,.0f} MB (was {before:,.0f} MB before this run, with the data generated)"
        )
        worker, _ = timed(args.repeat, lambda: run_worker_style(postings, big))
        assert all(found_count == count for _, _, found_count in worker)
        builds = [build for build, _, _ in worker]
        matched = [match for _, match, _ in worker]
        print(
            f"jobwatch as the worker: build {spread(builds)}; match {spread(matched)}  "
            f"{pairs / min(matched):,.0f} pairs/s; peak RSS {peak_rss_mb():,.0f} MB"
        )


if __name__ == "__main__":
    main()
