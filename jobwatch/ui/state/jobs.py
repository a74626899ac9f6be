"""State of `/jobs`: open postings, newest first, with a title search.

The search goes through the alert preview with a `title_keywords` filter, so it finds what an alert on the
same words would (tokens, plurals, quoted phrases: CONTRACT section 3).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.services import alerts
from jobwatch.storage import open_postings
from jobwatch.ui.state.account import sentence
from jobwatch.ui.state.alerts import explain
from jobwatch.ui.state.auth import AuthState, signed_out
from jobwatch.ui.state.views import PostingRow, posting_row

JOBS_LIMIT = 100


class JobsState(AuthState):
    """`/jobs`: the newest open postings, or those whose title matches `query`."""

    query: str = ""
    rows: list[PostingRow] = []
    summary: str = ""
    error: str = ""
    loaded: bool = False

    def _search(self) -> None:
        self.error = ""
        query = self.query.strip()
        with session_scope() as session:
            if not query:
                found = [alerts.summarize_posting(r) for r in open_postings(session=session, limit=JOBS_LIMIT)]
                self.summary = f"The {len(found)} newest open jobs" if found else "No open jobs yet."
            else:
                try:
                    result = alerts.preview(session=session, filters={"title_keywords": [query]}, limit=JOBS_LIMIT)
                except BadInput as exc:
                    self.rows, self.summary = [], ""
                    self.error = sentence(explain(exc)[1])
                    return
                found = result.postings
                count = f"{result.count:,}+" if result.capped else f"{result.count:,}"
                self.summary = f"{count} open job{'' if result.count == 1 else 's'} with “{query}” in the title"
        self.rows = [posting_row(p) for p in found]
        self.loaded = True

    @rx.event
    def load(self):
        """`on_load`: check the session, then list the newest open postings."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._refresh_unread(user)
        self._search()
        return None

    @rx.event
    def search(self, form_data: dict[str, Any]):
        """Search titles for the form's `q` field (empty: the newest postings)."""
        if self._require_user() is None:
            return signed_out()
        query = form_data.get("q", "")
        self.query = query[:100] if isinstance(query, str) else ""
        self._search()
        return None
