"""Use cases around a user's alerts: create, list, delete, and the live preview of a draft filter.

Filters are validated by the core (`jobwatch.core.filters.parse_filters`) before anything is stored, and
the preview applies the same predicate as notifications (`jobwatch.core.matching.matches`), so the two
never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, literal_column, or_, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from jobwatch.core.filters import AlertFilters, FilterError, parse_filters
from jobwatch.core.matching import (
    CompiledAlert,
    SearchQuery,
    Term,
    compile_alert,
    document_filter,
    encode_term,
    matches,
    plan_fits_documents,
    prepare,
    residual,
    search_plan,
)
from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.errors import BadInput
from jobwatch.models import AlertMatch, JobAlert, JobPosting, utcnow
from jobwatch.storage import locations_text

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
        location=locations_text(row.locations),
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


def full_text_condition(query: str, dialect: str) -> ColumnElement[bool] | None:
    """The SQL condition "the posting's search document satisfies `query`" (a :func:`full_text_query` text of
    the same `dialect`) that the database's full-text index serves: the FTS5 table on SQLite, the GIN index on
    the stored `search_vector` column on PostgreSQL (revision b41c7e9d2f6a; stored, so no plan ever tokenizes
    documents while it runs). None for another database (the caller scans)."""
    if dialect == "sqlite":
        matching = text("SELECT rowid FROM job_posting_fts WHERE job_posting_fts MATCH :fts").bindparams(fts=query)
        return col(JobPosting.id).in_(matching)
    if dialect == "postgresql":
        return literal_column("job_posting.search_vector").op("@@")(
            func.to_tsquery(literal_column("'simple'::regconfig"), query)
        )
    return None


@contextmanager
def full_text_scans(session: Session) -> Iterator[None]:
    """Within the block, PostgreSQL reads full-text candidates through the GIN index, never by a sequential scan.

    The planner does not know what reading a stored `search_vector` costs (each is a few KB, out of line), so
    for a draft that matches a tenth of the postings it prefers scanning the whole table (about a second on
    100K postings) over the index (tens of milliseconds). `SET LOCAL enable_seqscan = off` lasts until the
    block ends (or the transaction, if it fails first). Other databases: nothing changes."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.exec(text("SET LOCAL enable_seqscan = off"))  # type: ignore[call-overload]
    try:
        yield
    finally:
        with suppress(SQLAlchemyError):  # a failed transaction ends the setting with it
            session.exec(text("SET LOCAL enable_seqscan TO DEFAULT"))  # type: ignore[call-overload]


def _candidate_filter(alert: CompiledAlert, dialect: str) -> ColumnElement[bool] | None:
    query = full_text_query(alert, dialect)
    return None if query is None else full_text_condition(query, dialect)


# What a preview reads of each posting it shows, and what the core predicate may read (CONTRACT section 2).
# The JSON columns come as text and are decoded only when needed (a preview shows 50 rows of a scan of up to
# a few thousand).
_LOCATIONS_TEXT = cast(JobPosting.locations, String).label("locations_text")
_SHOWN = (
    JobPosting.id,
    JobPosting.title,
    JobPosting.company,
    _LOCATIONS_TEXT,
    JobPosting.url,
    JobPosting.workplace,
    JobPosting.posted_at,
)
_CHECKED = (
    JobPosting.source,
    JobPosting.board,
    JobPosting.external_id,
    JobPosting.department,
    JobPosting.team,
    JobPosting.employment_type,
    cast(JobPosting.salary, String).label("salary_text"),
)


def _sql_decides(alert: CompiledAlert) -> bool:
    """Whether every term of `alert`'s search plan can be looked up in the stored documents (so that the
    full-text query is exactly true of a posting's terms, not only a prune)."""
    plan = search_plan(alert)
    terms: list[Term] = list(plan.excluded)
    pending: list[SearchQuery] = list(plan.groups)
    while pending:
        query = pending.pop()
        if isinstance(query[1], str):
            terms.append((query[0], query[1]))
        else:
            pending.extend(query[1])
    return all(encode_term(field, value) is not None for field, value in terms)


def _left_to_check(alert: CompiledAlert) -> CompiledAlert | None:
    """What the core predicate must still decide of a posting that the SQL query returned, or None when
    the query decides alone: the full-text query is exact for every exact group of the search plan and
    for the exclusions of one token, and freshness is a column comparison."""
    if not _sql_decides(alert):
        return alert
    return residual(alert, search_plan(alert), freshness=False)


def _reads_texts(left: CompiledAlert) -> bool:
    return bool(left.keywords or left.exclude_keywords)


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None


def _summary(row: Any) -> PostingSummary:
    locations = _json(row.locations_text) or []
    return PostingSummary(
        id=row.id,
        title=row.title,
        company=row.company,
        location=locations_text(locations),
        url=row.url,
        workplace=row.workplace,
        posted_at=row.posted_at,
        closed=False,
    )


def _row_posting(row: Any, left: CompiledAlert, description: str | None) -> Posting:
    # Only what `left` reads is filled in: `matches` never looks at a key that `left` leaves unset.
    salary = _json(row.salary_text) if left.salary_min is not None else None
    locations = _json(row.locations_text) if left.locations else None
    return Posting(
        source=row.source,
        board=row.board,
        external_id=row.external_id,
        title=row.title if left.keywords or left.title_keywords or left.exclude_keywords else "",
        company=row.company,
        description_text=description,
        locations=[Location(**loc) for loc in locations or []],
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
    `simple` tsvector) finds the postings that satisfy the draft's core search plan; freshness is compared
    in SQL. For most drafts that is the whole answer: every key whose plan group is exact (companies,
    departments, employment types, remote, keywords and locations of one token) and one-token exclusions
    are decided by the index exactly as the core decides them, and the count (up to `PREVIEW_CAP`) and the
    newest postings come from SQL. What the index cannot decide (phrases, salary) is left to the core
    predicate (`matches`, as for notifications), run on the candidates newest first over the columns it
    needs; the count stops at `PREVIEW_CAP` (`capped` True, shown as "1,000+"). So preview and
    notifications never disagree. Raises `BadInput` for invalid filters.
    """
    compiled = compile_alert("preview", validate_filters(filters))
    with full_text_scans(session):
        return _preview(session, compiled, limit, now or utcnow())


def _preview(session: Session, compiled: CompiledAlert, limit: int, now: datetime) -> Preview:
    dialect = session.get_bind().dialect.name
    conditions: list[ColumnElement[bool]] = [col(JobPosting.closed_at).is_(None)]
    candidate_filter = _candidate_filter(compiled, dialect)
    if candidate_filter is not None:
        conditions.append(candidate_filter)
    if compiled.posted_within is not None:
        cutoff = now - compiled.posted_within
        conditions.append(or_(col(JobPosting.posted_at).is_(None), col(JobPosting.posted_at) >= cutoff))
    newest = (col(JobPosting.first_seen_at).desc(), col(JobPosting.id).desc())
    # Only a full-text query (SQLite, PostgreSQL) makes the index exact; another database scans.
    left = _left_to_check(compiled) if candidate_filter is not None else compiled
    if left is None:
        first = select(col(JobPosting.id)).where(*conditions).limit(PREVIEW_CAP).subquery()
        count = int(session.exec(select(func.count()).select_from(first)).one())
        shown = session.exec(select(*_SHOWN).where(*conditions).order_by(*newest).limit(limit)).all()  # type: ignore[call-overload]
        return Preview(count=count, capped=count >= PREVIEW_CAP, postings=[_summary(row) for row in shown])

    # The predicate decides. A keyword token too long for the stored documents (pathological Unicode only)
    # needs the texts; otherwise tokens come from the documents, and only when the check reads the texts.
    texts: tuple[Any, ...] = ()
    from_documents = plan_fits_documents(compiled)
    reads_texts = _reads_texts(left)
    if reads_texts:
        texts = (JobPosting.search_tokens,) if from_documents else (JobPosting.description_text,)
    # A cheap look at the document first skips most candidates of a phrase that the index could only prune.
    may_match = document_filter(left) if reads_texts and from_documents else None
    query = select(*_SHOWN, *_CHECKED, *texts).where(*conditions).order_by(*newest)  # type: ignore[call-overload]
    result: list[PostingSummary] = []
    count = 0
    for row in session.exec(query.execution_options(yield_per=500)):
        document = row.search_tokens if reads_texts and from_documents else None
        if may_match is not None and not may_match(document or ""):
            continue
        description = row.description_text if reads_texts and not from_documents else None
        if not matches(prepare(_row_posting(row, left, description), document=document), left, now=now):
            continue
        count += 1
        if len(result) < limit:
            result.append(_summary(row))
        if count >= PREVIEW_CAP:
            return Preview(count=count, capped=True, postings=result)
    return Preview(count=count, capped=False, postings=result)


# --- editing, copying and counting one user's alerts (the alerts list and the builder's edit mode) ---------


@dataclass(frozen=True, slots=True)
class AlertDraft:
    """One stored alert as the builder edits it: name, filters (CONTRACT section 3 JSON), frequency, channels."""

    id: int
    name: str
    filters: dict[str, Any]
    frequency: str
    channels: list[str]
    is_active: bool


def _own_alert(session: Session, user_id: int, alert_id: int) -> JobAlert | None:
    alert = session.get(JobAlert, alert_id)
    return alert if alert is not None and alert.user_id == user_id else None


def get_alert(*, session: Session, user_id: int, alert_id: int) -> AlertDraft | None:
    """One of the user's alerts, or None when it does not exist or belongs to someone else (the two read
    alike, so an id reveals nothing about other users' alerts)."""
    alert = _own_alert(session, user_id, alert_id)
    if alert is None or alert.id is None:
        return None
    return AlertDraft(
        id=alert.id,
        name=alert.name,
        filters=dict(alert.filters),
        frequency=alert.frequency,
        channels=list(alert.channels),
        is_active=alert.is_active,
    )


def update_alert(
    *,
    session: Session,
    user_id: int,
    alert_id: int,
    name: str,
    filters: dict[str, Any],
    frequency: str,
) -> JobAlert | None:
    """Change the name, filters and frequency of one of the user's alerts; None (nothing changed) when it is
    not theirs. Raises `BadInput` as `create_alert` does; nothing is changed then. Matches found so far stay:
    the new filters apply to postings matched from now on."""
    alert = _own_alert(session, user_id, alert_id)
    if alert is None:
        return None
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise BadInput("give the alert a name of 1 to 100 characters")
    if frequency not in FREQUENCIES:
        raise BadInput(f"frequency must be one of {', '.join(FREQUENCIES)}")
    parsed = validate_filters(filters)
    alert.name = name
    alert.filters = parsed.to_json()
    alert.frequency = frequency
    alert.updated_at = utcnow()  # the worker's cached alert index notices the change by this
    session.add(alert)
    session.flush()
    return alert


def duplicate_alert(*, session: Session, user_id: int, alert_id: int) -> JobAlert | None:
    """A copy of one of the user's alerts named "Copy of <name>" (cut to 100 characters), with the same
    filters, frequency and channels, active, with no matches yet; None when the alert is not theirs."""
    alert = _own_alert(session, user_id, alert_id)
    if alert is None:
        return None
    now = utcnow()
    copy = JobAlert(
        user_id=user_id,
        name=f"Copy of {alert.name}"[:100],
        filters=dict(alert.filters),
        frequency=alert.frequency,
        channels=list(alert.channels),
        created_at=now,
        updated_at=now,
    )
    session.add(copy)
    session.flush()
    return copy


def matches_since(*, session: Session, user_id: int, since: datetime) -> dict[int, int]:
    """How many postings each of the user's alerts matched at or after `since`, by alert id (alerts with no
    such match are left out)."""
    rows = session.exec(
        select(AlertMatch.alert_id, func.count())
        .join(JobAlert, col(JobAlert.id) == AlertMatch.alert_id)
        .where(JobAlert.user_id == user_id, col(AlertMatch.matched_at) >= since)
        .group_by(col(AlertMatch.alert_id))
    ).all()
    return {int(alert_id): int(n) for alert_id, n in rows}
