"""States of `/jobs` (search with facets, pages, "Save this search as an alert") and `/jobs/{id}` (one posting).

The search and its facets come from `services.postings_search`: the text is read as an alert's keywords, so
"Save this search as an alert" opens the builder prefilled with filters that find the same postings.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import reflex as rx

from jobwatch.core.digests import safe_url
from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.services import inbox
from jobwatch.services.postings_search import (
    EMPLOYMENT_TYPES,
    POSTED_WITHIN_CHOICES,
    WORKPLACES,
    FacetValue,
    SearchRequest,
    SearchResult,
    alert_filters_for,
    posting_detail,
    search_postings,
)
from jobwatch.ui import routes
from jobwatch.ui.state.account import sentence
from jobwatch.ui.state.alerts import explain, route_id
from jobwatch.ui.state.auth import AuthState, signed_out
from jobwatch.ui.state.views import PostingRow, day, minute, posting_row

PAGE_SIZE = 25
#: The facets a user can tick, by the name the page sends, with the request field each fills.
FACET_FIELDS: dict[str, str] = {
    "company": "companies",
    "location": "countries",
    "workplace": "workplaces",
    "employment_type": "employment_types",
    "department": "departments",
}


@dataclass
class FacetRow:
    """One facet value as a check box: what is sent, the label with its count, whether ticked."""

    facet: str = ""
    value: str = ""
    label: str = ""
    count: int = 0
    selected: bool = False


def _rows(facet: str, values: list[FacetValue]) -> list[FacetRow]:
    return [FacetRow(facet=facet, value=v.value, label=v.label, count=v.count, selected=v.selected) for v in values]


def _run_search(request: SearchRequest, page: int, facets: bool) -> SearchResult:
    """One page of `/jobs` results (and facets) in its own database session (run in a worker thread)."""
    with session_scope() as session:
        return search_postings(session=session, request=request, page=page, page_size=PAGE_SIZE, with_facets=facets)


class JobsState(AuthState):
    """`/jobs`: the search text, the ticked facet values, the page of results and the facet counts."""

    query: str = ""
    companies: list[str] = []
    countries: list[str] = []
    workplaces: list[str] = []
    employment_types: list[str] = []
    departments: list[str] = []
    posted_within: str = ""
    include_closed: bool = False
    page: int = 1

    rows: list[PostingRow] = []
    total: int = 0
    summary: str = ""
    error: str = ""
    loaded: bool = False
    company_facet: list[FacetRow] = []
    location_facet: list[FacetRow] = []
    workplace_facet: list[FacetRow] = []
    employment_facet: list[FacetRow] = []
    department_facet: list[FacetRow] = []
    posted_facet: list[FacetRow] = []

    @rx.var
    def page_count(self) -> int:
        """How many pages the results fill (at least 1)."""
        return max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)

    @rx.var
    def filtered(self) -> bool:
        """Whether any facet is ticked or closed postings are included (a "Clear filters" shows then)."""
        return bool(
            self.companies
            or self.countries
            or self.workplaces
            or self.employment_types
            or self.departments
            or self.posted_within
            or self.include_closed
        )

    def _request(self) -> SearchRequest:
        return SearchRequest(
            text=self.query,
            companies=tuple(self.companies),
            countries=tuple(self.countries),
            workplaces=tuple(w for w in self.workplaces if w in WORKPLACES),
            employment_types=tuple(t for t in self.employment_types if t in EMPLOYMENT_TYPES),
            departments=tuple(self.departments),
            posted_within=int(self.posted_within) if self.posted_within.isdigit() else None,
            include_closed=self.include_closed,
        )

    async def _search(self, *, facets: bool = True) -> None:
        self.error = ""
        try:
            # Off the event loop: a broad search must not hold up every other user's events.
            result = await asyncio.to_thread(_run_search, self._request(), self.page, facets)
        except BadInput as exc:
            self.rows, self.total, self.summary = [], 0, ""
            self.error = sentence(explain(exc)[1])
            self.loaded = True
            return
        if result.postings == [] and result.total and self.page > 1:
            self.page = 1
            await self._search(facets=facets)
            return
        self.rows = [posting_row(p) for p in result.postings]
        self.total = result.total
        count = f"{result.total:,}+" if result.capped else f"{result.total:,}"
        noun = "job" if result.total == 1 else "jobs"
        status = "" if self.include_closed else "open "
        words = f" matching “{self.query.strip()}”" if self.query.strip() else ""
        self.summary = f"{count} {status}{noun}{words}"
        if not facets:
            self.loaded = True
            return
        self.company_facet = _rows("company", result.facets["company"])
        self.location_facet = _rows("location", result.facets["location"])
        self.workplace_facet = _rows("workplace", result.facets["workplace"])
        self.employment_facet = _rows("employment_type", result.facets["employment_type"])
        self.department_facet = _rows("department", result.facets["department"])
        self.posted_facet = _rows("posted_within", result.facets["posted_within"])
        self.loaded = True

    @rx.event
    async def load(self):
        """`on_load`: check the session, then the first page (`?q=` searches for it)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._refresh_unread(user)
        text = self.router.url.query_parameters.get("q", "")
        if text:
            self.query = text[:200]
        self.page = 1
        await self._search()
        return None

    @rx.event
    async def search(self, form_data: dict[str, Any]):
        """Search for the form's `q` field (keywords, comma-separated; empty: every posting)."""
        if self._require_user() is None:
            return signed_out()
        query = form_data.get("q", "")
        self.query = query[:200] if isinstance(query, str) else ""
        self.page = 1
        await self._search()
        return None

    @rx.event
    async def toggle_facet(self, facet: str, value: str, on: bool):
        """Tick or untick one facet value (unknown facets are ignored)."""
        if facet not in FACET_FIELDS:
            return None
        if self._require_user() is None:
            return signed_out()
        name = FACET_FIELDS[facet]
        values = [v for v in getattr(self, name) if v != value]
        if on:
            values.append(str(value)[:300])
        setattr(self, name, values[:50])
        self.page = 1
        await self._search()
        return None

    @rx.event
    async def set_posted_within(self, value: str):
        """Choose how recent the postings must be: "1", "7", "30" days, or "" for any time."""
        if self._require_user() is None:
            return signed_out()
        self.posted_within = value if value in {str(d) for d in POSTED_WITHIN_CHOICES} else ""
        self.page = 1
        await self._search()
        return None

    @rx.event
    async def set_include_closed(self, on: bool):
        """Also list postings that have closed (marked "Closed")."""
        if self._require_user() is None:
            return signed_out()
        self.include_closed = bool(on)
        self.page = 1
        await self._search()
        return None

    @rx.event
    async def clear_filters(self):
        """Untick every facet (the search text stays)."""
        if self._require_user() is None:
            return signed_out()
        self.companies, self.countries, self.workplaces = [], [], []
        self.employment_types, self.departments = [], []
        self.posted_within, self.include_closed, self.page = "", False, 1
        await self._search()
        return None

    @rx.event
    async def go_to_page(self, page: int):
        """Show page `page` of the results (clamped to the pages there are)."""
        if self._require_user() is None:
            return signed_out()
        self.page = max(1, min(int(page), self.page_count))
        await self._search(facets=False)  # the same request: its facet counts stand
        return rx.scroll_to("results")

    @rx.event
    def save_as_alert(self):
        """Open the alert builder prefilled with filters that find what this search finds."""
        if self._require_user() is None:
            return signed_out()
        filters = alert_filters_for(self._request())
        if not filters:
            return rx.redirect(routes.NEW_ALERT)
        return rx.redirect(f"{routes.NEW_ALERT}?filters={quote(json.dumps(filters, ensure_ascii=False))}")


class PostingState(AuthState):
    """`/jobs/{id}`: one posting, open or closed, with the user's save / applied / hide marks."""

    posting_id: int = 0
    not_found: bool = False
    loaded: bool = False
    title: str = ""
    company: str = ""
    url: str = ""
    location: str = ""
    workplace: str = ""
    department: str = ""
    employment_type: str = ""
    salary: str = ""
    posted: str = ""
    first_seen: str = ""
    closed: str = ""
    board_key: str = ""
    #: Sanitized HTML (`postings_search.sanitize_html`, nh3): the only HTML the app renders as HTML.
    description_html: str = ""
    saved: bool = False
    applied: bool = False
    hidden: bool = False

    def _show(self, user_id: int) -> None:
        with session_scope() as session:
            detail = posting_detail(session=session, posting_id=self.posting_id, user_id=user_id)
        if detail is None:
            self.not_found, self.loaded = True, True
            return
        self.not_found = False
        self.title, self.company = detail.title, detail.company or ""
        self.url = safe_url(detail.url) or ""
        self.location, self.workplace = detail.location, detail.workplace or ""
        self.department = detail.department or ""
        self.employment_type = (detail.employment_type or "").replace("_", " ")
        self.salary, self.posted = detail.salary, day(detail.posted_at)
        self.first_seen, self.closed = minute(detail.first_seen_at), minute(detail.closed_at)
        self.board_key, self.description_html = detail.board_key, detail.description_html
        self.saved, self.applied, self.hidden = detail.saved, detail.applied, detail.hidden
        self.loaded = True

    @rx.event
    def load(self):
        """`on_load`: check the session, then show the posting named by the route."""
        self.reset()
        user = self._require_user()
        if user is None:
            return signed_out()
        self._refresh_unread(user)
        param = route_id(self.router.url.path, routes.JOBS)
        if not param.isdigit():
            self.not_found, self.loaded = True, True
            return None
        self.posting_id = int(param)
        self._show(user.id)
        return None

    def _mark(self, action: inbox.Interaction, on: bool):
        user = self._require_user()
        if user is None:
            return signed_out()
        if not self.posting_id:
            return None
        with session_scope() as session:
            inbox.set_posting_interaction(
                session=session, user_id=user.id, posting_id=self.posting_id, action=action, on=bool(on)
            )
        self._show(user.id)
        self._refresh_unread(user)
        return None

    @rx.event
    def set_saved(self, on: bool):
        """Save (or unsave) this posting: it is listed under Saved in the inbox."""
        return self._mark("saved", on)

    @rx.event
    def set_applied(self, on: bool):
        """Mark (or unmark) that the user applied."""
        return self._mark("applied", on)

    @rx.event
    def set_hidden(self, on: bool):
        """Hide (or show again) this posting: hidden postings leave the inbox and are never announced."""
        return self._mark("hidden", on)
