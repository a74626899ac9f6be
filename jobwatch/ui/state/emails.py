"""State of `/emails`: the emails jobwatch wrote to the signed-in user in the local outbox.

With no `RESEND_API_KEY` jobwatch sends no mail: digests go to the outbox table, and this page lets the user
read them. Only the user's own messages are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from jobwatch.config import get_settings
from jobwatch.db import session_scope
from jobwatch.services.outbox import list_outbox
from jobwatch.ui.state.auth import AuthState, CurrentUser, signed_out
from jobwatch.ui.state.views import minute

EMAILS_LIMIT = 50


@dataclass
class EmailRow:
    """One email: subject, when, and its bodies (our own template's HTML, shown in a sandboxed frame)."""

    id: int = 0
    subject: str = ""
    sent: str = ""
    html: str = ""
    text: str = ""


class EmailsState(AuthState):
    """`/emails`: lists the user's emails in the local outbox; one is open at a time."""

    emails: list[EmailRow] = []
    open_id: int = 0
    loaded: bool = False
    uses_outbox: bool = True

    def _reload(self, user: CurrentUser) -> None:
        self.uses_outbox = not get_settings().resend_api_key
        with session_scope() as session:
            items = list_outbox(session=session, to_email=user.email, limit=EMAILS_LIMIT)
        self.emails = [
            EmailRow(id=i.id, subject=i.subject, sent=minute(i.created_at), html=i.html, text=i.text) for i in items
        ]
        self.open_id = self.emails[0].id if self.emails else 0
        self.loaded = True

    @rx.event
    def load(self):
        """`on_load`: check the session, then list the user's emails."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._refresh_unread(user)
        self._reload(user)
        return None

    @rx.event
    def open_email(self, email_id: int):
        """Show one of the listed emails (an id not in the list changes nothing)."""
        if self._require_user() is None:
            return signed_out()
        if any(e.id == int(email_id) for e in self.emails):
            self.open_id = int(email_id)
        return None
