"""State of `/inbox`: the signed-in user's notifications, unread first, and marking them read."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from jobwatch.core.digests import safe_url
from jobwatch.db import session_scope
from jobwatch.services import inbox
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


class InboxState(AuthState):
    """`/inbox`: lists notifications; marks one or all read."""

    items: list[InboxRow] = []
    loaded: bool = False

    def _reload(self, user: CurrentUser) -> None:
        with session_scope() as session:
            rows = inbox.list_inbox(session=session, user_id=user.id, limit=INBOX_LIMIT)
            self.unread_count = inbox.unread_count(session=session, user_id=user.id)
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
