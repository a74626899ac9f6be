"""State of `/admin`: the operators' view (board health, scrape runs, failures, the task queue, mail, users).

Only admins see anything here. Every handler re-checks the session and the admin flag in the database
(`_require_admin`) before it reads or changes anything: without a session it signs the tab out, for a user
who is not an admin it clears this page's data and goes to the alerts page (field case B26). Removing a
board checks the stored user once more with `services.boards.require_admin`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from jobwatch.db import session_scope
from jobwatch.models import User
from jobwatch.services import admin, digests, mail_events, taskruns
from jobwatch.services import boards as board_service
from jobwatch.ui import routes
from jobwatch.ui.state.auth import AuthState, CurrentUser, signed_out
from jobwatch.ui.state.views import minute

RUNS_LIMIT = 50
OUTBOX_LIMIT = 50
USERS_LIMIT = 200
#: Long error texts are cut to this many characters in the tables.
ERROR_CHARS = 300
#: Healths that put a board on the failures tab.
PROBLEM_HEALTHS = ("failing", "missing", "blocked")


def _cut(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


@dataclass
class AdminBoardRow:
    """One board: key, company, health, its last run, failures in a row, open postings."""

    id: int = 0
    key: str = ""
    company: str = ""
    health: str = ""
    last_status: str = ""
    last_run: str = ""
    last_success: str = ""
    last_error: str = ""
    failures: int = 0
    open_postings: int = 0
    active: bool = True


@dataclass
class AdminRunRow:
    """One scrape run: board, start, status, counts and error."""

    id: int = 0
    board: str = ""
    started: str = ""
    finished: str = ""
    status: str = ""
    new: int = 0
    updated: int = 0
    closed: int = 0
    reopened: int = 0
    unchanged: int = 0
    error: str = ""


@dataclass
class AdminTaskRow:
    """One task run: task, its schedule slot, state, when it was queued, run time, attempts, consumer, error."""

    id: int = 0
    task: str = ""
    slot: str = ""
    state: str = ""
    queued: str = ""
    duration: str = ""
    attempts: int = 0
    consumer: str = ""
    detail: str = ""
    error: str = ""


@dataclass
class AdminMailRow:
    """One email of the outbox in the list (its bodies are read only when it is opened)."""

    id: int = 0
    recipient: str = ""
    subject: str = ""
    sent: str = ""


@dataclass
class SuppressedRow:
    """An address digests no longer go to, since when and why."""

    email: str = ""
    since: str = ""
    reason: str = ""


@dataclass
class RefusedRow:
    """A digest the mail service refused for good."""

    id: int = 0
    recipient: str = ""
    subject: str = ""
    when: str = ""
    error: str = ""


@dataclass
class AdminUserRow:
    """One account: email, created, verified, admin, suppressed, alerts count."""

    id: int = 0
    email: str = ""
    created: str = ""
    verified: bool = False
    admin: bool = False
    suppressed: bool = False
    alerts: int = 0


class AdminState(AuthState):
    """`/admin`: what operators need to see at a glance, and removing a board from the shared watch list."""

    loaded: bool = False
    boards: list[AdminBoardRow] = []
    failing_boards: list[AdminBoardRow] = []
    runs: list[AdminRunRow] = []
    failed_runs: list[AdminRunRow] = []
    #: The number of waiting tasks as text, or `unavailable`.
    queue: str = ""
    #: Tasks waiting for a later time (retries), as text, or `unavailable`.
    scheduled: str = ""
    #: The newest run of every task, and the newest failed runs.
    task_runs: list[AdminTaskRow] = []
    task_failures: list[AdminTaskRow] = []
    outbox: list[AdminMailRow] = []
    suppressed: list[SuppressedRow] = []
    refused: list[RefusedRow] = []
    users: list[AdminUserRow] = []
    #: The opened email (0: none) and its bodies (our own template's HTML, shown in a sandboxed frame).
    open_mail_id: int = 0
    open_mail_subject: str = ""
    open_mail_to: str = ""
    open_mail_html: str = ""
    open_mail_text: str = ""
    notice: str = ""
    error: str = ""

    def _clear(self) -> None:
        """Forget everything this page showed (a user who is no longer an admin keeps none of it)."""
        self.loaded = False
        self.boards, self.failing_boards, self.runs, self.failed_runs = [], [], [], []
        self.queue = self.scheduled = ""
        self.task_runs, self.task_failures = [], []
        self.outbox, self.suppressed, self.refused, self.users = [], [], [], []
        self._close_mail()
        self.notice = self.error = ""

    def _close_mail(self) -> None:
        self.open_mail_id = 0
        self.open_mail_subject = self.open_mail_to = self.open_mail_html = self.open_mail_text = ""

    def _require_admin(self) -> tuple[CurrentUser | None, Any]:
        """`(user, None)` for a live admin session; else `(None, events)` that the handler must return at once:
        the sign-out for no session, or (after clearing this page) the alerts page for a user who is no admin."""
        user = self._require_user()
        if user is None:
            self._clear()
            return None, signed_out()
        if not user.is_admin:
            self._clear()
            return None, rx.redirect(routes.ALERTS, replace=True)
        return user, None

    def _reload(self) -> None:
        with session_scope() as session:
            health = admin.board_health(session=session)
            runs = admin.recent_runs(session=session, limit=RUNS_LIMIT)
            failed = admin.recent_runs(session=session, limit=RUNS_LIMIT, failed_only=True)
            outbox = admin.outbox_overview(session=session, limit=OUTBOX_LIMIT)
            suppressed = mail_events.suppressed_addresses(session=session)
            refused = digests.failed_deliveries(session=session)
            users = admin.users_overview(session=session, limit=USERS_LIMIT)
            tasks = admin.task_overview(session=session)
        self.boards = [
            AdminBoardRow(
                id=b.id,
                key=b.key,
                company=b.company or "",
                health=b.health,
                last_status=b.last_run_status or "never run",
                last_run=minute(b.last_run_at),
                last_success=minute(b.last_success_at),
                last_error=_cut(b.last_error),
                failures=b.consecutive_failures,
                open_postings=b.open_postings,
                active=b.is_active,
            )
            for b in health
        ]
        self.failing_boards = [b for b in self.boards if b.health in PROBLEM_HEALTHS]
        self.runs = [_run_row(r) for r in runs]
        self.failed_runs = [_run_row(r) for r in failed]
        self.queue = "unavailable" if tasks.queue_length is None else str(tasks.queue_length)
        self.scheduled = "unavailable" if tasks.scheduled is None else str(tasks.scheduled)
        self.task_runs = [_task_row(t) for t in tasks.last_runs]
        self.task_failures = [_task_row(t) for t in tasks.failures]
        self.outbox = [
            AdminMailRow(id=m.id, recipient=m.to_email, subject=m.subject, sent=minute(m.created_at)) for m in outbox
        ]
        self.suppressed = [
            SuppressedRow(email=s.email, since=minute(s.suppressed_at), reason=_cut(s.reason)) for s in suppressed
        ]
        self.refused = [
            RefusedRow(
                id=d.digest_id, recipient=d.to_email, subject=d.subject, when=minute(d.created_at), error=_cut(d.error)
            )
            for d in refused
        ]
        self.users = [
            AdminUserRow(
                id=u.id,
                email=u.email,
                created=minute(u.created_at),
                verified=u.verified,
                admin=u.is_admin,
                suppressed=u.suppressed,
                alerts=u.alerts,
            )
            for u in users
        ]
        if self.open_mail_id and not any(m.id == self.open_mail_id for m in self.outbox):
            self._close_mail()
        self.loaded = True

    @rx.event
    def load(self):
        """`on_load`: signed out → the login page; not an admin → the alerts page; an admin → every table."""
        user, refusal = self._require_admin()
        if user is None:
            return refusal
        self._refresh_unread(user)
        self.notice = self.error = ""
        self._reload()
        return None

    @rx.event
    def refresh(self):
        """Read every table again (the `Refresh` button)."""
        user, refusal = self._require_admin()
        if user is None:
            return refusal
        self._reload()
        return None

    @rx.event
    def open_mail(self, message_id: int):
        """Show one listed email of the outbox (an id not in the list changes nothing)."""
        user, refusal = self._require_admin()
        if user is None:
            return refusal
        if not any(m.id == int(message_id) for m in self.outbox):
            return None
        with session_scope() as session:
            item = admin.outbox_message(session=session, message_id=int(message_id))
        if item is None:
            self._close_mail()
            return None
        self.open_mail_id = item.id
        self.open_mail_subject, self.open_mail_to = item.subject, item.to_email
        self.open_mail_html, self.open_mail_text = item.html, item.text
        return None

    @rx.event
    def close_mail(self):
        """Close the opened email."""
        user, refusal = self._require_admin()
        if user is None:
            return refusal
        self._close_mail()
        return None

    @rx.event
    def remove_board(self, board_id: int):
        """Stop watching a board: delete it with its postings, runs and the notifications about them (admins
        only; the page asks for confirmation first)."""
        user, refusal = self._require_admin()
        if user is None:
            return refusal
        try:
            wanted = int(board_id)
        except (TypeError, ValueError):
            return None
        with session_scope() as session:
            try:
                board_service.require_admin(session.get(User, user.id))
            except board_service.NotAllowed:
                self._clear()
                return rx.redirect(routes.ALERTS, replace=True)
            removed = board_service.remove_board(session=session, key_or_id=wanted)
            key = removed.key if removed is not None else None
        if key is None:
            self.error, self.notice = "That board is no longer watched.", ""
        else:
            self.error, self.notice = "", f"Removed {key} with its postings and runs."
        self._reload()
        return None


def _run_row(run: admin.RunSummary) -> AdminRunRow:
    return AdminRunRow(
        id=run.id,
        board=run.board_key,
        started=minute(run.started_at),
        finished=minute(run.finished_at),
        status=run.status,
        new=run.new_count,
        updated=run.updated_count,
        closed=run.closed_count,
        reopened=run.reopened_count,
        unchanged=run.unchanged_count,
        error=_cut(run.error),
    )


def _task_row(run: taskruns.TaskRunView) -> AdminTaskRow:
    return AdminTaskRow(
        id=run.id,
        task=run.task,
        slot=run.slot or "",
        state="lost" if run.lost else run.state,
        queued=minute(run.queued_at),
        duration="" if run.duration_seconds is None else f"{run.duration_seconds:.1f} s",
        attempts=run.attempts,
        consumer=run.consumer or "",
        detail=_cut(run.detail),
        error=_cut(run.error),
    )
