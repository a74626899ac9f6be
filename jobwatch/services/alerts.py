"""Use cases around a user's alerts: create, list, delete, and the live preview of a draft filter.

Filters are validated by the core (`jobwatch.core.filters.parse_filters`) before anything is stored, and
the preview applies the same predicate as notifications (`jobwatch.core.matching.matches`), so the two
never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from jobwatch.core.filters import AlertFilters, FilterError, parse_filters
from jobwatch.core.matching import compile_alert, matches, prepare
from jobwatch.errors import BadInput
from jobwatch.models import AlertMatch, JobAlert, JobPosting, utcnow
from jobwatch.storage import posting_from_row

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


def preview(*, session: Session, filters: object, limit: int = 50, now: datetime | None = None) -> Preview:
    """Count and the newest `limit` open postings that the draft `filters` match.

    Uses the core predicate on every open posting, newest first; the count stops at `PREVIEW_CAP`
    (`capped` True, shown as "1,000+"). Raises `BadInput` for invalid filters.
    """
    compiled = compile_alert("preview", validate_filters(filters))
    now = now or utcnow()
    shown: list[PostingSummary] = []
    count = 0
    query = (
        select(JobPosting)
        .where(col(JobPosting.closed_at).is_(None))
        .order_by(col(JobPosting.first_seen_at).desc(), col(JobPosting.id).desc())
        .execution_options(yield_per=500)
    )
    for row in session.exec(query):
        if not matches(prepare(posting_from_row(row)), compiled, now=now):
            continue
        count += 1
        if len(shown) < limit:
            shown.append(summarize_posting(row))
        if count >= PREVIEW_CAP:
            return Preview(count=count, capped=True, postings=shown)
    return Preview(count=count, capped=False, postings=shown)
