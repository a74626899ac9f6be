"""Scrape a board and store what it lists: fetch through the board's adapter, then ingest, then record the run.

The network call happens outside any database transaction. A failed run (404, a 429 or 5xx that outlasts
its retries, HTML where JSON was expected) stores nothing and closes nothing; a partial run stores what it
read and closes nothing (field case B03).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select

from jobwatch.config import get_settings
from jobwatch.db import session_scope
from jobwatch.models import Board, Company, ScrapeRun, utcnow
from jobwatch.scrapers.base import ScrapeError
from jobwatch.scrapers.boards import BoardRef, parse_board_token
from jobwatch.scrapers.discovery import robots_allows
from jobwatch.scrapers.guard import make_guarded_client
from jobwatch.scrapers.http import make_client
from jobwatch.scrapers.registry import get_adapter
from jobwatch.storage import ingest_postings, start_run

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What one scrape did: the run id and status (`ok`, `partial`, `failed`), counts, error text."""

    run_id: int
    board_key: str
    status: str
    new: int
    updated: int
    closed: int
    reopened: int
    unchanged: int
    error: str | None
    new_posting_ids: tuple[int, ...] = ()


def _next_scrape_at(board: Board, now: datetime) -> datetime:
    # Jitter of up to a tenth of the interval spreads boards added together over time.
    minutes = board.scrape_interval_minutes
    return now + timedelta(minutes=minutes) + timedelta(seconds=random.uniform(0, minutes * 6))


def scrape_board(
    board_id: int,
    *,
    engine: Engine | None = None,
    client: httpx.Client | None = None,
    now: Callable[[], datetime] = utcnow,
) -> RunSummary:
    """Scrape one board and store the result; returns the run's summary. Never raises for a board's errors.

    `client` replaces the HTTP client (tests). Without one, boards of API sources use `make_client()`
    (their `<SOURCE>_API_URL`s are configured, so trusted), and `jsonld` boards, whose URL a user typed, a
    guarded client (`make_guarded_client`: public addresses only, size and time limits; hosts in
    `JSONLD_TRUSTED_HOSTS` exempt from the address checks). A `jsonld` page is read only when its site's
    robots.txt allows it; a refused URL, a disallowing or unreadable robots.txt fails the run.
    Raises `LookupError` if `board_id` does not exist.
    """
    settings = get_settings()
    with session_scope(engine) as session:
        board = session.get(Board, board_id)
        if board is None:
            raise LookupError(f"no board with id {board_id}")
        started = start_run(session=session, board=board, now=now())
        run_id, board_key = started.id or 0, board.key
    ref = parse_board_token(board_key)
    adapter = get_adapter(ref.source)
    own_client = client is None
    http = client or client_for_board(ref)
    fetched_at = now()
    try:
        api_url = settings.api_url(ref.source) if ref.source != "jsonld" else ref.token
        if ref.source == "jsonld" and not robots_allows(http, ref.token):
            raise ScrapeError(f"the robots.txt of {ref.token} disallows reading it", url=ref.token)
        result = adapter.fetch(http, ref, api_url=api_url, fetched_at=fetched_at)
    except ScrapeError as exc:
        return _finish_failed(run_id, board_id, str(exc), engine=engine, now=now())
    except Exception as exc:  # an adapter bug must fail the run visibly, not kill the worker's loop
        log.exception("scrape of %s crashed", board_key)
        return _finish_failed(run_id, board_id, f"internal error: {exc!r}", engine=engine, now=now())
    finally:
        if own_client:
            http.close()

    with session_scope(engine) as session:
        board = session.get_one(Board, board_id)
        run = session.get_one(ScrapeRun, run_id)
        finished = now()
        counts = ingest_postings(
            session=session, board=board, postings=result.postings, complete=result.complete, now=finished
        )
        status = "ok" if result.complete else "partial"
        run.status = status
        run.finished_at = finished
        run.new_count, run.updated_count = counts.new, counts.updated
        run.closed_count, run.reopened_count = counts.closed, counts.reopened
        run.unchanged_count = counts.unchanged
        run.error = None if result.complete else "the board was not read completely; nothing was closed"
        board.last_run_at = finished
        board.last_run_status = status
        board.last_error = run.error
        board.consecutive_failures = 0
        if result.complete:
            board.last_success_at = finished
        board.next_scrape_at = _next_scrape_at(board, finished)
        _name_company(session, board, [p.company for p in result.postings if p.company])
        session.add_all([board, run])
        return RunSummary(
            run_id=run_id,
            board_key=board_key,
            status=status,
            new=counts.new,
            updated=counts.updated,
            closed=counts.closed,
            reopened=counts.reopened,
            unchanged=counts.unchanged,
            error=run.error,
            new_posting_ids=tuple(counts.new_ids),
        )


def client_for_board(ref: BoardRef) -> httpx.Client:
    """A new HTTP client for reading `ref`, sending `SCRAPER_USER_AGENT`: plain for API sources (their
    configured `<SOURCE>_API_URL`s are trusted), guarded for `jsonld` boards, whose URL a user typed (public
    addresses only, size and time limits; hosts in `JSONLD_TRUSTED_HOSTS` exempt from the address checks).
    The caller closes it."""
    settings = get_settings()
    if ref.source == "jsonld":
        return make_guarded_client(trusted_hosts=settings.jsonld_trusted_hosts, user_agent=settings.scraper_user_agent)
    return make_client(user_agent=settings.scraper_user_agent)


def _finish_failed(run_id: int, board_id: int, error: str, *, engine: Engine | None, now: datetime) -> RunSummary:
    with session_scope(engine) as session:
        board = session.get_one(Board, board_id)
        run = session.get_one(ScrapeRun, run_id)
        run.status = "failed"
        run.finished_at = now
        run.error = error[:2000]
        board.last_run_at = now
        board.last_run_status = "failed"
        board.last_error = run.error
        board.consecutive_failures += 1
        # Back off failing boards (up to a day) so a dead board does not cost a request every interval.
        backoff = min(board.scrape_interval_minutes * 2 ** min(board.consecutive_failures, 5), 24 * 60)
        board.next_scrape_at = now + timedelta(minutes=backoff)
        session.add_all([board, run])
        key = board.key
    log.warning("scrape of %s failed: %s", key, error)
    return RunSummary(run_id, key, "failed", 0, 0, 0, 0, 0, error)


def _name_company(session: Session, board: Board, names: list[str]) -> None:
    """Give the board's company the display name its postings use, if the source gives one."""
    if not names or board.company_id is None:
        return
    company = session.get(Company, board.company_id)
    if company is not None and company.name != names[0]:
        company.name = names[0][:200]
        board.name = company.name
        session.add(company)


def claim_due_boards(*, session: Session, now: datetime) -> list[int]:
    """Ids of active boards whose next scrape time has come (or that were never scraped), claimed.

    Each returned board's `next_scrape_at` moves one interval ahead at once, so a scheduler tick that comes
    before the scrape task ran does not enqueue the board again; the scrape sets the real next time.
    """
    boards = session.exec(
        select(Board)
        .where(
            col(Board.is_active).is_(True),
            or_(col(Board.next_scrape_at).is_(None), col(Board.next_scrape_at) <= now),
        )
        .order_by(col(Board.next_scrape_at))
        .with_for_update(skip_locked=True)
    ).all()
    for board in boards:
        board.next_scrape_at = _next_scrape_at(board, now)
        session.add(board)
    session.flush()
    return [board.id for board in boards if board.id is not None]
