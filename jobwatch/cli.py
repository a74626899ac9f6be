"""The `jobwatch` command line (CONTRACT section 1).

stdout carries data only; messages, progress and errors go to stderr. Exit codes: 0 success, 2 bad input
(one line on stderr naming the file and what is wrong), 1 anything else.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from jobwatch.errors import BadInput

app = typer.Typer(
    name="jobwatch",
    help="Watch company job boards and tell people, once, about new postings that fit their alerts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
boards_app = typer.Typer(help="Watched job boards.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
postings_app = typer.Typer(help="Stored postings.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(boards_app, name="boards")
app.add_typer(users_app, name="users")
app.add_typer(postings_app, name="postings")


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _out(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")


def _parse_time(value: str | None, option: str) -> datetime:
    from jobwatch.core.postings import parse_utc
    from jobwatch.models import utcnow

    if value is None:
        return utcnow()
    try:
        parsed = parse_utc(value)
    except ValueError as exc:
        raise BadInput(f"{option}: not an ISO 8601 time: {value!r}") from exc
    assert parsed is not None
    return parsed


# --- running ------------------------------------------------------------------------------------------


@app.command()
def serve(port: Annotated[int, typer.Option(min=1, max=65535, help="The one port for pages and API.")] = 8000) -> None:
    """Run the production web app (after applying pending migrations) on one port."""
    from jobwatch.webserver import serve as run

    raise typer.Exit(run(port))


@app.command()
def worker(
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Consume tasks without scheduling periodic ones.")
    ] = False,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, max=64, help="Worker threads.")] = 2,
) -> None:
    """Run a Huey consumer, with the periodic scheduler unless --no-scheduler (use it on all but one)."""
    from jobwatch import migrations

    migrations.upgrade()
    from huey.consumer_options import ConsumerConfig

    from jobwatch.config import get_settings
    from workers.consumer import JobwatchConsumer
    from workers.main import huey

    # SIGTERM stops gracefully: no new tasks, the ones in hand get WORKER_SHUTDOWN_SECONDS to finish, and any
    # still running then are queued again (`workers.recording`) before the process exits (field case B22).
    config = ConsumerConfig(
        workers=workers,
        worker_type="thread",
        periodic=not no_scheduler,
        backoff=1.15,
        max_delay=2.0,
        graceful_signal="TERM",
        shutdown_timeout=get_settings().worker_shutdown_seconds,
    )
    config.validate()
    config.setup_logger()
    consumer = JobwatchConsumer(huey, **config.values)
    _err(f"jobwatch worker: {workers} threads, scheduler {'off' if no_scheduler else 'on'}")
    consumer.run()


# --- files --------------------------------------------------------------------------------------------


@app.command()
def parse(
    source: Annotated[str, typer.Argument(help="greenhouse, lever, ashby, workday, ...")],
    file: Annotated[Path, typer.Argument(help="A saved response of the board.")],
    board: Annotated[str | None, typer.Option("--board", help="The board token.")] = None,
    fetched_at: Annotated[str | None, typer.Option("--fetched-at", help="ISO 8601 fetch time.")] = None,
) -> None:
    """Parse one saved board response and print one normalized posting per line (JSON)."""
    from jobwatch.scrapers.registry import parse_file

    when = _parse_time(fetched_at, "--fetched-at")
    for posting in parse_file(source, file, board=board, fetched_at=when):
        _out(posting.to_json())


@app.command()
def match(
    jobs: Annotated[Path, typer.Option("--jobs", help="Postings, JSON Lines, each with an `id`.")],
    alerts: Annotated[Path, typer.Option("--alerts", help="Alerts, JSON Lines: {id, filters}.")],
    now: Annotated[str | None, typer.Option("--now", help="ISO 8601 reference time.")] = None,
) -> None:
    """Match every posting against every alert; print {"alert_id", "job_id"} per match."""
    from jobwatch.services.matchfiles import iter_file_matches

    when = _parse_time(now, "--now")
    for alert_id, job_id in iter_file_matches(jobs, alerts, now=when):
        _out({"alert_id": alert_id, "job_id": job_id})


# --- operators ----------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    from jobwatch import migrations

    migrations.upgrade()
    _err("database is up to date")


@boards_app.command("add")
def boards_add(
    board: Annotated[str, typer.Argument(help="A board token (greenhouse:stripe) or a careers URL.")],
    interval: Annotated[int | None, typer.Option(help="Minutes between scrapes.")] = None,
) -> None:
    """Watch a board."""
    from jobwatch.db import session_scope
    from jobwatch.services.boards import add_board

    with session_scope() as session:
        row, created = add_board(session=session, text=board, interval_minutes=interval)
        _out({"id": row.id, "board": row.key, "created": created})
    _err(f"{'added' if created else 'already watching'} {row.key}")


@boards_app.command("remove")
def boards_remove(
    board: Annotated[str, typer.Argument(help="A board token (greenhouse:stripe) or board id.")],
) -> None:
    """Stop watching a board; its postings, runs and the notifications about them are deleted."""
    from jobwatch.db import session_scope
    from jobwatch.services.boards import remove_board

    with session_scope() as session:
        removed = remove_board(session=session, key_or_id=board)
        if removed is None:
            raise BadInput(f"no watched board {board!r}")
        _out({"id": removed.id, "board": removed.key, "removed": True})
    _err(f"removed {removed.key}")


@boards_app.command("list")
def boards_list() -> None:
    """List watched boards with their health, last run and open postings.

    Health: unchecked (never scraped), healthy, failing, missing (the source answered 404) or blocked (robots.txt
    or the address guard refused the page).
    """
    from jobwatch.db import session_scope
    from jobwatch.services.boards import list_boards

    with session_scope() as session:
        for b in list_boards(session=session):
            _out(
                {
                    "id": b.id,
                    "board": b.key,
                    "company": b.company,
                    "health": b.health,
                    "last_run_status": b.last_run_status,
                    "last_run_at": b.last_run_at.isoformat() if b.last_run_at else None,
                    "open_postings": b.open_postings,
                    "error": b.last_error,
                }
            )


@boards_app.command("check")
def boards_check(
    board: Annotated[str, typer.Argument(help="A board token or careers URL.")],
) -> None:
    """Fetch a board once without storing anything; print its health and how many postings it lists.

    Health: healthy, failing, missing (the source answered 404) or blocked (robots.txt or the address guard
    refused the page). Exit code 1 unless healthy.
    """
    from jobwatch.services.boards import check_board, resolve_board_ref

    ref = resolve_board_ref(board)
    result = check_board(ref)
    _out(
        {
            "board": result.board,
            "health": result.health,
            "postings": result.postings,
            "complete": result.complete,
            "error": result.error,
        }
    )
    if result.health != "healthy":
        _err(f"{ref.key}: {result.health}: {result.error}")
        raise typer.Exit(1)


@app.command()
def scrape(
    board: Annotated[str | None, typer.Argument(help="One board (token or id); default: every due board.")] = None,
    all_boards: Annotated[bool, typer.Option("--all", help="Every active board, due or not.")] = False,
) -> None:
    """Scrape one board, or every due board, now (in this process), then match new postings.

    Boards are scraped SCRAPE_WORKERS at a time, with at most SCRAPE_PER_HOST_LIMIT requests in flight per host;
    one JSON line per board as it finishes.
    """
    import threading

    from sqlmodel import col, select

    from jobwatch.db import session_scope
    from jobwatch.models import Board, utcnow
    from jobwatch.services.boards import board_health, get_board
    from jobwatch.services.ingest import RunSummary, claim_due_boards
    from jobwatch.services.matching import match_new_postings
    from jobwatch.services.scrape_many import scrape_boards

    with session_scope() as session:
        if board is not None:
            row = get_board(session=session, key_or_id=board)
            if row is None:
                raise BadInput(f"no watched board {board!r}; add it with `jobwatch boards add`")
            ids = [row.id or 0]
        elif all_boards:
            ids = [i for i in session.exec(select(Board.id).where(col(Board.is_active).is_(True))).all() if i]
        else:
            ids = claim_due_boards(session=session, now=utcnow())
    printing = threading.Lock()

    def report(summary: RunSummary) -> None:
        with printing:  # called from the scrape threads: one whole line at a time
            _out(
                {
                    "board": summary.board_key,
                    "status": summary.status,
                    "health": board_health(last_run_status=summary.status, last_error=summary.error),
                    "new": summary.new,
                    "updated": summary.updated,
                    "closed": summary.closed,
                    "reopened": summary.reopened,
                    "unchanged": summary.unchanged,
                    "error": summary.error,
                }
            )

    failed = scrape_boards(ids, on_done=report).failed if ids else 0
    matched = match_new_postings()
    _err(f"scraped {len(ids)} board(s), {failed} failed; {matched.notifications} new notification(s)")
    if failed:
        raise typer.Exit(1)


@app.command()
def notify() -> None:
    """Run matching and send due digests once, now."""
    from jobwatch.services.digests import send_due_digests
    from jobwatch.services.matching import match_new_postings

    matched = match_new_postings()
    digests = send_due_digests()
    _out(
        {
            "postings_matched": matched.postings,
            "notifications": matched.notifications,
            "digests_built": digests.built,
            "digests_sent": digests.sent,
            "digests_failed": digests.failed,
        }
    )


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument()],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an operator.")] = False,
    password: Annotated[
        str | None, typer.Option(help="Default: read from JOBWATCH_PASSWORD or prompt.", hidden=True)
    ] = None,
) -> None:
    """Create a user (or make an existing one an admin with --admin)."""
    from sqlmodel import select

    from jobwatch.db import session_scope
    from jobwatch.models import User
    from jobwatch.services.accounts import create_user, normalize_email

    with session_scope() as session:
        existing = session.exec(select(User).where(User.email == normalize_email(email))).first()
        if existing is not None:
            if admin and not existing.is_admin:
                existing.is_admin = True
                session.add(existing)
                _err(f"{existing.email} is now an admin")
            else:
                _err(f"{existing.email} already exists")
            _out({"id": existing.id, "email": existing.email, "is_admin": existing.is_admin})
            return
        secret = (
            password
            or os.environ.get("JOBWATCH_PASSWORD")
            or typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        )
        user = create_user(session=session, email=email, password=secret, is_admin=admin)
        _out({"id": user.id, "email": user.email, "is_admin": user.is_admin})


@users_app.command("set-password")
def users_set_password(
    email: Annotated[str, typer.Argument()],
) -> None:
    """Give a user a new password (from JOBWATCH_PASSWORD or a prompt); their sessions end."""
    from jobwatch.db import session_scope
    from jobwatch.services.accounts import set_password

    secret = os.environ.get("JOBWATCH_PASSWORD") or typer.prompt(
        "New password", hide_input=True, confirmation_prompt=True, err=True
    )
    with session_scope() as session:
        user = set_password(session=session, email=email, password=secret)
        _out({"id": user.id, "email": user.email})
    _err(f"password changed for {user.email}; their sessions were ended")


@users_app.command("admin")
def users_admin(
    email: Annotated[str, typer.Argument()],
    revoke: Annotated[bool, typer.Option("--revoke", help="Take the operator role away instead.")] = False,
) -> None:
    """Give a user the operator (admin) role, or take it away with --revoke."""
    from jobwatch.db import session_scope
    from jobwatch.services.accounts import set_admin

    with session_scope() as session:
        user = set_admin(session=session, email=email, is_admin=not revoke)
        _out({"id": user.id, "email": user.email, "is_admin": user.is_admin})
    _err(f"{user.email} is {'now' if user.is_admin else 'no longer'} an admin")


@users_app.command("list")
def users_list() -> None:
    """Every account, one JSON object a line: id, email, is_admin, email_verified, created_at."""
    from jobwatch.db import session_scope
    from jobwatch.services.accounts import list_users

    with session_scope() as session:
        for user in list_users(session=session):
            _out(
                {
                    "id": user.id,
                    "email": user.email,
                    "is_admin": user.is_admin,
                    "email_verified": user.email_verified,
                    "created_at": user.created_at.isoformat(),
                }
            )


@postings_app.command("list")
def postings_list(
    board: Annotated[str | None, typer.Option(help="Only this board (token or id).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    closed: Annotated[bool, typer.Option("--closed", help="Include closed postings.")] = False,
) -> None:
    """Print stored postings (newest first) as JSON Lines."""
    from sqlmodel import col, select

    from jobwatch.db import session_scope
    from jobwatch.models import JobPosting
    from jobwatch.services.boards import get_board
    from jobwatch.storage import posting_from_row

    with session_scope() as session:
        query = select(JobPosting).order_by(col(JobPosting.first_seen_at).desc(), col(JobPosting.id).desc())
        if board is not None:
            row = get_board(session=session, key_or_id=board)
            if row is None:
                raise BadInput(f"no watched board {board!r}")
            query = query.where(JobPosting.board_id == row.id)
        if not closed:
            query = query.where(col(JobPosting.closed_at).is_(None))
        for posting in session.exec(query.limit(limit)).all():
            data = posting_from_row(posting).to_json()
            data["closed"] = posting.closed_at is not None
            _out(data)


@app.command()
def status() -> None:
    """Print the state of boards, runs, mail and background tasks as one JSON object.

    `queue_length` and `tasks.scheduled` read the task queue (a message instead of a number when it does not
    answer); `tasks.last_runs` is the newest recorded run of every task, `tasks.failures` the newest failed
    runs; `failing_boards` lists boards whose last scrape failed.
    """
    from sqlalchemy import func
    from sqlmodel import col, select

    from jobwatch.db import session_scope
    from jobwatch.models import Board, Digest, JobPosting, ScrapeRun
    from jobwatch.services import admin

    with session_scope() as session:
        runs = dict(session.exec(select(ScrapeRun.status, func.count()).group_by(ScrapeRun.status)).all())
        digests = dict(session.exec(select(Digest.status, func.count()).group_by(Digest.status)).all())
        failing = [
            {
                "board": b.key,
                "error": b.last_error,
                "failures": b.consecutive_failures,
                "last_run_at": b.last_run_at.isoformat() if b.last_run_at else None,
                "last_success_at": b.last_success_at.isoformat() if b.last_success_at else None,
            }
            for b in session.exec(select(Board).where(Board.last_run_status == "failed").order_by(col(Board.key))).all()
        ]
        postings = session.exec(select(func.count()).select_from(JobPosting)).one()
        boards = session.exec(select(func.count()).select_from(Board)).one()
        tasks = admin.task_overview(session=session, failures=10)
    unreadable = "unavailable: the task queue does not answer (see the log)"
    _out(
        {
            "boards": boards,
            "postings": postings,
            "runs": runs,
            "digests": digests,
            "failing_boards": failing,
            "queue_length": unreadable if tasks.queue_length is None else tasks.queue_length,
            "tasks": {
                "scheduled": unreadable if tasks.scheduled is None else tasks.scheduled,
                "states": tasks.states,
                "last_runs": [run.to_json() for run in tasks.last_runs],
                "failures": [run.to_json() for run in tasks.failures],
            },
        }
    )


def main() -> None:
    """Console-script entry point: runs the app and maps errors to CONTRACT exit codes (2 bad input, 1 other)."""
    from jobwatch.config import ConfigError

    try:
        # Without standalone mode click returns the code of a `typer.Exit` instead of exiting.
        code = app(standalone_mode=False)
    except BadInput as exc:
        _err(f"error: {exc}")
        sys.exit(2)
    except ConfigError as exc:
        _err(f"configuration error: {exc}")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _err("aborted")
        sys.exit(1)
    except typer.TyperException as exc:
        # Usage errors (an unknown command or option, a missing or malformed argument) carry exit code 2.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _err(f"error: {exc}")
        sys.exit(int(getattr(exc, "exit_code", 1) or 1))
    except Exception as exc:
        _err(f"error: {exc}")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
