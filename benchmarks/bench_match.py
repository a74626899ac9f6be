"""Benchmark the matching engine (issue 4): run by hand, not in CI.

    .venv/bin/python -m benchmarks.bench_match --repeat 3   # 10K x 10K with the seed matcher, then 10K x 100K
    .venv/bin/python -m benchmarks.bench_match --big-alerts 0          # only 10K x 10K
    .venv/bin/python -m benchmarks.bench_match --alerts 0              # only 10K x 100K

1. 10K postings x 10K alerts: jobwatch against the original plan's matcher (`../shared/bench/seed_matcher.py`,
   or `JOBWATCH_SEED_MATCHER`), imported by path, never copied. The seed matcher's cost is linear in
   alerts, so it runs on a sample of alerts and its time is scaled up (said so in the output). The match
   count is printed and checked on a subsample against a brute-force run of the same semantics (every pair
   through the core predicate, no index).
2. 10K postings x 100K alerts: time, peak memory (the process's maximum resident set size) and pairs/s.

jobwatch is timed two ways, both printed with the ratio to the seed matcher for each:
- *end to end*: `match_all`, what `jobwatch match` runs on raw postings and alerts: compile the alerts, read
  the first postings for term statistics, build the index, then tokenize and match every posting; pairs
  collected in a list (as the seed matcher returns them).
- *with the index built*: as the worker runs, `build` (compile and index the alerts, with statistics from
  1,000 postings) once, then `match` (tokenize each raw posting and match it through the index), since the
  worker keeps its index across batches and only refreshes what changed.

The machine is shared, so each round runs jobwatch and then the seed matcher's sample back to back and the
ratios compare the best rounds; every figure gives wall time and the process's CPU time (`cpu`), which
other processes' load disturbs much less.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.generator import NOW, Generator
from jobwatch.core.filters import AlertFilters, parse_filters
from jobwatch.core.matching import (
    SAMPLE_SIZE,
    AlertIndex,
    TermStatistics,
    collector_paused,
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


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall-clock and process CPU seconds of one measured step."""

    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:.2f} s (cpu {self.cpu:.2f} s)"

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.cpu + other.cpu)


class Clock:
    """Starts at creation; `lap()` gives the `Timing` since the previous lap (or the start)."""

    def __init__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self) -> Timing:
        wall, cpu = time.perf_counter(), time.process_time()
        timing = Timing(wall - self._wall, cpu - self._cpu)
        self._wall, self._cpu = wall, cpu
        return timing


def best(timings: list[Timing]) -> Timing:
    """The fastest run by wall time."""
    return min(timings, key=lambda timing: timing.wall)


def spread(timings: list[Timing]) -> str:
    """ "1.23 s (cpu 1.20 s)" for one run; with more, the best run and the range of wall times."""
    if len(timings) == 1:
        return str(timings[0])
    walls = [timing.wall for timing in timings]
    return f"{best(timings)} best of {len(walls)}, range {min(walls):.2f}-{max(walls):.2f} s"


def run_end_to_end(postings: list[Any], alerts: list[tuple[str, AlertFilters]]) -> tuple[Timing, list[tuple[str, str]]]:
    """`match_all` end to end on raw postings and parsed filters: the timing, and the pairs."""
    gc.collect()
    clock = Clock()
    found = list(match_all(postings, alerts, now=NOW))
    return clock.lap(), found


def run_worker_style(postings: list[Any], alerts: list[tuple[str, AlertFilters]]) -> tuple[Timing, Timing, int]:
    """Build the index once, then match every raw posting through it: (build, match, pair count)."""
    gc.collect()
    clock = Clock()
    with collector_paused():  # as `match_all` and the worker's refresh build it
        sample = [prepare(posting) for posting in postings[:SAMPLE_SIZE]]
        index = AlertIndex(compile_alerts(alerts), stats=TermStatistics(sample))
        del sample
    built = clock.lap()
    count = 0
    with collector_paused():  # as the worker matches a batch
        for posting in postings:
            count += len(index.match(prepare(posting), now=NOW))
    return built, clock.lap(), count


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
    parser.add_argument("--alerts", type=int, default=10_000, help="0 skips the first run")
    parser.add_argument("--big-alerts", type=int, default=100_000, help="0 skips the second run")
    parser.add_argument("--seed-sample", type=int, default=200, help="alerts the seed matcher really runs")
    parser.add_argument("--check-postings", type=int, default=500)
    parser.add_argument("--check-alerts", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of each timing (the best is used)")
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load_average()}; seed {args.seed}")
    gen = Generator(args.seed)
    clock = Clock()
    postings = gen.postings(args.postings)
    alerts = gen.alerts(max(args.alerts, args.big_alerts))
    parsed = [(alert_id, parse_filters(filters)) for alert_id, filters in alerts]
    size = sum(len(p.description_text or "") for p in postings) / len(postings)
    print(
        f"generated {len(postings):,} postings (descriptions {size:,.0f} chars on average) and "
        f"{len(alerts):,} alerts in {clock.lap().wall:.1f} s"
    )
    if args.alerts:
        compare_with_seed(args, postings, alerts[: args.alerts], parsed[: args.alerts])
    if args.big_alerts:
        gc.collect()
        big_run(args, postings, parsed[: args.big_alerts])
    print(f"load average at the end: {load_average()}")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def compare_with_seed(
    args: argparse.Namespace,
    postings: list[Any],
    alerts: list[tuple[str, dict[str, Any]]],
    parsed: list[tuple[str, AlertFilters]],
) -> None:
    """Part 1: jobwatch both ways and the seed matcher, round by round; ratios, match count and the check."""
    pairs = len(postings) * len(alerts)
    print(f"\n== {len(postings):,} postings x {len(alerts):,} alerts ==")
    seed = load_seed_matcher()
    jobs = [{**posting.to_json(), "id": posting.id} for posting in postings]
    sample = [{"id": alert_id, "filters": filters} for alert_id, filters in alerts[: args.seed_sample]]
    scale = len(alerts) / len(sample)
    ends, builds, matched, seeds = [], [], [], []
    found: set[tuple[str, str]] = set()
    seed_count = 0
    for _ in range(args.repeat):
        timing, pairs_found = run_end_to_end(postings, parsed)
        ends.append(timing)
        found = set(pairs_found)
        del pairs_found
        build, match, count = run_worker_style(postings, parsed)
        assert count == len(found), (count, len(found))
        builds.append(build)
        matched.append(match)
        gc.collect()
        clock = Clock()
        seed_count = len(seed.match_all(jobs, sample, NOW))
        seeds.append(clock.lap())
    seed_best = best(seeds)
    seed_time = Timing(seed_best.wall * scale, seed_best.cpu * scale)
    end, match = best(ends), best(matched)
    print(f"jobwatch end to end (match_all):   {spread(ends)}  {len(found):,} matches  {pairs / end.wall:,.0f} pairs/s")
    print(f"jobwatch with the index built:     match {spread(matched)}  {pairs / match.wall:,.0f} pairs/s")
    print(f"  (building that index:            {spread(builds)})")
    print(
        f"seed matcher:                      {seed_time}  (timed on {len(sample):,} of {len(alerts):,} alerts: "
        f"{spread(seeds)}, scaled linearly; {seed_count:,} matches on the sample, old substring semantics)"
    )
    print(
        f"ratio end to end:                  {seed_time.wall / end.wall:.0f}x (cpu {seed_time.cpu / end.cpu:.0f}x)"
        "  target 100x"
    )
    print(
        f"ratio with the index built:        {seed_time.wall / match.wall:.0f}x (cpu {seed_time.cpu / match.cpu:.0f}x)"
    )

    check_postings = postings[: args.check_postings]
    check_alerts = alerts[: args.check_alerts]
    clock = Clock()
    expected = brute_force(check_postings, check_alerts)
    check_ids = {p.id for p in check_postings}
    check_alert_ids = {alert_id for alert_id, _ in check_alerts}
    got = {(a, p) for a, p in found if p in check_ids and a in check_alert_ids}
    verdict = "equal" if got == expected else f"DIFFERENT ({len(got ^ expected)} pairs differ)"
    print(
        f"check: {len(check_postings):,} postings x {len(check_alerts):,} alerts brute force "
        f"({clock.lap().wall:.1f} s): {len(expected):,} matches, engine's answer {verdict}"
    )
    if got != expected:
        sys.exit(1)


def big_run(args: argparse.Namespace, postings: list[Any], parsed: list[tuple[str, AlertFilters]]) -> None:
    """Part 2: jobwatch both ways on many alerts, with peak memory."""
    before = peak_rss_mb()
    pairs = len(postings) * len(parsed)
    print(f"\n== {len(postings):,} postings x {len(parsed):,} alerts ==")
    ends, builds, matched = [], [], []
    count = 0
    for _ in range(args.repeat):
        timing, found = run_end_to_end(postings, parsed)
        ends.append(timing)
        count = len(found)
        del found
        build, match, found_count = run_worker_style(postings, parsed)
        assert found_count == count, (found_count, count)
        builds.append(build)
        matched.append(match)
    totals = [build + match for build, match in zip(builds, matched, strict=True)]
    end, match = best(ends), best(matched)
    print(f"jobwatch end to end (match_all):   {spread(ends)}  {count:,} matches  {pairs / end.wall:,.0f} pairs/s")
    print(f"jobwatch with the index built:     match {spread(matched)}  {pairs / match.wall:,.0f} pairs/s  target 10 s")
    print(f"  building that index:             {spread(builds)}; build + match {spread(totals)}")
    print(
        f"peak memory: {peak_rss_mb():,.0f} MB resident (the process's maximum, generated data included; "
        f"{before:,.0f} MB before this part)  target < 2,048 MB"
    )


if __name__ == "__main__":
    main()
