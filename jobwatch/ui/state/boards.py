"""State of `/boards`: the watched boards, adding one, a manual scrape, and one board's open postings."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any

import reflex as rx

from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.models import User
from jobwatch.services import boards
from jobwatch.services.alerts import summarize_posting
from jobwatch.ui.state.account import sentence
from jobwatch.ui.state.auth import AuthState, signed_out
from jobwatch.ui.state.views import PostingRow, minute, posting_row

log = logging.getLogger(__name__)


@dataclass
class BoardRow:
    """One board in the list: its key, company, last run and open postings."""

    id: int = 0
    key: str = ""
    company: str = ""
    status: str = ""
    last_run: str = ""
    last_error: str = ""
    open_postings: int = 0
    active: bool = True


@dataclass
class CatalogRow:
    """One board of the starter catalog: its key, the company's name, and whether it is watched already."""

    key: str = ""
    name: str = ""
    watched: bool = False


def enqueue_scrape(board_id: int) -> bool:
    """Queue `workers.tasks.scrape_board_task(board_id)`; False when the queue is not available."""
    try:
        tasks = importlib.import_module("workers.tasks")
        tasks.scrape_board_task(board_id)
    except Exception:
        log.exception("could not enqueue a scrape of board %s", board_id)
        return False
    return True


class BoardsState(AuthState):
    """`/boards`: lists boards; adds one from a token or URL; queues a scrape; shows a board's postings."""

    boards: list[BoardRow] = []
    loaded: bool = False
    error: str = ""
    notice: str = ""
    selected_id: int = 0
    selected_key: str = ""
    postings: list[PostingRow] = []
    catalog: list[CatalogRow] = []

    def _reload(self) -> None:
        with session_scope() as session:
            summaries = boards.list_boards(session=session)
            choices = boards.catalog_entries(session=session)
        self.catalog = [CatalogRow(key=c.key, name=c.name, watched=c.watched) for c in choices]
        self.boards = [
            BoardRow(
                id=b.id,
                key=b.key,
                company=b.company or "",
                status=b.last_run_status or "never run",
                last_run=minute(b.last_run_at),
                last_error=(b.last_error or "")[:300],
                open_postings=b.open_postings,
                active=b.is_active,
            )
            for b in summaries
        ]
        self.loaded = True

    @rx.event
    def load(self):
        """`on_load`: check the session, then list the boards."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._refresh_unread(user)
        self.error = self.notice = ""
        self._reload()
        return None

    @rx.event
    def add_board(self, form_data: dict[str, Any]):
        """Add the board named by the form's `board` field (`greenhouse:stripe` or a careers page URL)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        text = form_data.get("board", "")
        text = text[:2000] if isinstance(text, str) else ""
        try:
            with session_scope() as session:
                # The row, not the view: the service counts the user's additions and exempts admins.
                account = session.get(User, user.id)
                board, created = boards.add_board(session=session, text=text, user=account)
                key = board.key
        except BadInput as exc:
            self.error, self.notice = sentence(str(exc)), ""
            return None
        self.error = ""
        self.notice = f"Now watching {key}." if created else f"{key} was already watched."
        self._reload()
        return rx.set_value("board", "")

    @rx.event
    def watch_catalog_board(self, key: str):
        """Watch one board of the starter catalog (the same daily limit as adding by hand)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        try:
            with session_scope() as session:
                account = session.get(User, user.id)
                board, created = boards.add_catalog_board(session=session, key=str(key)[:600], user=account)
                label = board.name or board.key
        except BadInput as exc:
            self.error, self.notice = sentence(str(exc)), ""
            return None
        self.error = ""
        self.notice = f"Now watching {label}." if created else f"{label} was already watched."
        self._reload()
        return None

    @rx.event
    def scrape_now(self, board_id: int):
        """Queue a scrape of one board now (the worker runs it)."""
        if self._require_user() is None:
            return signed_out()
        row = next((b for b in self.boards if b.id == int(board_id)), None)
        if row is None:
            return None
        if enqueue_scrape(row.id):
            self.error, self.notice = "", f"Scrape of {row.key} queued; refresh in a moment to see the result."
        else:
            self.error, self.notice = "The task queue is not available; is `jobwatch worker` set up?", ""
        return None

    @rx.event
    def show_postings(self, board_id: int):
        """Show the open postings of one board below the list."""
        if self._require_user() is None:
            return signed_out()
        row = next((b for b in self.boards if b.id == int(board_id)), None)
        if row is None:
            return None
        with session_scope() as session:
            rows = boards.board_postings(session=session, board_id=row.id, limit=200)
            self.postings = [posting_row(summarize_posting(r)) for r in rows]
        self.selected_id, self.selected_key = row.id, row.key
        return None

    @rx.event
    def hide_postings(self):
        """Close the postings panel."""
        self.selected_id, self.selected_key, self.postings = 0, "", []
