"""Match new postings against every active alert and create the inbox notifications.

What counts as new: postings not yet matched (`matched_at` null), open, and not from a board's baseline
scrape. An alert is told only of postings first seen after it was created. Each user gets one notification
per posting however many of their alerts match (field case B18); a posting the user hid is never announced.
Each posting is matched once, so an edited or reopened posting is not announced again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobwatch.core.matching import collector_paused, prepare
from jobwatch.db import session_scope
from jobwatch.models import AlertMatch, JobAlert, JobPosting, Notification, UserJobInteraction, utcnow
from jobwatch.services.alert_index import alert_engine
from jobwatch.storage import posting_from_row

BATCH = 500


@dataclass(slots=True)
class MatchSummary:
    """What one matching pass did: postings handled, alert matches and notifications created."""

    postings: int = 0
    matches: int = 0
    notifications: int = 0


def match_new_postings(*, engine: Engine | None = None, now: datetime | None = None) -> MatchSummary:
    """Match every unmatched posting, in batches of `BATCH` postings, each batch in its own transaction.

    Idempotent: a re-run after a crash finds the same postings unmatched and the unique constraints keep
    alert matches and notifications single.
    """
    total = MatchSummary()
    while True:
        with session_scope(engine) as session:
            done = _match_batch(session=session, now=now or utcnow())
        total.postings += done.postings
        total.matches += done.matches
        total.notifications += done.notifications
        if done.postings < BATCH:
            return total


def _match_batch(*, session: Session, now: datetime) -> MatchSummary:
    rows = list(
        session.exec(
            select(JobPosting)
            .where(col(JobPosting.matched_at).is_(None))
            .order_by(col(JobPosting.id))
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
    )
    summary = MatchSummary(postings=len(rows))
    if not rows:
        return summary
    candidates = [r for r in rows if not r.is_baseline and r.closed_at is None]
    # The compiled index of active alerts lives across batches and passes; it is refreshed here, so alerts
    # that the web app created, changed, paused or deleted since the last batch are taken as they are now.
    index = alert_engine(session).index
    pairs: list[tuple[int, JobPosting]] = []
    with collector_paused():  # a batch allocates many short-lived sets; see `collector_paused`
        for row in candidates:
            # The stored search tokens spare tokenizing the title and description again.
            prepared = prepare(posting_from_row(row), document=row.search_tokens)
            pairs.extend((int(alert_key), row) for alert_key in index.match(prepared, now=now))
    by_id: dict[int, JobAlert] = {}
    if pairs:
        matched_ids = {alert_id for alert_id, _ in pairs}
        by_id = {
            alert.id: alert
            for alert in session.exec(
                select(JobAlert).where(col(JobAlert.id).in_(matched_ids), col(JobAlert.is_active).is_(True))
            ).all()
            if alert.id is not None
        }

    hits: dict[tuple[int, int], list[JobAlert]] = defaultdict(list)
    for alert_id, row in pairs:
        alert = by_id.get(alert_id)
        if alert is None or row.first_seen_at < alert.created_at:
            continue
        assert row.id is not None
        hits[(alert.user_id, row.id)].append(alert)

    if hits:
        user_ids = {u for u, _ in hits}
        posting_ids = {p for _, p in hits}
        hidden = set(
            session.exec(
                select(UserJobInteraction.user_id, UserJobInteraction.posting_id).where(
                    col(UserJobInteraction.user_id).in_(user_ids),
                    col(UserJobInteraction.posting_id).in_(posting_ids),
                    col(UserJobInteraction.hidden_at).is_not(None),
                )
            ).all()
        )
        existing_matches = set(
            session.exec(
                select(AlertMatch.alert_id, AlertMatch.posting_id).where(col(AlertMatch.posting_id).in_(posting_ids))
            ).all()
        )
        existing_notes = {
            (n.user_id, n.posting_id): n
            for n in session.exec(select(Notification).where(col(Notification.posting_id).in_(posting_ids))).all()
        }
        for (user_id, posting_id), user_alerts in hits.items():
            for alert in user_alerts:
                assert alert.id is not None
                if (alert.id, posting_id) not in existing_matches:
                    session.add(AlertMatch(alert_id=alert.id, posting_id=posting_id, matched_at=now))
                    summary.matches += 1
            if (user_id, posting_id) in hidden:
                continue
            alert_ids = sorted(a.id for a in user_alerts if a.id is not None)
            wants_email = any("email" in a.channels for a in user_alerts)
            note = existing_notes.get((user_id, posting_id))
            if note is None:
                session.add(
                    Notification(
                        user_id=user_id,
                        posting_id=posting_id,
                        alert_ids=alert_ids,
                        created_at=now,
                        email_status="pending" if wants_email else "skipped",
                    )
                )
                summary.notifications += 1
            else:
                note.alert_ids = sorted(set(note.alert_ids) | set(alert_ids))
                session.add(note)
    for row in rows:
        row.matched_at = now
        session.add(row)
    session.flush()
    return summary
