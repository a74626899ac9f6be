"""State of `/inbox`: the signed-in user's notifications, unread first, in pages; views (all, unread, saved,
applied) and a filter by alert; mark read, save, applied, hide; and why their digest emails do not arrive,
when they do not (a suppressed address, refused digests)."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from jobwatch.core.digests import safe_url
from jobwatch.db import session_scope
from jobwatch.services import alerts, inbox
from jobwatch.services.digests import mail_problem
from jobwatch.ui import routes
from jobwatch.ui.state.auth import AuthState, CurrentUser, signed_out
from jobwatch.ui.state.views import minute

PAGE_SIZE = 25
VIEW_LABELS: tuple[tuple[str, str], ...] = (
    ("all", "All"),
    ("unread", "Unread"),
    ("saved", "Saved"),
    ("applied", "Applied"),
)


@dataclass
class InboxRow:
    """One inbox item: the posting, which alerts matched it, whether it was read, what the user did.

    `id` is the notification (0 for a saved posting that no alert announced), `posting_id` the posting."""

    id: int = 0
    posting_id: int = 0
    page: str = ""
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


@dataclass
class AlertChoice:
    """One of the user's alerts in the "filter by alert" select (`id` as text; "" for every alert)."""

    id: str = ""
    name: str = ""


class InboxState(AuthState):
    """`/inbox`: one page of a view of the user's inbox; marks read, saved, applied, hidden."""

    items: list[InboxRow] = []
    loaded: bool = False
    view: str = "all"
    #: The alert whose matches are shown ("" for all), as the select sends it.
    alert_filter: str = ""
    alert_choices: list[AlertChoice] = []
    page: int = 1
    total: int = 0
    #: Why digest emails do not reach the user, in words ("" when they do).
    mail_notice: str = ""

    @rx.var
    def page_count(self) -> int:
        """How many pages the view fills (at least 1)."""
        return max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)

    def _reload(self, user: CurrentUser) -> None:
        alert_id = int(self.alert_filter) if self.alert_filter.isdigit() else None
        with session_scope() as session:
            found = inbox.inbox_page(
                session=session,
                user_id=user.id,
                view=self.view,
                alert_id=alert_id,
                limit=PAGE_SIZE,
                offset=(self.page - 1) * PAGE_SIZE,
            )
            if not found.items and found.total and self.page > 1:
                self.page = 1
                found = inbox.inbox_page(
                    session=session, user_id=user.id, view=self.view, alert_id=alert_id, limit=PAGE_SIZE
                )
            self.unread_count = inbox.unread_count(session=session, user_id=user.id)
            problem = mail_problem(session=session, user_id=user.id)
            own_alerts = alerts.list_alerts(session=session, user_id=user.id)
        self.alert_choices = [AlertChoice(id=str(a.id), name=a.name) for a in own_alerts]
        if alert_id is not None and all(a.id != alert_id for a in own_alerts):
            self.alert_filter = ""
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
        self.total = found.total
        self.items = [
            InboxRow(
                id=item.id,
                posting_id=item.posting_id,
                page=f"{routes.JOBS}/{item.posting_id}",
                title=item.title,
                company=item.company or "",
                location=item.location,
                url=safe_url(item.url) or "",
                alerts=", ".join(item.alert_names),
                received=minute(item.created_at),
                unread=item.id != 0 and item.read_at is None,
                closed=item.closed,
                saved=item.saved,
                applied=item.applied,
            )
            for item in found.items
        ]
        self.loaded = True

    @rx.event
    def load(self):
        """`on_load`: check the session, then list the first page of the user's notifications."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self.page = 1
        self._reload(user)
        return None

    @rx.event
    def set_view(self, view: str):
        """Show one view: `all`, `unread`, `saved` or `applied` (anything else is ignored)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        if view in inbox.VIEWS:
            self.view, self.page = view, 1
        self._reload(user)
        return None

    @rx.event
    def set_alert_filter(self, alert_id: str):
        """Show only the matches of one of the user's alerts ("" for all; another user's id shows nothing)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self.alert_filter = alert_id if isinstance(alert_id, str) and alert_id.isdigit() else ""
        self.page = 1
        self._reload(user)
        return None

    @rx.event
    def go_to_page(self, page: int):
        """Show page `page` of the view (clamped to the pages there are)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self.page = max(1, min(int(page), self.page_count))
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

    def _interact(self, posting_id: int, action: inbox.Interaction, on: bool):
        user = self._require_user()
        if user is None:
            return signed_out()
        with session_scope() as session:
            inbox.set_posting_interaction(
                session=session, user_id=user.id, posting_id=int(posting_id), action=action, on=bool(on)
            )
        self._reload(user)
        return None

    @rx.event
    def set_saved(self, posting_id: int, on: bool):
        """Save (or unsave) a posting of the user's inbox."""
        return self._interact(posting_id, "saved", on)

    @rx.event
    def set_applied(self, posting_id: int, on: bool):
        """Mark (or unmark) that the user applied to a posting."""
        return self._interact(posting_id, "applied", on)

    @rx.event
    def hide(self, posting_id: int):
        """Hide the posting: it leaves the inbox and is never announced again."""
        return self._interact(posting_id, "hidden", True)
