"""One-click unsubscribe from digest emails (RFC 8058), by the signed token that every digest carries.

Unsubscribing turns email off on every alert of the user (their inbox keeps working) and never touches
account mail such as password resets (field case B14).
"""

from __future__ import annotations

from sqlmodel import Session, select

from jobwatch.models import JobAlert, User, utcnow
from jobwatch.services.tokens import make_link_token, read_link_token

PURPOSE = "unsub"


def unsubscribe_token(user_id: int) -> str:
    """The token for the user's unsubscribe link."""
    return make_link_token(user_id, PURPOSE)


def user_for_unsubscribe(*, session: Session, token: str) -> User | None:
    """The user a valid unsubscribe token names, or None for a malformed, forged or orphaned token."""
    user_id = read_link_token(token, PURPOSE)
    return session.get(User, user_id) if user_id is not None else None


def unsubscribe(*, session: Session, token: str) -> bool:
    """Stop digest emails for the token's user (every alert becomes inbox-only); False for a bad token.

    Idempotent: a second call changes nothing and still answers True.
    """
    user = user_for_unsubscribe(session=session, token=token)
    if user is None:
        return False
    for alert in session.exec(select(JobAlert).where(JobAlert.user_id == user.id)).all():
        if "email" in alert.channels:
            alert.channels = [c for c in alert.channels if c != "email"] or ["inbox"]
            alert.updated_at = utcnow()
            session.add(alert)
    session.flush()
    return True
