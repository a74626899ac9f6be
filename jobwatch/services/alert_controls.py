"""Switches on a user's own alerts: digest email on or off, paused or active, and each alert's feed URL.

Every function is scoped to one user: an alert of someone else reads as missing and nothing changes.
"""

from __future__ import annotations

from sqlmodel import Session, select

from jobwatch.models import JobAlert, utcnow
from jobwatch.services.feeds import feed_url
from jobwatch.services.unsubscribe import resubscribe


def _own(session: Session, user_id: int, alert_id: int) -> JobAlert | None:
    alert = session.get(JobAlert, alert_id)
    return alert if alert is not None and alert.user_id == user_id else None


def email_on_ids(*, session: Session, user_id: int) -> set[int]:
    """Ids of the user's alerts whose matches are emailed (channel `email`)."""
    alerts = session.exec(select(JobAlert).where(JobAlert.user_id == user_id)).all()
    return {a.id for a in alerts if a.id is not None and "email" in a.channels}


def set_email(*, session: Session, user_id: int, alert_id: int, on: bool) -> bool:
    """Turn digest email for one alert on (as resubscribing does) or off; False when the alert is not theirs."""
    alert = _own(session, user_id, alert_id)
    if alert is None:
        return False
    if on:
        resubscribe(session=session, user_id=user_id, alert_ids=[alert_id])
    elif "email" in alert.channels:
        alert.channels = [c for c in alert.channels if c != "email"] or ["inbox"]
        alert.updated_at = utcnow()
        session.add(alert)
    session.flush()
    return True


def set_active(*, session: Session, user_id: int, alert_id: int, active: bool) -> bool:
    """Pause or resume one alert (a paused alert matches nothing); False when the alert is not theirs."""
    alert = _own(session, user_id, alert_id)
    if alert is None:
        return False
    if alert.is_active != active:
        alert.is_active = active
        alert.updated_at = utcnow()  # the worker's cached alert index notices the change by this
        session.add(alert)
        session.flush()
    return True


def alert_feed_url(*, session: Session, user_id: int, alert_id: int) -> str | None:
    """The secret Atom feed URL of one of the user's alerts, or None when it is not theirs."""
    return feed_url(user_id, alert_id) if _own(session, user_id, alert_id) is not None else None
