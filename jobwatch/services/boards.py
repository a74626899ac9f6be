"""Use cases around watched boards: add one (from a board token or a careers URL), list them, show postings."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import func
from sqlmodel import Session, col, select

from jobwatch.config import get_settings
from jobwatch.errors import BadInput
from jobwatch.models import Board, Company, JobPosting
from jobwatch.scrapers.base import ScrapeError
from jobwatch.scrapers.boards import BoardRef, board_ref_from_url, parse_board_token
from jobwatch.scrapers.discovery import discover_board
from jobwatch.scrapers.guard import Resolver, check_url, make_guarded_client

#: The longest board token or URL accepted (the `board.key` column holds 600 characters).
MAX_BOARD_TEXT = 500


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


def add_board(
    *,
    session: Session,
    text: str,
    interval_minutes: int | None = None,
    client: httpx.Client | None = None,
    resolver: Resolver | None = None,
) -> tuple[Board, bool]:
    """Add the board that `text` names (token or URL); returns `(board, created)`.

    An already watched board is returned as it is (`created` False). A company row is made from the board
    token and renamed later from the postings' company name. `client` and `resolver` go to
    `resolve_board_ref` (tests pass stubs). Raises `BadInput` for unusable text or a refused URL; nothing
    is stored then.
    """
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
    )
    session.add(board)
    session.flush()
    return board, True


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
        )
        for board, company_name in rows
    ]


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

    Returns the removed board, or None when there is no such board.
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
