"""Benchmark the app in a real browser over 100K stored postings (issue 8): run by hand, not in CI.

    .venv/bin/python -m benchmarks.bench_browser                        # SQLite, 100K postings, 40 drafts
    .venv/bin/python -m benchmarks.bench_browser --databases sqlite,postgres
    .venv/bin/python -m benchmarks.bench_browser --keep                 # keep the filled database, print its URL
    .venv/bin/python -m benchmarks.bench_browser --url sqlite:////tmp/jobwatch-bench-x/bench.db   # reuse it

What it does, per database: a throwaway database (a temporary SQLite file, or a PostgreSQL database created on
`JOBWATCH_BENCH_POSTGRES_URL` and dropped at the end; `benchmarks.bench_preview.database`) is filled with
generated postings through `ingest_postings` (the same columns and search tokens / FTS rows as a scrape
writes), dated up to now so "Posted within" means what it says; one verified user gets five alerts, 60 unread
inbox items and a digest in the local outbox. `jobwatch serve` (the production build, as the browser tests run
it) serves that database; headless Chromium (Debian's `/usr/bin/chromium`) logs in and measures:

- **Preview latency**: on `/alerts/new`, for each draft (drawn like the generator's alerts), every field but
  one is filled and the page left to settle (no event in flight, no keystroke for 500 ms); then the last field
  is typed key by key (60 ms apart, like a quick typist). Measured in the page's clock: from the `keydown` of
  the last keystroke to the first animation frame after the websocket delivered the preview of the finished
  draft (the response to the `set_field` event sent after that keystroke). This includes the builder's
  debounce (`DEBOUNCE_MS`, 350 ms), the round trip, the server's `preview()` and React's render; the part
  after the debounce (event sent -> painted) is printed too. Target p95 <= 500 ms.
- **Time to interactive** of each page: `page.goto`, then, in the page's clock from navigation start
  (`performance.timeOrigin`), the first animation frame at which the page's main control (for example the
  `Keywords` field of `/alerts/new`, the `Board` field of `/boards`) is in the DOM, visible and enabled and the
  Reflex state is hydrated (the websocket delivered `is_hydrated = true`). Protected pages show their content
  only after the server checked the session, so this includes that round trip. Each page is loaded
  `--loads` times: the first load of the run fetches the JavaScript cold; the median is with a warm cache.

It also prints the peak resident memory of the server's process tree (summed RSS, sampled every 250 ms).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

import benchmarks.generator as generator
from benchmarks.bench_preview import database
from benchmarks.generator import Generator
from jobwatch.db import make_engine
from jobwatch.models import Board, JobPosting, Notification, OutboxMessage, User
from jobwatch.services.accounts import create_user
from jobwatch.services.alerts import create_alert
from jobwatch.storage import ingest_postings
from jobwatch.ui.pages.alerts import DEBOUNCE_MS

EMAIL = "bench@example.test"
PASSWORD = "correct horse battery staple"
TYPE_DELAY_MS = 60

#: Runs in every page before its scripts: records when the websocket delivered the hydrated state, how many
#: builder events were sent and answered, and the last keystroke, all in the page's clock.
PROBE = r"""
(() => {
  const w = window;
  w.__jw = {sent: 0, answered: 0, sentAt: 0, answeredAt: 0, paintAt: 0, keyAt: 0, inputAt: 0, hydratedAt: undefined};
  document.addEventListener("keydown", () => { w.__jw.keyAt = performance.now(); }, true);
  for (const kind of ["input", "click"]) {
    document.addEventListener(kind, () => { w.__jw.inputAt = performance.now(); }, true);
  }
  const Native = w.WebSocket;
  class Probe extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const data = typeof event.data === "string" ? event.data : "";
        if (w.__jw.hydratedAt === undefined && /"is_hydrated_rx_state_":\s*true/.test(data)) {
          w.__jw.hydratedAt = performance.now();
        }
        if (data.includes("preview_count")) {
          w.__jw.answered += 1;
          w.__jw.answeredAt = performance.now();
          requestAnimationFrame(() => { w.__jw.paintAt = performance.now(); });
        }
      });
    }
    send(data) {
      if (typeof data === "string" && /set_field|set_remote_only/.test(data)) {
        w.__jw.sent += 1;
        w.__jw.sentAt = performance.now();
      }
      return super.send(data);
    }
  }
  w.WebSocket = Probe;
})();
"""


#: Each page's main control, as a JS expression giving the element (or null).
def _by_text(tag: str, text: str) -> str:
    return f"[...document.querySelectorAll('{tag}')].find(e => e.textContent.trim() === {text!r})"


PAGES: list[tuple[str, str, str]] = [
    ("/login", "Log in button", _by_text("button", "Log in")),
    ("/alerts", "New alert button", "document.querySelector('a[href=\"/alerts/new\"] button')"),
    ("/alerts/new", "Keywords field", "document.getElementById('keywords')"),
    ("/inbox", "Mark all read button", _by_text("button", "Mark all read")),
    ("/jobs", "search field", "document.getElementById('q')"),
    ("/boards", "Board field", "document.getElementById('board')"),
    ("/settings", "Save settings button", _by_text("button", "Save settings")),
    ("/emails", "first email", "document.querySelector('main button')"),
]
READY = """(control) => {
  const el = (CONTROL);
  const ok = el && el.offsetParent !== null && !el.disabled && window.__jw && window.__jw.hydratedAt !== undefined;
  return ok ? performance.now() : false;
}"""

#: The builder's text fields by filter key (the field's label), in the form's order.
FIELDS: dict[str, str] = {
    "keywords": "Keywords",
    "title_keywords": "Title keywords",
    "exclude_keywords": "Exclude keywords",
    "companies": "Companies",
    "locations": "Locations",
    "departments": "Departments",
    "employment_types": "Employment types",
    "min_posted_days_ago": "Posted within (days)",
    "salary_min": "Minimum salary",
}
#: The field typed last, key by key: the first of these the draft has (what the user is looking for).
TYPED_LAST = ("keywords", "title_keywords", "companies", "departments", "locations")


def field_text(key: str, value: Any) -> str:
    """A filter value as a person types it into the builder."""
    if key == "employment_types":
        return ", ".join(str(v).replace("_", " ") for v in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def fill(url: str, count: int, now: datetime) -> float:
    """Store `count` generated postings (one board per company), dated up to `now`; returns seconds."""
    generator.NOW = now  # the generator dates postings up to its NOW
    gen = Generator(1)
    engine = make_engine(url)
    start = time.perf_counter()
    by_board: dict[str, list[Any]] = {}
    for posting in gen.postings(count):
        by_board.setdefault(posting.board or "", []).append(posting)
    with Session(engine) as session:
        for token, items in by_board.items():
            board = Board(key=f"greenhouse:{token}", ats="greenhouse", token=token)
            session.add(board)
            session.flush()
            ingest_postings(session=session, board=board, postings=items, complete=False, now=now)
        session.commit()
        if url.startswith("postgresql"):
            from sqlalchemy import text

            session.exec(text("ANALYZE job_posting"))  # type: ignore[call-overload]
            session.commit()
    engine.dispose()
    return time.perf_counter() - start


def seed_user(url: str, now: datetime) -> None:
    """One verified user with five alerts, 60 unread inbox items and one digest in the local outbox."""
    from jobwatch.core.digests import DigestPosting, build_digest
    from jobwatch.mail.render import render_digest

    engine = make_engine(url)
    with Session(engine) as session:
        if session.exec(select(User).where(User.email == EMAIL)).first() is not None:
            return
        user = create_user(session=session, email=EMAIL, password=PASSWORD)
        user.email_verified_at = now
        alert_ids = [
            create_alert(session=session, user_id=user.id or 0, name=f"Alert {n + 1}", filters=filters).id
            for n, (_, filters) in enumerate(Generator(11).alerts(5))
        ]
        newest = session.exec(select(JobPosting).order_by(col(JobPosting.posted_at).desc()).limit(60)).all()
        for posting in newest:
            session.add(
                Notification(
                    user_id=user.id or 0, posting_id=posting.id or 0, alert_ids=alert_ids[:1], email_status="sent"
                )
            )
        shown = [
            DigestPosting(title=p.title, company=p.company, location="", url=p.url, posted_at=p.posted_at)
            for p in newest[:12]
        ]
        content = build_digest(
            [("Alert 1", shown)],
            max_per_alert=10,
            greeting_name=None,
            links={"inbox": "/inbox", "alerts": "/alerts", "unsubscribe": "/unsubscribe?token=x"},
        )
        rendered = render_digest(content)
        session.add(
            OutboxMessage(
                to_email=EMAIL,
                from_email="jobwatch <jobwatch@localhost>",
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
            )
        )
        session.commit()
    engine.dispose()


@contextmanager
def peak_rss(root: int) -> Iterator[list[int]]:
    """Sample the summed RSS (bytes) of process `root` and all its descendants every 250 ms; `[peak]` after.

    (`jobwatch serve` runs Reflex in a session of its own, so a process group would miss it.)
    """
    peak = [0]
    stop = threading.Event()
    page = os.sysconf("SC_PAGE_SIZE")

    def tree_rss() -> int:
        parent: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    parent[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        members, frontier = {root}, [root]
        while frontier:
            current = frontier.pop()
            for pid, ppid in parent.items():
                if ppid == current and pid not in members:
                    members.add(pid)
                    frontier.append(pid)
        total = 0
        for pid in members:
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
            except (OSError, ValueError, IndexError):
                continue
        return total

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss())
            stop.wait(0.25)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile (0-1) by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(q * len(ordered))) - 1)]


def log_in(page: Any, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/alerts/?$"))


def time_to_interactive(page: Any, base: str, loads: int) -> list[tuple[str, str, list[float]]]:
    """`(path, control, [ms per load])` for every page of `PAGES`."""
    results = []
    for path, control, expression in PAGES:
        times = []
        for _ in range(loads):
            page.goto(f"{base}{path}", wait_until="commit")
            handle = page.wait_for_function(READY.replace("CONTROL", expression), polling="raf", timeout=60_000)
            times.append(float(handle.json_value()))
        results.append((path, control, times))
        if path == "/login":
            log_in(page, base)
    return results


def preview_latency(page: Any, base: str, drafts: list[dict[str, Any]]) -> tuple[list[float], list[float], list[str]]:
    """Per draft: ms from the last keystroke to the painted preview; ms from the event's send (after the
    debounce) to the painted preview; the preview's text."""
    latencies: list[float] = []
    round_trips: list[float] = []
    shown: list[str] = []
    # Nothing in flight and nothing typed, clicked or sent for 500 ms (longer than the 350 ms debounce).
    settled = (
        "() => { const j = window.__jw; return j.sent === j.answered"
        " && performance.now() - Math.max(j.keyAt, j.inputAt, j.sentAt) > 500; }"
    )
    for filters in drafts:
        page.goto(f"{base}/alerts/new", wait_until="commit")
        page.wait_for_function(
            READY.replace("CONTROL", "document.getElementById('keywords')"), polling="raf", timeout=60_000
        )
        # The page's own load answered with the builder's fields; count this draft's events from here.
        page.evaluate("window.__jw.sent = 0; window.__jw.answered = 0")
        last = next(k for k in TYPED_LAST if filters.get(k))
        page.get_by_label("Name", exact=True).fill("Benchmark draft")
        for key, label in FIELDS.items():
            if key != last and filters.get(key) not in (None, []):
                page.get_by_label(label, exact=True).fill(field_text(key, filters[key]))
        if filters.get("is_remote"):
            page.get_by_label("Remote only").click()  # controlled: it ticks when the server answers
        page.wait_for_function(settled, polling=50, timeout=60_000)
        sent_before = page.evaluate("window.__jw.sent")
        target = page.get_by_label(FIELDS[last], exact=True)
        target.click()
        target.press_sequentially(field_text(last, filters[last]), delay=TYPE_DELAY_MS)
        handle = page.wait_for_function(
            f"""() => {{
              const j = window.__jw;
              const done = j.sent > {sent_before} && j.sentAt > j.keyAt && j.answered === j.sent
                && j.answeredAt > j.sentAt && j.paintAt > j.answeredAt;
              return done ? [j.paintAt - j.keyAt, j.paintAt - j.sentAt] : false;
            }}""",
            polling=20,
            timeout=60_000,
        )
        total, after_send = handle.json_value()
        latencies.append(float(total))
        round_trips.append(float(after_send))
        shown.append(page.get_by_role("region", name="Preview").inner_text())
    return latencies, round_trips, shown


def run(url: str, args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, serve

    drafts = [filters for _, filters in Generator(args.seed + 7).alerts(args.drafts)]
    drafts = [d for d in drafts if any(d.get(k) for k in TYPED_LAST)]
    with tempfile.TemporaryDirectory(prefix="jobwatch-bench-browser-") as base:
        started = time.perf_counter()
        with serve(Path(base), env={"DATABASE_URL": url}) as server, peak_rss(server.process.pid) as peak:
            print(f"  jobwatch serve (production build, cold .web) up in {time.perf_counter() - started:.0f} s")
            with sync_playwright() as playwright:
                context = playwright.chromium.launch_persistent_context(
                    str(Path(base) / "profile"),
                    executable_path=str(CHROMIUM),
                    args=CHROMIUM_ARGS,
                    headless=True,
                    viewport={"width": 1280, "height": 900},
                )
                context.add_init_script(PROBE)
                context.set_default_timeout(60_000)
                page = context.pages[0] if context.pages else context.new_page()
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                tti = time_to_interactive(page, server.url, args.loads)
                latencies, round_trips, shown = preview_latency(page, server.url, drafts)
                context.close()
        print(f"  time to interactive ({args.loads} loads each; the first load of /login has a cold cache):")
        for path, control, times in tti:
            print(
                f"    {path:12} first {times[0]:6.0f} ms, median {statistics.median(times):6.0f} ms, "
                f"max {max(times):6.0f} ms  (until the {control} is enabled and the state hydrated)"
            )
        counts = [int(m.group(1).replace(",", "")) for s in shown if (m := re.search(r"([\d,]+)\+? matching", s))]
        print(
            f"  preview, last keystroke -> painted preview ({len(latencies)} drafts, {TYPE_DELAY_MS} ms between keys, "
            f"{DEBOUNCE_MS} ms debounce included): p50 {statistics.median(latencies):.0f} ms, "
            f"p95 {percentile(latencies, 0.95):.0f} ms, max {max(latencies):.0f} ms; "
            f"after the debounce (send -> paint): p50 {statistics.median(round_trips):.0f} ms, "
            f"p95 {percentile(round_trips, 0.95):.0f} ms"
        )
        median_count = statistics.median(counts) if counts else 0
        print(f"  median count shown {median_count:.0f} ({len(counts)} of {len(shown)} drafts showed a count)")
        print(f"  peak server memory (summed RSS of its process tree, sampled): {peak[0] / 2**20:.0f} MB")
        if errors:
            print(f"  browser errors: {errors[:5]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--drafts", type=int, default=40)
    parser.add_argument("--loads", type=int, default=5, help="loads of each page for time to interactive")
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the filled databases and print their URLs")
    parser.add_argument("--url", help="use this already filled database instead of filling a new one")
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    print(f"load average {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs", file=sys.stderr)
    if args.url:
        seed_user(args.url, now)
        print(f"{make_url(args.url).get_backend_name()} (kept database)")
        run(args.url, args)
        return
    for kind in [name.strip() for name in args.databases.split(",") if name.strip()]:
        with database(kind, keep=args.keep) as url:
            seconds = fill(url, args.postings, now)
            seed_user(url, now)
            print(
                f"{kind}: {args.postings:,} postings stored in {seconds:.0f} s"
                + (f" (kept: {url})" if args.keep else "")
            )
            run(url, args)


if __name__ == "__main__":
    main()
