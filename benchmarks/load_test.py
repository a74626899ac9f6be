"""Load test of the production build on PostgreSQL (issue 9): run by hand, not in CI.

    .venv/bin/python -m benchmarks.load_test                        # 10K users, 100K postings, all three phases
    .venv/bin/python -m benchmarks.load_test --users 2000 --postings 20000 --duration 20   # a quick look
    .venv/bin/python -m benchmarks.load_test --keep                  # keep the database (prints its URL)
    .venv/bin/python -m benchmarks.load_test --url postgresql+psycopg://postgres@127.0.0.1:5432/jobwatch_bench_x

Sets up a throwaway PostgreSQL database (created on `JOBWATCH_BENCH_POSTGRES_URL`, default
`postgresql+psycopg://postgres@127.0.0.1:5432/postgres`, dropped at the end unless `--keep`), migrated with
the project's Alembic history and filled through the existing bulk paths: 100K generated postings through
`ingest_postings` (as `benchmarks.bench_preview` does, search documents included), then 10K verified users in
bulk inserts, each with one or two alerts drawn like real users' (`benchmarks.generator`), 20 inbox items
and a live login session. Then it starts `jobwatch serve` (the production build, one port, its own data
folder and frontend build) on a free loopback port against that database, and measures three things, each
with its own concurrency and printed as p50 / p95 / max latency, throughput and errors:

1. **HTTP**: `--http-users` simulated users (threads with keep-alive connections) load the pages a browser
   loads at first (`/inbox/`, `/alerts/new/`, `/alerts/`, `/jobs/`, each followed by its scripts and
   styles) for `--duration` seconds. These are the compiled frontend's files: what the server does per visit
   before the websocket opens.
2. **Events, real**: `--browsers` concurrent signed-in users in headless Chromium (Debian's, never a
   downloaded one), each in its own browser context with its own session cookie, repeating for `--duration`
   seconds: open the inbox and wait until its newest item is on screen (websocket connect, hydrate, the
   `on_load` event with the session check and the inbox queries, the render); open the alert builder, type a
   keyword and wait for the live preview's count (one debounced event, the preview query over the 100K
   postings); save the alert and wait for the alerts list. Timed from the action to the visible result in
   the browser, so browser rendering on the same 2 cores is included.
3. **Events, services**: `--service-users` threads call what those event handlers call, on the same database
   and at a concurrency no set of headless browsers reaches on this machine: the session check, the inbox
   list and unread count (inbox `on_load`), three previews of a draft as it is typed, and saving it. This
   leaves out the websocket and Reflex's state handling, which phase 2 covers.

Every loop is bounded by `--duration`; the server only listens on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from benchmarks.bench_preview import database, fill
from benchmarks.generator import Generator
from jobwatch.config import PROJECT_DIR

T0 = datetime.now(UTC) - timedelta(days=2)
INBOX_ITEMS_PER_USER = 20
KEYWORDS = ["python", "react", "sales", "designer", "kubernetes", "marketing", "data", "java", "support", "rust"]
CHROMIUM = Path("/usr/bin/chromium")


# --- results ---------------------------------------------------------------------------------------------


@dataclass
class Results:
    """Latencies (ms) and errors per operation, shared by the threads of one phase."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, ms: float) -> None:
        with self.lock:
            self.latencies[name].append(ms)

    def fail(self, name: str, error: str) -> None:
        with self.lock:
            self.errors[name].append(error)

    def print(self, title: str, seconds: float) -> None:
        print(f"\n{title}")
        print(f"  {'operation':34} {'count':>7} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>7}")
        for name in sorted(set(self.latencies) | set(self.errors)):
            values = sorted(self.latencies.get(name, []))
            errors = len(self.errors.get(name, []))
            if values:
                p95 = values[max(0, math.ceil(len(values) * 0.95) - 1)]  # nearest rank
                print(
                    f"  {name:34} {len(values):>7} {len(values) / seconds:>7.1f} {statistics.median(values):>8.1f} "
                    f"{p95:>8.1f} {values[-1]:>8.1f} {errors:>7}"
                )
            else:
                print(f"  {name:34} {0:>7} {0:>7} {'-':>8} {'-':>8} {'-':>8} {errors:>7}")
            for error in sorted(set(self.errors.get(name, [])))[:3]:
                print(f"      e.g. {error[:150]}")


def timed(results: Results, name: str, call: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    try:
        value = call()
    except Exception as exc:
        results.fail(name, f"{type(exc).__name__}: {exc}")
        return None
    results.add(name, (time.perf_counter() - start) * 1000)
    return value


# --- data ------------------------------------------------------------------------------------------------


@dataclass
class User:
    """A simulated user: id, session token, the newest inbox item's title."""

    id: int
    token: str
    newest_title: str


def add_users(url: str, count: int, seed: int) -> None:
    """Store `count` verified users with alerts and inbox items, in bulk inserts."""
    from jobwatch.db import make_engine
    from jobwatch.models import JobAlert, JobPosting, Notification
    from jobwatch.models import User as UserRow

    gen = Generator(seed + 11)
    rng = random.Random(seed)
    engine = make_engine(url)
    with engine.connect() as conn:
        postings = list(conn.execute(sa.select(JobPosting.id, JobPosting.title)).all())  # type: ignore[call-overload]
    for start in range(0, count, 1000):
        chunk = range(start, min(count, start + 1000))
        with engine.begin() as conn:
            conn.execute(
                sa.insert(UserRow),
                [
                    {
                        "email": f"loaduser{n}@example.test",
                        "password_hash": "!unusable",
                        "display_name": f"Load user {n}",
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
            ids = dict(
                conn.execute(
                    sa.select(UserRow.email, UserRow.id).where(
                        UserRow.email.in_([f"loaduser{n}@example.test" for n in chunk])  # type: ignore[attr-defined]
                    )
                ).all()
            )
            alerts = [
                {
                    "user_id": ids[f"loaduser{n}@example.test"],
                    "name": f"Alert {k + 1}",
                    "filters": gen.filters(),
                    "frequency": "daily",
                    "channels": ["inbox", "email"],
                    "is_active": True,
                    "created_at": T0,
                    "updated_at": T0,
                }
                for n in chunk
                for k in range(rng.choice([1, 2]))
            ]
            conn.execute(sa.insert(JobAlert), alerts)
            alert_of = dict(
                conn.execute(
                    sa.select(JobAlert.user_id, sa.func.min(JobAlert.id))
                    .where(JobAlert.user_id.in_(list(ids.values())))  # type: ignore[attr-defined]
                    .group_by(JobAlert.user_id)
                ).all()
            )
            notifications = []
            for n in chunk:
                uid = ids[f"loaduser{n}@example.test"]
                picked = rng.sample(postings, INBOX_ITEMS_PER_USER)
                for k, (posting_id, _title) in enumerate(picked):
                    notifications.append(
                        {
                            "user_id": uid,
                            "posting_id": posting_id,
                            "alert_ids": [alert_of[uid]],
                            "created_at": T0 + timedelta(minutes=k),
                            "read_at": None if k >= INBOX_ITEMS_PER_USER // 2 else T0,
                            "email_status": "sent",
                        }
                    )
            conn.execute(sa.insert(Notification), notifications)
    with engine.begin() as conn:
        for table in ("user_account", "job_alert", "notification"):
            conn.execute(sa.text(f"ANALYZE {table}"))
    engine.dispose()


def sign_in(url: str, count: int) -> list[User]:
    """A new live session for each of `count` stored users (all of them when fewer), in one bulk insert."""
    from jobwatch.db import make_engine
    from jobwatch.models import JobPosting, Notification, UserSession
    from jobwatch.models import User as UserRow
    from jobwatch.services.accounts import hash_token

    engine = make_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ids = list(conn.execute(sa.select(UserRow.id).order_by(UserRow.id).limit(count)).scalars())  # type: ignore[call-overload, arg-type]
        newest = sa.select(Notification.user_id, sa.func.max(Notification.created_at).label("at")).group_by(
            Notification.user_id
        )
        titles = dict(
            conn.execute(
                sa.select(Notification.user_id, JobPosting.title)
                .join(JobPosting, JobPosting.id == Notification.posting_id)  # type: ignore[arg-type]
                .join(
                    newest.subquery("n"),
                    sa.and_(
                        sa.literal_column("n.user_id") == Notification.user_id,
                        sa.literal_column("n.at") == Notification.created_at,
                    ),
                )
            ).all()
        )
        tokens = {uid: secrets.token_urlsafe(32) for uid in ids}
        conn.execute(
            sa.insert(UserSession),
            [
                {
                    "user_id": uid,
                    "token_hash": hash_token(token),
                    "created_at": now,
                    "expires_at": now + timedelta(days=1),
                    "last_seen_at": now,
                }
                for uid, token in tokens.items()
            ],
        )
    engine.dispose()
    return [User(uid, tokens[uid], titles.get(uid, "")) for uid in ids]


# --- the server ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=3) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@contextmanager
def serve(database_url: str, workdir: Path) -> Iterator[str]:
    """`jobwatch serve` on a free loopback port against `database_url`; its log in `workdir/serve.log`."""
    data = workdir / "data"
    shared_bun = PROJECT_DIR / ".data" / "reflex" / "bun" / "bin" / "bun"
    if shared_bun.exists():
        (data / "reflex" / "bun" / "bin").mkdir(parents=True, exist_ok=True)
        (data / "reflex" / "bun" / "bin" / "bun").symlink_to(shared_bun)
    port = free_port()
    url = f"http://localhost:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RESEND_API_KEY", "APP_URL", "SECRET_KEY")}
    env.update(
        DATABASE_URL=database_url,
        JOBWATCH_DATA_DIR=str(data),
        JOBWATCH_ENV="development",
        REFLEX_WEB_WORKDIR=str(workdir / "web"),
        BUN_INSTALL_CACHE_DIR=env.get("BUN_INSTALL_CACHE_DIR", str(PROJECT_DIR / ".data" / "reflex" / "bun-cache")),
    )
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jobwatch.webserver", "--port", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        started = time.monotonic()
        while not healthy(url):
            if process.poll() is not None:
                raise RuntimeError(f"jobwatch serve exited:\n{log.read_text()[-3000:]}")
            if time.monotonic() - started > 600:
                raise RuntimeError(f"jobwatch serve did not get healthy:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        print(f"jobwatch serve healthy after {time.monotonic() - started:.0f} s at {url}", file=sys.stderr)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- phase 1: HTTP ---------------------------------------------------------------------------------------


def page_assets(client: httpx.Client, path: str) -> list[str]:
    html = client.get(path).text
    return sorted(set(re.findall(r'(?:src|href)="(/assets/[^"]+\.(?:js|css))"', html)))


def http_phase(url: str, users: int, duration: float) -> None:
    pages = ["/inbox/", "/alerts/new/", "/alerts/", "/jobs/"]
    with httpx.Client(base_url=url) as probe:
        assets = {page: page_assets(probe, page) for page in pages}
    results = Results()
    deadline = time.monotonic() + duration

    def user(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=url, timeout=30) as client:
            while time.monotonic() < deadline:
                page = rng.choice(pages)

                def get(path: str, name: str) -> None:
                    response = client.get(path)
                    if response.status_code != 200:
                        raise RuntimeError(f"{path}: HTTP {response.status_code}")

                timed(results, f"GET page {page}", lambda page=page: get(page, page))
                for asset in assets[page]:
                    timed(results, "GET asset (js/css)", lambda asset=asset: get(asset, asset))

    run_threads(user, users)
    results.print(f"HTTP: {users} concurrent users for {duration:.0f} s (pages, then their scripts, styles)", duration)


def run_threads(target: Callable[[int], None], count: int) -> None:
    threads = [threading.Thread(target=target, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- phase 2: real events in headless Chromium -----------------------------------------------------------


def browser_phase(url: str, users: list[User], browsers: int, duration: float) -> None:
    if not CHROMIUM.exists():
        print("\nEvents, real: skipped (/usr/bin/chromium is missing)")
        return
    results = Results()
    started = time.monotonic()
    asyncio.run(_browsers(url, users[:browsers], duration, results))
    results.print(
        f"Events, real: {browsers} concurrent users in headless Chromium for {duration:.0f} s "
        "(action to visible result, over the websocket)",
        time.monotonic() - started,
    )


async def _browsers(url: str, users: list[User], duration: float, results: Results) -> None:
    from playwright.async_api import async_playwright

    from tests.e2e.serving import CHROMIUM_ARGS

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        deadline = time.monotonic() + duration
        try:
            await asyncio.gather(*(_browse(browser, url, user, n, deadline, results) for n, user in enumerate(users)))
        finally:
            await browser.close()


async def _browse(browser: Any, url: str, user: User, n: int, deadline: float, results: Results) -> None:
    from playwright.async_api import expect

    context = await browser.new_context()
    await context.add_cookies([{"name": "jobwatch_session", "value": user.token, "url": url}])
    page = await context.new_page()
    page.set_default_timeout(60_000)
    rng = random.Random(n)

    async def step(name: str, action: Callable[[], Any]) -> bool:
        start = time.perf_counter()
        try:
            await action()
        except Exception as exc:
            results.fail(name, f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
            return False
        results.add(name, (time.perf_counter() - start) * 1000)
        return True

    async def open_inbox() -> None:
        await page.goto(f"{url}/inbox")
        await expect(page.get_by_text(user.newest_title, exact=True).first).to_be_visible(timeout=60_000)

    async def open_builder() -> None:
        await page.goto(f"{url}/alerts/new")
        await expect(page.get_by_label("Keywords", exact=True)).to_be_editable(timeout=60_000)
        await expect(page.get_by_role("region", name="Preview")).to_contain_text("Fill in keywords", timeout=60_000)

    try:
        while time.monotonic() < deadline:
            if not await step("open inbox (until newest item shown)", open_inbox):
                continue
            if not await step("open alert builder (until ready)", open_builder):
                continue
            keyword = rng.choice(KEYWORDS)

            async def type_keyword(keyword: str = keyword) -> None:
                await page.get_by_label("Name").fill(f"{keyword} jobs")
                await page.get_by_label("Keywords", exact=True).fill(keyword)
                preview = page.get_by_role("region", name="Preview")
                await expect(preview).to_contain_text(re.compile(r"matching open job"), timeout=60_000)

            if not await step("type keyword (until preview count)", type_keyword):
                continue

            async def save() -> None:
                await page.get_by_role("button", name="Save alert").click()
                await expect(page).to_have_url(re.compile(r"/alerts/?$"), timeout=60_000)

            await step("save alert (until alerts list)", save)
    finally:
        await context.close()


# --- phase 3: the services behind the events -------------------------------------------------------------


def service_phase(users: list[User], concurrency: int, duration: float) -> None:
    from jobwatch.db import session_scope
    from jobwatch.services import alerts, inbox
    from jobwatch.ui.state.auth import lookup_user

    gen = Generator(99)
    drafts = [filters for _, filters in gen.alerts(500)]
    results = Results()
    deadline = time.monotonic() + duration

    def user_loop(n: int) -> None:
        rng = random.Random(n)
        while time.monotonic() < deadline:
            user = rng.choice(users)

            def check(token: str = user.token) -> Any:
                found = lookup_user(token)
                if found is None:
                    raise LookupError("no user for a live session token")
                return found

            current = timed(results, "session check (every event)", check)
            if current is None:  # counted as an error by `timed`
                continue

            def load_inbox(uid: int = current.id) -> None:
                with session_scope() as session:
                    inbox.list_inbox(session=session, user_id=uid, limit=50)
                    inbox.unread_count(session=session, user_id=uid)

            timed(results, "inbox on_load (list + unread)", load_inbox)
            draft = rng.choice(drafts)
            keys = [k for k in draft if k in ("keywords", "title_keywords", "companies", "locations", "departments")]
            # Typing: the draft as it grows, one preview per (debounced) change.
            for end in range(1, len(keys) + 1):
                partial = {key: draft[key] for key in keys[:end]}

                def preview(filters: dict[str, Any] = partial) -> None:
                    with session_scope() as session:
                        alerts.preview(session=session, filters=filters, limit=50)

                timed(results, "alert preview (per change)", preview)

            def save(uid: int = current.id, filters: dict[str, Any] = draft) -> None:
                with session_scope() as session:
                    alerts.create_alert(session=session, user_id=uid, name="load test", filters=filters)

            timed(results, "save alert", save)

    run_threads(user_loop, concurrency)
    results.print(
        f"Events, services: {concurrency} concurrent users for {duration:.0f} s (what the handlers call)", duration
    )


# --- main --------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--http-users", type=int, default=50, help="concurrent users of phase 1")
    parser.add_argument("--browsers", type=int, default=4, help="concurrent browser users of phase 2")
    parser.add_argument("--service-users", type=int, default=10, help="concurrent users of phase 3")
    parser.add_argument("--duration", type=float, default=60, help="seconds per phase")
    parser.add_argument("--phases", default="http,browser,services")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database and print its URL")
    parser.add_argument("--url", help="measure this database (filled by an earlier --keep run) instead")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="jobwatch-load-"))
    try:
        if args.url:
            run(args, args.url, workdir)
            return
        with database("postgres", keep=args.keep) as url:
            started = time.monotonic()
            seconds = fill(url, Generator(args.seed), args.postings)
            print(f"stored {args.postings:,} postings in {seconds:.0f} s", file=sys.stderr)
            add_users(url, args.users, args.seed)
            print(
                f"stored {args.users:,} users with alerts and {INBOX_ITEMS_PER_USER} inbox items each "
                f"({time.monotonic() - started:.0f} s in all)",
                file=sys.stderr,
            )
            if args.keep:
                print(f"kept {url} (measure it again with --url)")
            run(args, url, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, url: str, workdir: Path) -> None:
    """Sign users in, start the server on `url`'s database, run the chosen phases."""
    from jobwatch.config import get_settings
    from jobwatch.db import get_engine

    phases = {p.strip() for p in args.phases.split(",")}
    users = sign_in(url, max(args.service_users * 20, args.browsers))
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    stats = engine_stats(url)
    with serve(url, workdir) as server:
        print(
            f"\njobwatch serve (production build) on PostgreSQL: {stats['postings']:,} postings, "
            f"{stats['users']:,} users, {stats['notifications']:,} inbox items; {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f} before the run"
        )
        if "http" in phases:
            http_phase(server, args.http_users, args.duration)
        if "browser" in phases:
            browser_phase(server, users, args.browsers, args.duration)
        if "services" in phases:
            service_phase(users, args.service_users, args.duration)
        print(f"\nload average {os.getloadavg()[0]:.1f} after the run")
    get_engine().dispose()


def engine_stats(url: str) -> dict[str, int]:
    """Row counts of the database under test."""
    from jobwatch.db import make_engine

    tables = {"postings": "job_posting", "users": "user_account", "notifications": "notification"}
    engine = make_engine(url)
    with engine.connect() as conn:
        stats = {n: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()) for n, t in tables.items()}
    engine.dispose()
    return stats


if __name__ == "__main__":
    main()
