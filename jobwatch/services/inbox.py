"""The in-app notification inbox: list, count unread, mark read. Every function is scoped to one user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from jobwatch.models import JobAlert, JobPosting, Notification, utcnow


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One notification as the inbox shows it (public fields only)."""

    id: int
    posting_id: int
    title: str
    company: str | None
    url: str | None
    location: str
    alert_names: list[str]
    created_at: datetime
    read_at: datetime | None
    closed: bool


def list_inbox(*, session: Session, user_id: int, limit: int = 50, offset: int = 0) -> list[InboxItem]:
    """The user's notifications, unread first, then newest first; `limit` at most 200."""
    limit = max(1, min(limit, 200))
    rows = session.exec(
        select(Notification, JobPosting)
        .join(JobPosting, col(JobPosting.id) == Notification.posting_id)
        .where(Notification.user_id == user_id)
        .order_by(
            col(Notification.read_at).is_not(None),
            col(Notification.created_at).desc(),
            col(Notification.id).desc(),
        )
        .limit(limit)
        .offset(max(0, offset))
    ).all()
    alert_ids = {a for note, _ in rows for a in note.alert_ids}
    names = (
        dict(
            session.exec(
                select(JobAlert.id, JobAlert.name).where(col(JobAlert.id).in_(alert_ids), JobAlert.user_id == user_id)
            ).all()
        )
        if alert_ids
        else {}
    )
    return [
        InboxItem(
            id=note.id or 0,
            posting_id=posting.id or 0,
            title=posting.title,
            company=posting.company,
            url=posting.url,
            location="; ".join(loc.get("raw", "") for loc in posting.locations or [] if loc.get("raw")),
            alert_names=[names[a] for a in note.alert_ids if a in names],
            created_at=note.created_at,
            read_at=note.read_at,
            closed=posting.closed_at is not None,
        )
        for note, posting in rows
    ]


def unread_count(*, session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
        ).one()
    )


def mark_read(*, session: Session, user_id: int, notification_id: int) -> bool:
    """Mark one of the user's notifications read; False when it is not theirs or does not exist."""
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        return False
    if note.read_at is None:
        note.read_at = utcnow()
        session.add(note)
        session.flush()
    return True


def mark_all_read(*, session: Session, user_id: int) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    result = session.exec(
        update(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    return int(result.rowcount or 0)
