"""Use cases around the shared watch list: add a board (a token, a careers URL or a catalog pick), list boards
with their health, show their postings, remove them (admins).

Any user may add boards, up to `BOARDS_PER_USER_PER_DAY` new boards in any 24 hours (admins and operators at
the command line are not limited); only admins remove them (`require_admin`). A board's health, as lists show
it, is one of `HEALTH_STATES` (`board_health`).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func
from sqlmodel import Session, col, select

from jobwatch.catalog import CATALOG
from jobwatch.config import get_settings
from jobwatch.errors import BadInput, JobwatchError
from jobwatch.models import Board, Company, JobPosting, ScrapeRun, User, utcnow
from jobwatch.scrapers.base import BoardNotFound, ScrapeError, UnsafeURL
from jobwatch.scrapers.boards import BoardRef, board_ref_from_url, parse_board_token
from jobwatch.scrapers.discovery import discover_board, robots_allows
from jobwatch.scrapers.guard import Resolver, check_url, make_guarded_client
from jobwatch.scrapers.registry import get_adapter
from jobwatch.services.ingest import client_for_board

#: The longest board token or URL accepted (the `board.key` column holds 600 characters).
MAX_BOARD_TEXT = 500

#: A board's health: `unchecked` (never scraped), `healthy` (the last scrape read the whole board),
#: `failing` (the last scrape failed or read only part of it: 5xx, 429, timeouts, a bot-check page),
#: `missing` (the source answered 404/410: a mistyped or removed board) or `blocked` (jobwatch would not
#: read it: robots.txt disallows the page, or the address guard refused the URL).
HEALTH_STATES = ("unchecked", "healthy", "failing", "missing", "blocked")
#: The period over which `BOARDS_PER_USER_PER_DAY` counts a user's new boards.
LIMIT_WINDOW = timedelta(hours=24)


class BoardLimitReached(BadInput):
    """The user added `limit` boards in the last 24 hours already; `str(err)` says so and when to retry."""


class NotAllowed(JobwatchError):
    """The user may not do this (removing a board takes an admin)."""


def require_admin(user: User | None) -> User:
    """Return `user` if it is an admin; raise `NotAllowed` otherwise (also for no user). For the UI's
    operator actions, such as removing a board from the shared watch list."""
    if user is None or not user.is_admin:
        raise NotAllowed("only an admin can do this")
    return user


def is_robots_refusal(exc: BaseException) -> bool:
    """Whether a scrape error says the page's robots.txt disallows reading it (`services.ingest` raises it)."""
    return isinstance(exc, ScrapeError) and "robots.txt" in str(exc) and "disallows" in str(exc)


def health_of_error(exc: BaseException) -> str:
    """The health a board gets from one failed read: `missing` for `BoardNotFound`, `blocked` for a refused URL
    (`UnsafeURL`) or a robots.txt refusal, `failing` for anything else."""
    if isinstance(exc, BoardNotFound):
        return "missing"
    if isinstance(exc, UnsafeURL) or is_robots_refusal(exc):
        return "blocked"
    return "failing"


_MISSING_TEXT = re.compile(r"\bHTTP 4(?:04|10) from\b")


def board_health(*, last_run_status: str | None, last_error: str | None) -> str:
    """The health (`HEALTH_STATES`) of a board from its last finished run: its status (`ok`, `partial`,
    `failed`, or None when never run) and the error that run stored.

    The kind of failure is read from the error text that `scrapers.http`, `scrapers.guard` and
    `services.ingest` write (`HTTP 404 from ...`, `refused: ...`, `the robots.txt of ... disallows ...`),
    which the tests pin by running real failing scrapes.
    """
    if last_run_status is None:
        return "unchecked"
    if last_run_status == "ok":
        return "healthy"
    text = last_error or ""
    if last_run_status == "failed" and _MISSING_TEXT.search(text):
        return "missing"
    if last_run_status == "failed" and (text.startswith("refused:") or ("robots.txt" in text and "disallows" in text)):
        return "blocked"
    return "failing"


@dataclass(frozen=True, slots=True)
class BoardSummary:
    """A board as lists show it: key, company, status of its last run and its open postings count."""

    id: int
    key: str
    ats: str
    token: str
    company: str | None
    last_run_status: str | None
    last_run_at: datetime | None
    last_error: str | None
    open_postings: int
    is_active: bool
    health: str = "unchecked"
    added_by_user_id: int | None = None


def resolve_board_ref(text: str, *, client: httpx.Client | None = None, resolver: Resolver | None = None) -> BoardRef:
    """Read what a user typed: a board token (`greenhouse:stripe`) or a careers URL.

    A URL of a known ATS is read from its shape; any other http(s) URL goes through board discovery
    (`scrapers.discovery.discover_board`: robots.txt, then the page's links to a known ATS, then its
    JSON-LD), fetched with `client` or else a guarded client (`make_guarded_client`, public addresses
    only, `JSONLD_TRUSTED_HOSTS` exempt). A typed `jsonld:URL` token must name a public address too
    (`check_url`, names resolved with `resolver`, default the system's). Raises `BadInput` with a message
    saying what was expected or why the URL was refused or could not be read.
    """
    text = text.strip()
    if not text:
        raise BadInput("enter a board token such as greenhouse:stripe, or a careers page URL")
    if len(text) > MAX_BOARD_TEXT:
        raise BadInput(f"that is too long for a board token or URL (at most {MAX_BOARD_TEXT} characters)")
    trusted = get_settings().jsonld_trusted_hosts
    if re.match(r"^https?://", text, re.IGNORECASE):
        ref = board_ref_from_url(text)
        if ref is None:
            if client is not None:
                ref = discover_board(text, client=client)
            else:
                with make_guarded_client(resolver=resolver, trusted_hosts=trusted) as guarded:
                    ref = discover_board(text, client=guarded)
        if ref is None:
            raise BadInput(
                f"no job board found at {text}: it is no known job board's address, links to none, and lists "
                "no schema.org JobPosting; try a board token such as greenhouse:stripe"
            )
        return ref
    ref = parse_board_token(text)
    if ref.source == "jsonld":
        # The worker will fetch this URL for the user: hold it to public addresses now, not just then.
        try:
            check_url(ref.token, resolver=resolver, trusted_hosts=trusted)
        except ScrapeError as exc:  # UnsafeURL, or a name that does not resolve
            raise BadInput(f"cannot watch {ref.token}: {exc}") from exc
    return ref


def _company_slug(ref: BoardRef) -> str:
    base = ref.token.split("/")[0].split(".")[0] if ref.source != "jsonld" else ref.token
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:200] or "company"


def boards_added_recently(*, session: Session, user_id: int, now: datetime | None = None) -> int:
    """How many boards still watched were added by `user_id` in the 24 hours before `now`."""
    since = (now or utcnow()) - LIMIT_WINDOW
    return int(
        session.exec(
            select(func.count())
            .select_from(Board)
            .where(Board.added_by_user_id == user_id, col(Board.created_at) > since)
        ).one()
    )


def add_board(
    *,
    session: Session,
    text: str,
    interval_minutes: int | None = None,
    client: httpx.Client | None = None,
    resolver: Resolver | None = None,
    user: User | None = None,
    now: datetime | None = None,
) -> tuple[Board, bool]:
    """Add the board that `text` names (token or URL) to the shared watch list; returns `(board, created)`.

    An already watched board is returned as it is (`created` False). A company row is made from the board
    token and renamed later from the postings' company name. `client` and `resolver` go to
    `resolve_board_ref` (tests pass stubs). `user` is who asks (None: an operator at the command line): a
    user who is not an admin may add `BOARDS_PER_USER_PER_DAY` boards per 24 hours (counted up to `now`);
    past that, naming a board that is already watched still returns it, anything else raises
    `BoardLimitReached` before any network access. The new board records `user` as `added_by_user_id`.
    Raises `BadInput` for unusable text or a refused URL; nothing is stored then.
    """
    now = now or utcnow()
    limited = user is not None and not user.is_admin
    if limited:
        assert user is not None and user.id is not None
        limit = get_settings().boards_per_user_per_day
        if boards_added_recently(session=session, user_id=user.id, now=now) >= limit:
            known = get_board(session=session, key_or_id=text) if not text.strip().isdigit() else None
            if known is not None:
                return known, False
            raise BoardLimitReached(
                f"you have added {limit} boards in the last 24 hours, the most allowed; "
                "try again tomorrow, or pick boards that are already watched"
            )
    ref = resolve_board_ref(text, client=client, resolver=resolver)
    board = session.exec(select(Board).where(Board.key == ref.key)).first()
    if board is not None:
        return board, False
    slug = _company_slug(ref)
    company = session.exec(select(Company).where(Company.slug == slug)).first()
    if company is None:
        company = Company(name=slug.replace("-", " ").title(), slug=slug)
        session.add(company)
        session.flush()
    board = Board(
        key=ref.key,
        ats=ref.source,
        token=ref.token,
        company_id=company.id,
        name=company.name,
        scrape_interval_minutes=interval_minutes or get_settings().default_scrape_interval_minutes,
        added_by_user_id=user.id if user is not None else None,
        created_at=now,
    )
    session.add(board)
    session.flush()
    return board, True


@dataclass(frozen=True, slots=True)
class CatalogChoice:
    """A starter catalog entry as the picker shows it: its board key, company name, source, and whether it is
    watched already (`board_id` then names the board)."""

    key: str
    name: str
    source: str
    watched: bool
    board_id: int | None


def catalog_entries(*, session: Session) -> list[CatalogChoice]:
    """The starter catalog (`jobwatch.catalog.CATALOG`, in its order), each marked watched or not. Reads the
    database only (no network)."""
    keys = [parse_board_token(entry.key).key for entry in CATALOG]
    watched = dict(session.exec(select(Board.key, Board.id).where(col(Board.key).in_(keys))).all())
    return [
        CatalogChoice(key=key, name=entry.name, source=entry.source, watched=key in watched, board_id=watched.get(key))
        for key, entry in zip(keys, CATALOG, strict=True)
    ]


def add_catalog_board(
    *, session: Session, key: str, user: User | None = None, now: datetime | None = None
) -> tuple[Board, bool]:
    """Add the catalog entry `key` (as `add_board`, same daily limit); the company is named as the catalog
    names it. Raises `BadInput` when `key` is not in the catalog."""
    entry = next((e for e in CATALOG if parse_board_token(e.key).key == parse_board_token(key).key), None)
    if entry is None:
        raise BadInput(f"{key!r} is not in the catalog")
    board, created = add_board(session=session, text=entry.key, user=user, now=now)
    if created:
        board.name = entry.name
        company = session.get(Company, board.company_id) if board.company_id is not None else None
        if company is not None:
            company.name = entry.name
            session.add(company)
        session.add(board)
        session.flush()
    return board, created


def list_boards(*, session: Session) -> list[BoardSummary]:
    """Every board with its company name and open postings count, by key."""
    counts = dict(
        session.exec(
            select(JobPosting.board_id, func.count())
            .where(col(JobPosting.closed_at).is_(None))
            .group_by(col(JobPosting.board_id))
        ).all()
    )
    rows = session.exec(select(Board, Company.name).join(Company, isouter=True).order_by(col(Board.key))).all()
    return [
        BoardSummary(
            id=board.id or 0,
            key=board.key,
            ats=board.ats,
            token=board.token,
            company=company_name,
            last_run_status=board.last_run_status,
            last_run_at=board.last_run_at,
            last_error=board.last_error,
            open_postings=int(counts.get(board.id or 0, 0)),
            is_active=board.is_active,
            health=board_health(last_run_status=board.last_run_status, last_error=board.last_error),
            added_by_user_id=board.added_by_user_id,
        )
        for board, company_name in rows
    ]


@dataclass(frozen=True, slots=True)
class BoardCheck:
    """One live read of a board: its key, health (`HEALTH_STATES` but `unchecked`), postings listed, whether the
    whole board was read, and the error when it was not."""

    board: str
    health: str
    postings: int
    complete: bool
    error: str | None


def check_board(ref: BoardRef, *, client: httpx.Client | None = None, now: datetime | None = None) -> BoardCheck:
    """Read board `ref` once, as a scrape would (a `jsonld` page only if its robots.txt allows), storing nothing.

    `client` replaces the HTTP client (default `client_for_board(ref)`). Never raises for the board's errors: they
    become its health (`health_of_error`); a partial read is `failing`.
    """
    own = client is None
    http = client or client_for_board(ref)
    try:
        api_url = get_settings().api_url(ref.source) if ref.source != "jsonld" else ref.token
        if ref.source == "jsonld" and not robots_allows(http, ref.token):
            raise ScrapeError(f"the robots.txt of {ref.token} disallows reading it", url=ref.token)
        result = get_adapter(ref.source).fetch(http, ref, api_url=api_url, fetched_at=now or utcnow())
    except ScrapeError as exc:
        return BoardCheck(board=ref.key, health=health_of_error(exc), postings=0, complete=False, error=str(exc))
    finally:
        if own:
            http.close()
    return BoardCheck(
        board=ref.key,
        health="healthy" if result.complete else "failing",
        postings=len(result.postings),
        complete=result.complete,
        error=None if result.complete else (result.note or "the board was not read completely"),
    )


def board_postings(*, session: Session, board_id: int, limit: int = 200) -> list[JobPosting]:
    """The open postings of one board, newest first."""
    return list(
        session.exec(
            select(JobPosting)
            .where(JobPosting.board_id == board_id, col(JobPosting.closed_at).is_(None))
            .order_by(col(JobPosting.first_seen_at).desc(), col(JobPosting.id).desc())
            .limit(limit)
        ).all()
    )


def remove_board(*, session: Session, key_or_id: str | int) -> Board | None:
    """Stop watching a board and delete it with its postings, runs and the notifications about them.

    Returns the removed board, or None when there is no such board. For operators; the UI checks the user
    with `require_admin` first.
    """
    board = get_board(session=session, key_or_id=key_or_id)
    if board is None:
        return None
    session.delete(board)
    session.flush()
    return board


def get_board(*, session: Session, key_or_id: str | int) -> Board | None:
    """A board by its id, its key (`greenhouse:stripe`), any spelling of it (`Greenhouse:Stripe`) or a URL
    of a known shape, or None. Never touches the network (no discovery, no DNS)."""
    if isinstance(key_or_id, int) or str(key_or_id).isdigit():
        return session.get(Board, int(key_or_id))
    text = str(key_or_id).strip()
    with contextlib.suppress(BadInput):  # an odd key typed by hand can still name a stored board exactly
        ref = board_ref_from_url(text) if re.match(r"^https?://", text, re.IGNORECASE) else parse_board_token(text)
        if ref is not None:
            text = ref.key
    return session.exec(select(Board).where(Board.key == text)).first()


#: The ATS names as people know them, by CONTRACT source name (for "what was detected").
ATS_NAMES: dict[str, str] = {
    "greenhouse": "Greenhouse",
    "lever": "Lever",
    "lever-eu": "Lever (EU)",
    "ashby": "Ashby",
    "workday": "Workday",
    "smartrecruiters": "SmartRecruiters",
    "workable": "Workable",
    "recruitee": "Recruitee",
    "personio": "Personio",
    "jsonld": "a careers page with schema.org JobPosting data",
}


def detected_text(*, ats: str, token: str, typed: str) -> str:
    """What adding a board found, in words: `Greenhouse board “stripe”`, plus `found at <URL>` when the user
    typed a URL rather than the token."""
    name = ATS_NAMES.get(ats, ats)
    found = f"{name} board “{token}”" if ats != "jsonld" else f"{name} ({token})"
    typed = typed.strip()
    if re.match(r"^https?://", typed, re.IGNORECASE) and typed != token:
        found += f", found at {typed}"
    return found


@dataclass(frozen=True, slots=True)
class ScrapeProgress:
    """Where a scrape queued at some moment is: `state` `queued` (no run yet), `running`, or `done` (then
    `status` is the run's `ok` / `partial` / `failed`, with its counts and error)."""

    state: str
    status: str | None = None
    new: int = 0
    updated: int = 0
    closed: int = 0
    error: str | None = None


def scrape_progress(*, session: Session, board_id: int, queued_at: datetime) -> ScrapeProgress:
    """The progress of the scrape of `board_id` queued at `queued_at`: the first run that started at or after
    that moment (the task queue's run), else `queued`."""
    run = session.exec(
        select(ScrapeRun)
        .where(ScrapeRun.board_id == board_id, col(ScrapeRun.started_at) >= queued_at)
        .order_by(col(ScrapeRun.started_at), col(ScrapeRun.id))
    ).first()
    if run is None:
        return ScrapeProgress(state="queued")
    if run.status == "running":
        return ScrapeProgress(state="running")
    return ScrapeProgress(
        state="done",
        status=run.status,
        new=run.new_count,
        updated=run.updated_count,
        closed=run.closed_count,
        error=run.error,
    )
