"""One-click unsubscribe from digest emails (RFC 8058), by the signed token that every digest carries.

A digest's token names its user and the alerts it covers: one-click stops email for those alerts only (they
stay inbox alerts). The confirmation page also offers stopping every alert's email (`scope="all"`), and the
account-wide tokens of older digests mean exactly that. Nothing here touches account mail such as password
resets, the address's verification or its suppression (field case B14); `resubscribe` turns email back on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from jobwatch.models import JobAlert, User, utcnow
from jobwatch.services.tokens import make_link_token, read_token

PURPOSE = "unsub"


@dataclass(frozen=True, slots=True)
class UnsubscribeTarget:
    """What a valid token points at: the user, and the named alerts that still exist (all when account-wide)."""

    user: User
    alerts: list[JobAlert]
    account_wide: bool


def unsubscribe_token(user_id: int, alert_ids: Sequence[int] = ()) -> str:
    """The token for an unsubscribe link: the given alerts of the user, or (no alerts) the whole account."""
    return make_link_token(user_id, PURPOSE, alert_ids=alert_ids)


def read_unsubscribe(*, session: Session, token: str) -> UnsubscribeTarget | None:
    """The target of a valid token, or None for a malformed, forged or orphaned (user deleted) token."""
    read = read_token(token, PURPOSE)
    if read is None:
        return None
    user = session.get(User, read.user_id)
    if user is None:
        return None
    query = select(JobAlert).where(JobAlert.user_id == read.user_id)
    if read.alert_ids:
        query = query.where(col(JobAlert.id).in_(read.alert_ids))
    alerts = list(session.exec(query.order_by(col(JobAlert.id))).all())
    return UnsubscribeTarget(user=user, alerts=alerts, account_wide=not read.alert_ids)


def _stop_email(session: Session, alerts: Sequence[JobAlert]) -> int:
    changed = 0
    for alert in alerts:
        if "email" in alert.channels:
            # The alert keeps telling the inbox: unsubscribing from mail is not deleting the search.
            alert.channels = [c for c in alert.channels if c != "email"] or ["inbox"]
            alert.updated_at = utcnow()
            session.add(alert)
            changed += 1
    return changed


def unsubscribe(*, session: Session, token: str, scope: Literal["token", "all"] = "token") -> bool:
    """Stop digest email for what the token names (`scope="token"`) or every alert of its user (`"all"`).

    Returns False for a bad token (nothing changes). Idempotent: a repeat changes nothing and answers True,
    as does a token whose alerts were deleted meanwhile.
    """
    target = read_unsubscribe(session=session, token=token)
    if target is None:
        return False
    alerts = target.alerts
    if scope == "all" and not target.account_wide:
        alerts = list(session.exec(select(JobAlert).where(JobAlert.user_id == target.user.id)).all())
    _stop_email(session, alerts)
    session.flush()
    return True


def resubscribe(*, session: Session, user_id: int, alert_ids: Sequence[int] | None = None) -> int:
    """Turn digest email back on for the user's alerts (`alert_ids`, or all); returns how many changed.

    For the settings page. Alerts of other users are ignored.
    """
    query = select(JobAlert).where(JobAlert.user_id == user_id)
    if alert_ids is not None:
        query = query.where(col(JobAlert.id).in_(list(alert_ids)))
    changed = 0
    for alert in session.exec(query).all():
        if "email" not in alert.channels:
            alert.channels = [*alert.channels, "email"]
            alert.updated_at = utcnow()
            session.add(alert)
            changed += 1
    session.flush()
    return changed
