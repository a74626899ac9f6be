"""State of `/inbox`: the signed-in user's notifications, unread first; mark read, save, applied, hide; and
why their digest emails do not arrive, when they do not (a suppressed address, refused digests)."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from jobwatch.core.digests import safe_url
from jobwatch.db import session_scope
from jobwatch.services import inbox
from jobwatch.services.digests import mail_problem
from jobwatch.ui.state.auth import AuthState, CurrentUser, signed_out
from jobwatch.ui.state.views import minute

INBOX_LIMIT = 100


@dataclass
class InboxRow:
    """One notification: the posting, which alerts matched it, and whether it was read."""

    id: int = 0
    title: str = ""
    company: str = ""
    location: str = ""
    url: str = ""
    alerts: str = ""
    received: str = ""
    unread: bool = False
    closed: bool = False
    saved: bool = False
    applied: bool = False


class InboxState(AuthState):
    """`/inbox`: lists notifications; marks one or all read."""

    items: list[InboxRow] = []
    loaded: bool = False
    #: Why digest emails do not reach the user, in words ("" when they do).
    mail_notice: str = ""

    def _reload(self, user: CurrentUser) -> None:
        with session_scope() as session:
            rows = inbox.list_inbox(session=session, user_id=user.id, limit=INBOX_LIMIT)
            self.unread_count = inbox.unread_count(session=session, user_id=user.id)
            problem = mail_problem(session=session, user_id=user.id)
        if problem is None:
            self.mail_notice = ""
        elif problem.suppressed_at is not None:
            reason = problem.suppression_reason or "the address refused our mail"
            self.mail_notice = (
                f"Digest emails to your address are stopped since {minute(problem.suppressed_at)}: {reason}."
            )
        else:
            self.mail_notice = (
                f"Your last digest email could not be delivered ({problem.last_error or 'refused'}). "
                "Check your email address in Settings."
            )
        self.items = [
            InboxRow(
                id=item.id,
                title=item.title,
                company=item.company or "",
                location=item.location,
                url=safe_url(item.url) or "",
                alerts=", ".join(item.alert_names),
                received=minute(item.created_at),
                unread=item.read_at is None,
                closed=item.closed,
                saved=item.saved,
                applied=item.applied,
            )
            for item in rows
        ]
        self.loaded = True

    @rx.event
    def load(self):
        """`on_load`: check the session, then list the user's notifications."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._reload(user)
        return None

    @rx.event
    def mark_read(self, notification_id: int):
        """Mark one of the user's notifications read."""
        user = self._require_user()
        if user is None:
            return signed_out()
        with session_scope() as session:
            inbox.mark_read(session=session, user_id=user.id, notification_id=int(notification_id))
        self._reload(user)
        return None

    @rx.event
    def mark_all_read(self):
        """Mark every notification of the user read."""
        user = self._require_user()
        if user is None:
            return signed_out()
        with session_scope() as session:
            inbox.mark_all_read(session=session, user_id=user.id)
        self._reload(user)
        return None

    def _interact(self, notification_id: int, action: inbox.Interaction, on: bool):
        user = self._require_user()
        if user is None:
            return signed_out()
        with session_scope() as session:
            inbox.set_interaction(
                session=session, user_id=user.id, notification_id=int(notification_id), action=action, on=bool(on)
            )
        self._reload(user)
        return None

    @rx.event
    def set_saved(self, notification_id: int, on: bool):
        """Save (or unsave) the posting of one of the user's notifications."""
        return self._interact(notification_id, "saved", on)

    @rx.event
    def set_applied(self, notification_id: int, on: bool):
        """Mark (or unmark) that the user applied to the posting of one of their notifications."""
        return self._interact(notification_id, "applied", on)

    @rx.event
    def hide(self, notification_id: int):
        """Hide the posting: it leaves the inbox and is never announced again."""
        return self._interact(notification_id, "hidden", True)
