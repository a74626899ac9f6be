"""Email digests: find what is due, build one digest per user per tick, send it, record the outcome.

Two phases keep "nobody is told twice" through crashes and retries:
1. `build_due_digests`, in one transaction per user: the user's pending notifications of due alerts are
   tied to a new `Digest` row (status `pending`, rendered payload stored) and the alerts' digest cursors
   move to the slot just handled.
2. `deliver_pending_digests`: each pending digest is sent with the idempotency key `digest-<id>`; it is
   marked `sent` only after the mail service accepted it, `failed` on a permanent error, and left pending
   on a transient one (the next tick retries the same payload with the same key).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobwatch.config import get_settings
from jobwatch.core.digests import DigestPosting, build_digest, is_due, safe_url
from jobwatch.db import session_scope
from jobwatch.mail.render import render_digest
from jobwatch.mail.senders import EmailMessage, PermanentSendError, Sender, SendError, make_sender
from jobwatch.models import Digest, JobAlert, JobPosting, Notification, User, utcnow
from jobwatch.services.unsubscribe import unsubscribe_token

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DigestSummary:
    """What one digest pass did: digests built, sent, failed (permanently), left for retry."""

    built: int = 0
    sent: int = 0
    failed: int = 0
    retry: int = 0


def send_due_digests(
    *, engine: Engine | None = None, now: datetime | None = None, sender: Sender | None = None
) -> DigestSummary:
    """Build the digests due at `now` and deliver every pending digest. Idempotent per tick."""
    now = now or utcnow()
    summary = DigestSummary(built=build_due_digests(engine=engine, now=now))
    delivered = deliver_pending_digests(engine=engine, sender=sender or make_sender(), now=now)
    summary.sent, summary.failed, summary.retry = delivered.sent, delivered.failed, delivered.retry
    return summary


def _settled_until(alert: JobAlert) -> datetime:
    return alert.digest_cursor_at or alert.created_at


def build_due_digests(*, engine: Engine | None = None, now: datetime) -> int:
    """Create the `pending` digests due at `now` (one per user at most); returns how many were built."""
    with session_scope(engine) as session:
        user_ids = list(
            session.exec(select(JobAlert.user_id).where(col(JobAlert.is_active).is_(True)).distinct()).all()
        )
    built = 0
    for user_id in user_ids:
        with session_scope(engine) as session:
            built += _build_for_user(session=session, user_id=user_id, now=now)
    return built


def _build_for_user(*, session: Session, user_id: int, now: datetime) -> int:
    user = session.get(User, user_id)
    if user is None:
        return 0
    alerts = list(
        session.exec(select(JobAlert).where(JobAlert.user_id == user_id, col(JobAlert.is_active).is_(True))).all()
    )
    paused = user.notifications_paused_until is not None and user.notifications_paused_until > now
    if paused or user.email_suppressed_at is not None:
        return 0
    due = {
        a.id: a
        for a in alerts
        if "email" in a.channels
        and is_due(
            a.frequency,
            settled_until=_settled_until(a),
            now=now,
            tz=user.timezone,
            hour=user.digest_hour,
            weekday=user.weekly_day,
        )
    }
    if not due:
        return 0
    for alert in due.values():
        alert.digest_cursor_at = now
        session.add(alert)
    pending = session.exec(
        select(Notification, JobPosting)
        .join(JobPosting, col(JobPosting.id) == Notification.posting_id)
        .where(
            Notification.user_id == user_id,
            Notification.email_status == "pending",
            col(Notification.digest_id).is_(None),
        )
        .order_by(col(Notification.created_at), col(Notification.id))
    ).all()
    names = {a.id: a.name for a in alerts}
    groups: dict[int, list[DigestPosting]] = defaultdict(list)
    included: list[Notification] = []
    for note, posting in pending:
        due_ids = [a for a in note.alert_ids if a in due]
        if not due_ids:
            continue  # waits for the digest of one of its own alerts
        if posting.closed_at is not None:
            note.email_status = "skipped"  # closed before we could tell anyone: not worth an email
            session.add(note)
            continue
        first = due_ids[0]
        groups[first].append(
            DigestPosting(
                title=posting.title,
                company=posting.company,
                location="; ".join(loc.get("raw", "") for loc in posting.locations or [] if loc.get("raw")),
                url=safe_url(posting.url),
                posted_at=posting.posted_at,
                also=tuple(names[a] for a in note.alert_ids if a != first and a in names),
            )
        )
        included.append(note)
    if not included:
        return 0
    settings = get_settings()
    base = settings.app_url.rstrip("/")
    unsubscribe = f"{base}/unsubscribe?token={quote(unsubscribe_token(user_id))}"
    content = build_digest(
        [(names[a], groups[a]) for a in sorted(groups)],
        max_per_alert=settings.digest_max_per_alert,
        greeting_name=user.display_name,
        links={"inbox": f"{base}/inbox", "alerts": f"{base}/alerts", "unsubscribe": unsubscribe},
    )
    rendered = render_digest(content)
    digest = Digest(
        user_id=user_id,
        to_email=user.email,
        subject=rendered.subject,
        alert_ids=sorted(groups),
        posting_count=len(included),
        html=rendered.html,
        text=rendered.text,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        created_at=now,
    )
    session.add(digest)
    session.flush()
    for note in included:
        note.digest_id = digest.id
        note.email_status = "queued"
        session.add(note)
    for alert_id in groups:
        due[alert_id].last_notified_at = now
    return 1


def deliver_pending_digests(*, engine: Engine | None = None, sender: Sender, now: datetime) -> DigestSummary:
    """Send every `pending` digest, oldest first; see the module docstring for the outcome of each."""
    summary = DigestSummary()
    settings = get_settings()
    with session_scope(engine) as session:
        ids = list(session.exec(select(Digest.id).where(Digest.status == "pending").order_by(col(Digest.id))).all())
    for digest_id in ids:
        with session_scope(engine) as session:
            digest = session.get(Digest, digest_id)
            if digest is None or digest.status != "pending":
                continue
            digest.attempts += 1
            message = EmailMessage(
                to=digest.to_email,
                from_=settings.email_from,
                subject=digest.subject,
                html=digest.html,
                text=digest.text,
                headers=dict(digest.headers),
                idempotency_key=f"digest-{digest.id}",
            )
            try:
                digest.provider_message_id = sender.send(message, session=session)
            except PermanentSendError as exc:
                digest.status, digest.error = "failed", str(exc)[:2000]
                _set_notes(session, digest, "failed")
                summary.failed += 1
            except SendError as exc:
                digest.error = str(exc)[:2000]
                summary.retry += 1
                log.warning("digest %s not sent yet: %s", digest.id, exc)
            else:
                digest.status, digest.sent_at, digest.error = "sent", now, None
                _set_notes(session, digest, "sent")
                summary.sent += 1
            session.add(digest)
    return summary


def _set_notes(session: Session, digest: Digest, status: str) -> None:
    for note in session.exec(select(Notification).where(Notification.digest_id == digest.id)).all():
        note.email_status = status
        session.add(note)
