"""State of `/boards`: the watched boards, adding one, a manual scrape, and one board's open postings."""

from __future__ import annotations

import asyncio
import importlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import reflex as rx

from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.models import User, utcnow
from jobwatch.services import boards
from jobwatch.services.alerts import summarize_posting
from jobwatch.ui.state.account import sentence
from jobwatch.ui.state.auth import AuthState, signed_out
from jobwatch.ui.state.views import PostingRow, minute, posting_row

log = logging.getLogger(__name__)

#: How often a queued scrape's row is refreshed, and for how long at most (10 minutes).
POLL_SECONDS = 1.0
POLL_LIMIT = 600


def progress_text(found: boards.ScrapeProgress) -> str:
    """A scrape's progress in words: "Queued", "Running…", "Done: 3 new, 1 closed" or "Failed: <error>"."""
    if found.state == "queued":
        return "Queued"
    if found.state == "running":
        return "Running…"
    if found.status == "failed":
        return f"Failed: {(found.error or 'unknown error')[:200]}"
    text = f"Done: {found.new} new, {found.updated} updated, {found.closed} closed"
    return text + (" (the board was read only in part)" if found.status == "partial" else "")


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
    health: str = ""
    #: A scrape this tab queued: "Queued", "Running…", "Done: 3 new, 1 closed" or "Failed: ..." ("" if none).
    progress: str = ""
    #: `queued`, `running` or `done` (for the badge's colour), "" when no scrape was queued here.
    progress_state: str = ""


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
    #: What adding the last board detected ("Greenhouse board “stripe”, found at https://...").
    detected: str = ""
    #: Scrapes this tab queued and still follows: board id -> when it was queued (ISO 8601), server-side only.
    _following: dict[int, str] = {}
    #: Progress text by board id for the rows, kept when the list reloads.
    _progress: dict[int, tuple[str, str]] = {}
    polling: bool = False

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
                health=b.health,
                progress=self._progress.get(b.id, ("", ""))[0],
                progress_state=self._progress.get(b.id, ("", ""))[1],
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
        self.error = self.notice = self.detected = ""
        self._update_progress()
        self._reload()
        if self._following and not self.polling:
            return BoardsState.follow_scrapes
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
                detected = boards.detected_text(ats=board.ats, token=board.token, typed=text)
        except BadInput as exc:
            self.error, self.notice, self.detected = sentence(str(exc)), "", ""
            return None
        self.error = ""
        self.notice = f"Now watching {key}." if created else f"{key} was already watched."
        self.detected = f"Detected: {detected}."
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

    def _update_progress(self) -> bool:
        """Read the progress of every followed scrape; True when one finished (the list then reloads)."""
        finished = False
        with session_scope() as session:
            for board_id, queued in list(self._following.items()):
                found = boards.scrape_progress(
                    session=session, board_id=board_id, queued_at=datetime.fromisoformat(queued)
                )
                self._progress[board_id] = (progress_text(found), found.state)
                if found.state == "done":
                    del self._following[board_id]
                    finished = True
        return finished

    @rx.event
    def scrape_now(self, board_id: int):
        """Queue a scrape of one board now (the worker runs it); its row then follows the task's progress."""
        if self._require_user() is None:
            return signed_out()
        row = next((b for b in self.boards if b.id == int(board_id)), None)
        if row is None:
            return None
        if row.id in self._following:  # a double click: one scrape is enough
            self.error, self.notice = "", f"A scrape of {row.key} is already under way."
            return None
        # A moment just before queueing: the worker's run starts after it (clocks of one database server).
        queued_at = utcnow() - timedelta(seconds=1)
        if not enqueue_scrape(row.id):
            self.error, self.notice = "The task queue is not available; is `jobwatch worker` set up?", ""
            return None
        self.error, self.notice, self.detected = "", f"Scrape of {row.key} queued.", ""
        self._following[row.id] = queued_at.isoformat()
        self._update_progress()
        self._reload()
        if not self.polling:
            return BoardsState.follow_scrapes
        return None

    @rx.event(background=True)
    async def follow_scrapes(self):
        """Refresh the rows of queued scrapes every `POLL_SECONDS` until they are done (at most
        `POLL_LIMIT` times); stops when the session ends."""
        async with self:
            if self.polling:
                return None
            self.polling = True
        try:
            for _ in range(POLL_LIMIT):
                await asyncio.sleep(POLL_SECONDS)
                async with self:
                    if self._require_user() is None:
                        self._following = {}
                        return signed_out()
                    if self._update_progress():
                        self._reload()
                    else:
                        self.boards = [
                            replace(
                                b,
                                progress=self._progress.get(b.id, ("", ""))[0],
                                progress_state=self._progress.get(b.id, ("", ""))[1],
                            )
                            for b in self.boards
                        ]
                    if not self._following:
                        return None
        finally:
            async with self:
                self.polling = False
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
