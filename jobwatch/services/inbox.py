"""The in-app notification inbox: list, count unread, mark read, and save / applied / hide a posting.

Every function is scoped to one user. What a user does with a posting lives in `UserJobInteraction` (one
row per user and posting, each action a time or null). A hidden posting leaves the inbox, is counted nowhere,
is skipped by a digest that has not gone out yet, and is never announced again (matching skips it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from jobwatch.models import JobAlert, JobPosting, Notification, UserJobInteraction, utcnow
from jobwatch.storage import locations_text

Interaction = Literal["saved", "applied", "hidden"]


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
    saved: bool = False
    applied: bool = False


def _hidden_postings(user_id: int) -> Any:
    # The postings the user hid, as a subquery for `NOT IN`.
    return (
        select(UserJobInteraction.posting_id)
        .where(UserJobInteraction.user_id == user_id, col(UserJobInteraction.hidden_at).is_not(None))
        .scalar_subquery()
    )


def list_inbox(*, session: Session, user_id: int, limit: int = 50, offset: int = 0) -> list[InboxItem]:
    """The user's notifications except hidden postings, unread first, then newest first; `limit` at most 200."""
    limit = max(1, min(limit, 200))
    rows = session.exec(
        select(Notification, JobPosting)
        .join(JobPosting, col(JobPosting.id) == Notification.posting_id)
        .where(Notification.user_id == user_id, col(Notification.posting_id).not_in(_hidden_postings(user_id)))
        .order_by(
            col(Notification.read_at).is_not(None),
            col(Notification.created_at).desc(),
            col(Notification.id).desc(),
        )
        .limit(limit)
        .offset(max(0, offset))
    ).all()
    return _items(session, user_id, rows)


def unread_count(*, session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread (hidden postings do not count)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id == user_id,
                col(Notification.read_at).is_(None),
                col(Notification.posting_id).not_in(_hidden_postings(user_id)),
            )
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


def set_interaction(
    *, session: Session, user_id: int, notification_id: int, action: Interaction, on: bool = True
) -> bool:
    """Mark (`on`) or unmark what the user did with the posting of one of their notifications.

    `action` is `saved`, `applied` or `hidden`. Hiding also marks the notification read. Returns False when
    the notification is not the user's or does not exist. Idempotent.
    """
    if action not in ("saved", "applied", "hidden"):
        raise ValueError(f"unknown interaction {action!r}")
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        return False
    row = _interaction(session, user_id, note.posting_id)
    field = f"{action}_at"
    if on and getattr(row, field) is None:
        setattr(row, field, utcnow())
    elif not on:
        setattr(row, field, None)
    session.add(row)
    if action == "hidden" and on and note.read_at is None:
        note.read_at = utcnow()
        session.add(note)
    session.flush()
    return True


def _interaction(session: Session, user_id: int, posting_id: int) -> UserJobInteraction:
    query = select(UserJobInteraction).where(
        UserJobInteraction.user_id == user_id, UserJobInteraction.posting_id == posting_id
    )
    row = session.exec(query).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = UserJobInteraction(user_id=user_id, posting_id=posting_id)
            session.add(row)
    except IntegrityError:
        # Another request (a second tab) created it at the same moment: use that one.
        return session.exec(query).one()
    return row


# --- the inbox page: views, a filter by alert, pages; marks by posting (the posting page, saved jobs) -------

#: The inbox's views: every notification, the unread ones, saved postings (with or without a notification),
#: postings the user applied to.
VIEWS = ("all", "unread", "saved", "applied")


@dataclass(frozen=True, slots=True)
class InboxPage:
    """One page of an inbox view: its items and how many there are in all."""

    items: list[InboxItem]
    total: int


def _alert_names(session: Session, user_id: int, alert_ids: set[int]) -> dict[int, str]:
    if not alert_ids:
        return {}
    rows = session.exec(
        select(JobAlert.id, JobAlert.name).where(col(JobAlert.id).in_(alert_ids), JobAlert.user_id == user_id)
    ).all()
    return {int(alert_id): name for alert_id, name in rows if alert_id is not None}


def _matched_by(alert_id: int) -> Any:
    # Postings that one alert matched: the inbox filter by alert (`AlertMatch` holds one row per match, and
    # notifications list the same alerts; a JSON containment test would differ between the databases).
    from jobwatch.models import AlertMatch

    return select(AlertMatch.posting_id).where(AlertMatch.alert_id == alert_id).scalar_subquery()


def inbox_page(
    *,
    session: Session,
    user_id: int,
    view: str = "all",
    alert_id: int | None = None,
    limit: int = 25,
    offset: int = 0,
) -> InboxPage:
    """One page of the user's inbox. `view` is one of `VIEWS`; `alert_id` keeps the notifications of that
    alert of the user's (another user's alert id finds nothing). Hidden postings never show. Order: unread
    first, then newest notification first; `saved` and `applied` list postings by when they were marked,
    newest first, with their notification when there is one (`id` 0 otherwise). Raises `ValueError` for an
    unknown view. `limit` at most 200."""
    if view not in VIEWS:
        raise ValueError(f"unknown inbox view {view!r}")
    limit = max(1, min(limit, 200))
    offset = max(0, offset)
    if (
        alert_id is not None
        and not session.exec(select(JobAlert.id).where(JobAlert.id == alert_id, JobAlert.user_id == user_id)).first()
    ):
        return InboxPage(items=[], total=0)
    if view in ("saved", "applied"):
        return _marked_page(session, user_id, view, alert_id, limit, offset)
    conditions: list[Any] = [
        Notification.user_id == user_id,
        col(Notification.posting_id).not_in(_hidden_postings(user_id)),
    ]
    if view == "unread":
        conditions.append(col(Notification.read_at).is_(None))
    if alert_id is not None:
        conditions.append(col(Notification.posting_id).in_(_matched_by(alert_id)))
    total = int(session.exec(select(func.count()).select_from(Notification).where(*conditions)).one())
    rows = session.exec(
        select(Notification, JobPosting)
        .join(JobPosting, col(JobPosting.id) == Notification.posting_id)
        .where(*conditions)
        .order_by(
            col(Notification.read_at).is_not(None), col(Notification.created_at).desc(), col(Notification.id).desc()
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return InboxPage(items=_items(session, user_id, [(note, posting) for note, posting in rows]), total=total)


def _marked_page(session: Session, user_id: int, view: str, alert_id: int | None, limit: int, offset: int) -> InboxPage:
    field = col(UserJobInteraction.saved_at) if view == "saved" else col(UserJobInteraction.applied_at)
    conditions: list[Any] = [
        UserJobInteraction.user_id == user_id,
        field.is_not(None),
        col(UserJobInteraction.hidden_at).is_(None),
    ]
    if alert_id is not None:
        conditions.append(col(UserJobInteraction.posting_id).in_(_matched_by(alert_id)))
    total = int(session.exec(select(func.count()).select_from(UserJobInteraction).where(*conditions)).one())
    rows = session.exec(
        select(JobPosting, Notification)
        .join(UserJobInteraction, col(UserJobInteraction.posting_id) == JobPosting.id)
        .join(
            Notification,
            (col(Notification.posting_id) == JobPosting.id) & (col(Notification.user_id) == user_id),
            isouter=True,
        )
        .where(*conditions)
        .order_by(field.desc(), col(JobPosting.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return InboxPage(items=_items(session, user_id, [(note, posting) for posting, note in rows]), total=total)


def _items(session: Session, user_id: int, rows: Sequence[tuple[Notification | None, JobPosting]]) -> list[InboxItem]:
    names = _alert_names(session, user_id, {a for note, _ in rows if note is not None for a in note.alert_ids})
    posting_ids = [posting.id for _, posting in rows]
    marks = (
        {
            i.posting_id: i
            for i in session.exec(
                select(UserJobInteraction).where(
                    UserJobInteraction.user_id == user_id, col(UserJobInteraction.posting_id).in_(posting_ids)
                )
            ).all()
        }
        if posting_ids
        else {}
    )
    items: list[InboxItem] = []
    for note, posting in rows:
        mark = marks.get(posting.id or 0)
        items.append(
            InboxItem(
                id=(note.id or 0) if note is not None else 0,
                posting_id=posting.id or 0,
                title=posting.title,
                company=posting.company,
                url=posting.url,
                location=locations_text(posting.locations),
                alert_names=[names[a] for a in note.alert_ids if a in names] if note is not None else [],
                created_at=note.created_at if note is not None else posting.first_seen_at,
                # A saved posting with no notification has nothing to read.
                read_at=note.read_at if note is not None else posting.first_seen_at,
                closed=posting.closed_at is not None,
                saved=mark is not None and mark.saved_at is not None,
                applied=mark is not None and mark.applied_at is not None,
            )
        )
    return items


def set_posting_interaction(
    *, session: Session, user_id: int, posting_id: int, action: Interaction, on: bool = True
) -> bool:
    """Mark (`on`) or unmark a posting as saved, applied or hidden for the user, from the posting's page or
    the saved list (postings are public within the app, so any existing posting may be marked). Hiding also
    marks the user's notification of it read. Returns False when there is no such posting. Idempotent."""
    if action not in ("saved", "applied", "hidden"):
        raise ValueError(f"unknown interaction {action!r}")
    if session.get(JobPosting, posting_id) is None:
        return False
    row = _interaction(session, user_id, posting_id)
    field = f"{action}_at"
    if on and getattr(row, field) is None:
        setattr(row, field, utcnow())
    elif not on:
        setattr(row, field, None)
    session.add(row)
    if action == "hidden" and on:
        session.exec(
            update(Notification)
            .where(
                col(Notification.user_id) == user_id,
                col(Notification.posting_id) == posting_id,
                col(Notification.read_at).is_(None),
            )
            .values(read_at=utcnow())
        )
    session.flush()
    return True
