"""Data access for postings and scrape runs: keyword-only functions over a session, returning typed rows.

`ingest_postings` is the one place where scraped postings are validated, de-duplicated and stored
(scrapy's pipeline, after the adapters only parsed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from jobwatch.core.matching import prepare, search_document
from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.core.text import tokenize
from jobwatch.models import Board, JobPosting, ScrapeRun, utcnow

#: How long after a posting closed a new posting with the same company, title and locations still counts as
#: its repost (and is not announced as new).
REPOST_WINDOW = timedelta(days=30)


@dataclass(slots=True)
class IngestResult:
    """Counts of one ingest: postings new, updated (content changed), unchanged, reopened and closed.

    `reposts` counts the new postings linked to an earlier, closed one (they are in `new` too, but never
    announced); `new_ids` are the ids of all new rows, reposts included.
    """

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    reopened: int = 0
    closed: int = 0
    reposts: int = 0
    new_ids: list[int] = field(default_factory=list)


def locations_text(locations: list[dict[str, Any]] | None) -> str:
    """A stored posting's places (its `locations` JSON) as one line for display: the raw texts joined by `; `."""
    return "; ".join(loc.get("raw", "") for loc in locations or [] if loc.get("raw"))


def posting_to_row_values(posting: Posting) -> dict[str, Any]:
    """The `JobPosting` column values of a normalized posting (CONTRACT section 2 fields, the hash, and the
    search document that the preview's full-text index reads)."""
    data = posting.to_json()
    return {
        "source": posting.source,
        "board": posting.board,
        "external_id": posting.external_id,
        "title": posting.title,
        "company": posting.company,
        "url": posting.url,
        "description_html": posting.description_html,
        "description_text": posting.description_text,
        "locations": data["locations"],
        "workplace": posting.workplace,
        "department": posting.department,
        "team": posting.team,
        "employment_type": posting.employment_type,
        "salary": data["salary"],
        "posted_at": posting.posted_at,
        "updated_at": posting.updated_at,
        "content_hash": posting.content_hash(),
        "search_tokens": search_document(prepare(posting)),
    }


def posting_from_row(row: JobPosting) -> Posting:
    """The normalized posting of a stored row; `id` is the row id as a string (for the matching engine)."""
    salary = row.salary
    return Posting(
        source=row.source,
        board=row.board,
        external_id=row.external_id,
        title=row.title,
        company=row.company,
        url=row.url,
        description_html=row.description_html,
        description_text=row.description_text,
        locations=[Location(**loc) for loc in row.locations or []],
        workplace=row.workplace,
        department=row.department,
        team=row.team,
        employment_type=row.employment_type,
        salary=Salary(**salary) if salary else None,
        posted_at=row.posted_at,
        updated_at=row.updated_at,
        id=str(row.id),
    )


def ingest_postings(
    *,
    session: Session,
    board: Board,
    postings: list[Posting],
    complete: bool,
    now: datetime | None = None,
) -> IngestResult:
    """Upsert `postings` of `board` by (source, board, external_id) and, when `complete`, close the rest.

    A posting is closed only when a complete, successful scrape no longer lists it (field case B03); a
    closed posting that is listed again is reopened. Postings seen by the board's first complete scrape are
    marked baseline and never announced. A repeated external id in `postings` is stored once (the first).

    Reposts: a new posting whose company (any board of the same `Company`, this board included), title and
    locations equal, folded (`repost_key`), those of a posting that closed at most `REPOST_WINDOW` (30 days)
    before `now`, or that this complete scrape closes, is linked to it (`repost_of_id`, the most recently
    closed one) and gets `matched_at = now`, so that matching (`services.matching`, which only reads rows
    with `matched_at` null) never announces it. Each closed posting is reposted once: while its repost is
    open, another posting with the same key is a second opening, not a repost. Flushes but does not commit.
    """
    now = now or utcnow()
    board_id = board.id
    assert board_id is not None, "store the board before ingesting its postings"
    is_baseline = board.baseline_at is None
    existing = {
        row.external_id: row for row in session.exec(select(JobPosting).where(JobPosting.board_id == board.id)).all()
    }
    result = IngestResult()
    seen: set[str] = set()
    fresh: list[JobPosting] = []
    for posting in postings:
        if posting.external_id in seen:
            continue
        seen.add(posting.external_id)
        values = posting_to_row_values(posting)
        row = existing.get(posting.external_id)
        if row is None:
            row = JobPosting(
                board_id=board_id,
                first_seen_at=now,
                last_seen_at=now,
                is_baseline=is_baseline,
                **values,
            )
            session.add(row)
            fresh.append(row)
            result.new += 1
            continue
        row.last_seen_at = now
        if row.closed_at is not None:
            row.closed_at = None
            result.reopened += 1
        if row.content_hash != values["content_hash"]:
            for key, value in values.items():
                setattr(row, key, value)
            result.updated += 1
        else:
            result.unchanged += 1
        session.add(row)
    if complete:
        for external_id, row in existing.items():
            if external_id not in seen and row.closed_at is None:
                row.closed_at = now
                session.add(row)
                result.closed += 1
        if is_baseline:
            board.baseline_at = now
            session.add(board)
    session.flush()
    if fresh:
        result.reposts = _link_reposts(session=session, board=board, fresh=fresh, now=now)
    result.new_ids = [row.id for row in fresh if row.id is not None]
    return result


def repost_key(*, title: str, locations: list[dict[str, Any]]) -> tuple[tuple[str, ...], frozenset[str]]:
    """What makes two postings of one company the same job: the title's tokens (folded, so case, accents,
    punctuation and spacing do not count) and the set of the locations' `raw` texts, each folded to tokens.

    `locations` are CONTRACT section 2 location objects (the `JobPosting.locations` JSON).
    """
    places = frozenset(" ".join(tokenize(str(loc.get("raw") or ""))) for loc in locations)
    return tuple(tokenize(title)), places


def _link_reposts(*, session: Session, board: Board, fresh: list[JobPosting], now: datetime) -> int:
    """Link each of the `fresh` (just stored, flushed) rows that reposts a closed posting; returns how many."""
    board_ids = [board.id]
    if board.company_id is not None:
        board_ids = list(session.exec(select(Board.id).where(Board.company_id == board.company_id)).all())
    # The postings closed within the window (including those this scrape just closed, `closed_at == now`).
    closed = session.exec(
        select(JobPosting)
        .where(
            col(JobPosting.board_id).in_(board_ids),
            col(JobPosting.closed_at).is_not(None),
            col(JobPosting.closed_at) >= now - REPOST_WINDOW,
        )
        .order_by(col(JobPosting.closed_at).desc(), col(JobPosting.id).desc())
    ).all()
    if not closed:
        return 0
    # A closed posting already reposted by a row that is still open is taken: a second new posting with the
    # same title and places is then a second opening.
    taken = set(
        session.exec(
            select(JobPosting.repost_of_id).where(
                col(JobPosting.repost_of_id).in_([row.id for row in closed]), col(JobPosting.closed_at).is_(None)
            )
        ).all()
    )
    candidates: dict[tuple[tuple[str, ...], frozenset[str]], JobPosting] = {}
    for old in closed:  # most recently closed first: the first one of each key wins
        if old.id not in taken:
            candidates.setdefault(repost_key(title=old.title, locations=old.locations), old)
    linked = 0
    for row in fresh:
        original = candidates.pop(repost_key(title=row.title, locations=row.locations), None)
        if original is None:
            continue
        row.repost_of_id = original.id
        row.matched_at = now
        session.add(row)
        linked += 1
    if linked:
        session.flush()
    return linked


def start_run(*, session: Session, board: Board, now: datetime | None = None) -> ScrapeRun:
    """Record that a scrape of `board` started; returns the `running` run (flushed, with its id)."""
    assert board.id is not None
    run = ScrapeRun(board_id=board.id, started_at=now or utcnow(), status="running")
    session.add(run)
    session.flush()
    return run


def open_postings(*, session: Session, limit: int | None = None) -> list[JobPosting]:
    """Open postings, newest first (by first seen, then id)."""
    query = (
        select(JobPosting)
        .where(col(JobPosting.closed_at).is_(None))
        .order_by(col(JobPosting.first_seen_at).desc(), col(JobPosting.id).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())
