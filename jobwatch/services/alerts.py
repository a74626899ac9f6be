"""Use cases around a user's alerts: create, list, delete, and the live preview of a draft filter.

Filters are validated by the core (`jobwatch.core.filters.parse_filters`) before anything is stored, and
the preview applies the same predicate as notifications (`jobwatch.core.matching.matches`), so the two
never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, or_, text
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from jobwatch.core.filters import AlertFilters, FilterError, parse_filters
from jobwatch.core.matching import (
    CompiledAlert,
    SearchQuery,
    compile_alert,
    encode_term,
    matches,
    plan_fits_documents,
    prepare,
    search_plan,
)
from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.errors import BadInput
from jobwatch.models import AlertMatch, JobAlert, JobPosting, utcnow

FREQUENCIES = ("instant", "daily", "weekly")
CHANNELS = ("inbox", "email")
PREVIEW_CAP = 1000


@dataclass(frozen=True, slots=True)
class PostingSummary:
    """A posting as lists show it (safe to send to the browser: public fields only)."""

    id: int
    title: str
    company: str | None
    location: str
    url: str | None
    workplace: str | None
    posted_at: datetime | None
    closed: bool


@dataclass(frozen=True, slots=True)
class AlertSummary:
    """An alert as the alerts list shows it."""

    id: int
    name: str
    filters: dict[str, Any]
    frequency: str
    is_active: bool
    created_at: datetime
    last_notified_at: datetime | None
    match_count: int


@dataclass(frozen=True, slots=True)
class Preview:
    """The live preview of a draft filter: how many open postings match (`capped`: at least `count`)."""

    count: int
    capped: bool
    postings: list[PostingSummary]


def summarize_posting(row: JobPosting) -> PostingSummary:
    """The list view of a stored posting; `location` joins the raw place names."""
    return PostingSummary(
        id=row.id or 0,
        title=row.title,
        company=row.company,
        location="; ".join(loc.get("raw", "") for loc in row.locations or [] if loc.get("raw")),
        url=row.url,
        workplace=row.workplace,
        posted_at=row.posted_at,
        closed=row.closed_at is not None,
    )


def validate_filters(filters: object) -> AlertFilters:
    """Parse and validate CONTRACT section 3 filters; raises `BadInput` with the core's message."""
    try:
        return parse_filters(filters)
    except FilterError as exc:
        raise BadInput(str(exc)) from exc


def create_alert(
    *,
    session: Session,
    user_id: int,
    name: str,
    filters: dict[str, Any],
    frequency: str = "daily",
    channels: list[str] | None = None,
) -> JobAlert:
    """Create an alert for `user_id`. Raises `BadInput` for an empty or long name, a bad frequency or channel,
    or invalid filters; nothing is stored then."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise BadInput("give the alert a name of 1 to 100 characters")
    if frequency not in FREQUENCIES:
        raise BadInput(f"frequency must be one of {', '.join(FREQUENCIES)}")
    channels = list(channels) if channels is not None else ["inbox", "email"]
    if not channels or any(c not in CHANNELS for c in channels):
        raise BadInput(f"channels must be a non-empty list of {', '.join(CHANNELS)}")
    parsed = validate_filters(filters)
    now = utcnow()
    alert = JobAlert(
        user_id=user_id,
        name=name,
        filters=parsed.to_json(),
        frequency=frequency,
        channels=channels,
        created_at=now,
        updated_at=now,
    )
    session.add(alert)
    session.flush()
    return alert


def list_alerts(*, session: Session, user_id: int) -> list[AlertSummary]:
    """The user's alerts, newest first, with how many postings each has matched."""
    counts = dict(
        session.exec(
            select(AlertMatch.alert_id, func.count())
            .join(JobAlert, col(JobAlert.id) == AlertMatch.alert_id)
            .where(JobAlert.user_id == user_id)
            .group_by(col(AlertMatch.alert_id))
        ).all()
    )
    alerts = session.exec(
        select(JobAlert).where(JobAlert.user_id == user_id).order_by(col(JobAlert.created_at).desc())
    ).all()
    return [
        AlertSummary(
            id=a.id or 0,
            name=a.name,
            filters=a.filters,
            frequency=a.frequency,
            is_active=a.is_active,
            created_at=a.created_at,
            last_notified_at=a.last_notified_at,
            match_count=int(counts.get(a.id or 0, 0)),
        )
        for a in alerts
    ]


def delete_alert(*, session: Session, user_id: int, alert_id: int) -> bool:
    """Delete one of the user's alerts; False (and nothing changed) when it is not theirs or does not exist."""
    alert = session.get(JobAlert, alert_id)
    if alert is None or alert.user_id != user_id:
        return False
    session.delete(alert)
    session.flush()
    return True


def _render(query: SearchQuery, dialect: str) -> str | None:
    """One plan formula as FTS5 (SQLite) or tsquery (PostgreSQL) text; None when it cannot prune (true)."""
    if isinstance(query[1], str):
        word = encode_term(query[0], query[1])
        if word is None:
            return None
        return f'"{word}"' if dialect == "sqlite" else word
    operator, children = query[0], query[1]
    assert isinstance(children, tuple)
    parts = [_render(child, dialect) for child in children]
    if operator == "or":
        if any(part is None for part in parts):
            return None  # one unconstrained alternative makes the whole OR unconstrained
        kept = [part for part in parts if part is not None]
        joiner = " OR " if dialect == "sqlite" else " | "
    else:
        kept = [part for part in parts if part is not None]
        if not kept:
            return None
        joiner = " AND " if dialect == "sqlite" else " & "
    return kept[0] if len(kept) == 1 else "(" + joiner.join(kept) + ")"


def full_text_query(alert: CompiledAlert, dialect: str) -> str | None:
    """The full-text query that finds the candidate postings of `alert` (its core :func:`search_plan`), in
    SQLite FTS5 syntax or PostgreSQL tsquery syntax (`dialect` "sqlite" or "postgresql"); None when the
    plan cannot prune. Every posting `matches()` accepts satisfies it."""
    plan = search_plan(alert)
    groups = [part for part in (_render(group, dialect) for group in plan.groups) if part is not None]
    if not groups:
        return None
    excluded = [word for word in (encode_term(field, value) for field, value in plan.excluded) if word]
    if dialect == "sqlite":
        text = " AND ".join(groups)
        if excluded:
            text = f"({text}) NOT (" + " OR ".join(f'"{word}"' for word in excluded) + ")"
        return text
    text = " & ".join(groups)
    if excluded:
        text = f"({text}) & !(" + " | ".join(excluded) + ")"
    return text


def _candidate_filter(alert: CompiledAlert, dialect: str) -> ColumnElement[bool] | None:
    query = full_text_query(alert, dialect)
    if query is None:
        return None
    if dialect == "sqlite":
        matching = text("SELECT rowid FROM job_posting_fts WHERE job_posting_fts MATCH :fts").bindparams(fts=query)
        return col(JobPosting.id).in_(matching)
    if dialect == "postgresql":
        # The same expression as the GIN index of revision 7c1f3a9e5b2d, so that the index serves it.
        return func.to_tsvector(literal_column("'simple'::regconfig"), col(JobPosting.search_tokens)).op("@@")(
            func.to_tsquery(literal_column("'simple'::regconfig"), query)
        )
    return None  # another database: scan, the predicate still decides


def _preview_posting(row: JobPosting, *, with_text: bool) -> Posting:
    # The title and description tokens come from the stored search document; the texts are not loaded.
    salary = row.salary
    return Posting(
        source=row.source,
        board=row.board,
        external_id=row.external_id,
        title=row.title,
        company=row.company,
        description_text=row.description_text if with_text else None,
        locations=[Location(**loc) for loc in row.locations or []],
        workplace=row.workplace,
        department=row.department,
        team=row.team,
        employment_type=row.employment_type,
        salary=Salary(**salary) if salary else None,
        posted_at=row.posted_at,
        id=str(row.id),
    )


def preview(*, session: Session, filters: object, limit: int = 50, now: datetime | None = None) -> Preview:
    """Count and the newest `limit` open postings that the draft `filters` match.

    The database's full-text index over the postings' search documents (SQLite FTS5, PostgreSQL GIN on a
    `simple` tsvector) finds the candidates of the draft's core search plan, newest first; the core predicate
    (`matches`, as for notifications) decides each one, so preview and notifications never disagree. The
    count stops at `PREVIEW_CAP` (`capped` True, shown as "1,000+"). Raises `BadInput` for invalid filters.
    """
    compiled = compile_alert("preview", validate_filters(filters))
    now = now or utcnow()
    dialect = session.get_bind().dialect.name
    # A keyword token too long for the stored documents (pathological Unicode only) needs the texts.
    from_documents = plan_fits_documents(compiled)
    query = select(JobPosting).where(col(JobPosting.closed_at).is_(None))
    candidate_filter = _candidate_filter(compiled, dialect)
    if candidate_filter is not None:
        query = query.where(candidate_filter)
    if compiled.posted_within is not None:
        cutoff = now - compiled.posted_within
        query = query.where(or_(col(JobPosting.posted_at).is_(None), col(JobPosting.posted_at) >= cutoff))
    if from_documents:
        query = query.options(defer(JobPosting.description_html), defer(JobPosting.description_text))  # type: ignore[arg-type]
    query = query.order_by(col(JobPosting.first_seen_at).desc(), col(JobPosting.id).desc()).execution_options(
        yield_per=200
    )
    shown: list[PostingSummary] = []
    count = 0
    for row in session.exec(query):
        document = row.search_tokens if from_documents else None
        posting = _preview_posting(row, with_text=document is None)
        if not matches(prepare(posting, document=document), compiled, now=now):
            continue
        count += 1
        if len(shown) < limit:
            shown.append(summarize_posting(row))
        if count >= PREVIEW_CAP:
            return Preview(count=count, capped=True, postings=shown)
    return Preview(count=count, capped=False, postings=shown)
