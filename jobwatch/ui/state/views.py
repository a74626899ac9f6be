"""View models: the only shapes of data that page states put in browser-synced vars.

Each holds display strings for one row, built on the server from a service's summary. Links from scraped
data pass `safe_url` (http(s) only, field case B16); everything else is text that React escapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jobwatch.core.digests import safe_url
from jobwatch.services.alerts import PostingSummary


def day(moment: datetime | None) -> str:
    """`2026-11-30`, or an empty string."""
    return moment.strftime("%Y-%m-%d") if moment else ""


def minute(moment: datetime | None) -> str:
    """`2026-11-30 14:05 UTC`, or an empty string."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


@dataclass
class PostingRow:
    """One posting in a list (jobs, preview, a board's postings)."""

    id: int = 0
    title: str = ""
    company: str = ""
    location: str = ""
    url: str = ""
    posted: str = ""
    workplace: str = ""
    closed: bool = False
    #: The posting's page in the app (`/jobs/{id}`).
    page: str = ""


def posting_row(summary: PostingSummary) -> PostingRow:
    """The row for a posting summary from `services.alerts`."""
    return PostingRow(
        id=summary.id,
        title=summary.title,
        company=summary.company or "",
        location=summary.location,
        url=safe_url(summary.url) or "",
        posted=day(summary.posted_at),
        workplace=summary.workplace or "",
        closed=summary.closed,
        page=f"/jobs/{summary.id}",
    )
