"""An Atom feed (RFC 4287) per alert, at a secret URL, for people who read feeds instead of mail.

The URL is `APP_URL/feeds/<token>`, where the token is signed (`services.tokens`, purpose `feed`) and names the
user and the alert: knowing it is the only way in, so it is shown only to its owner. The feed lists the alert's
newest matches (never postings the user hid, never the baseline postings that were never announced); titles
and other scraped text are XML-escaped text, and entry links are http(s) only (field case B16).
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote
from xml.etree import ElementTree as ET

from sqlmodel import Session, col, select

from jobwatch.config import get_settings
from jobwatch.core.digests import safe_url
from jobwatch.models import AlertMatch, JobAlert, JobPosting, UserJobInteraction
from jobwatch.services.tokens import make_link_token, read_token
from jobwatch.storage import locations_text

PURPOSE = "feed"
ATOM_NS = "http://www.w3.org/2005/Atom"
#: Entries per feed: feed readers poll; older matches stay in the inbox.
FEED_LIMIT = 50
#: Characters XML 1.0 cannot carry at all (scraped text sometimes holds them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def feed_token(user_id: int, alert_id: int) -> str:
    """The secret token of one alert's feed."""
    return make_link_token(user_id, PURPOSE, alert_ids=[alert_id])


def feed_url(user_id: int, alert_id: int) -> str:
    """The alert's feed URL under `APP_URL`, to show its owner."""
    return f"{get_settings().app_url.rstrip('/')}/feeds/{quote(feed_token(user_id, alert_id))}"


def _clean(value: str | None) -> str:
    return _NOT_XML.sub("", value or "")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = _clean(text)
    return element


def alert_feed(*, session: Session, token: str, limit: int = FEED_LIMIT) -> bytes | None:
    """The Atom document (UTF-8 bytes) of the alert a feed token names; None for a bad token or a deleted alert.

    Entries are the alert's matches, newest first, at most `limit`: title, the posting's link (http(s) only,
    else the posting's page on jobwatch), company and location as the summary, `updated` = when it matched.
    """
    read = read_token(token, PURPOSE)
    if read is None or len(read.alert_ids) != 1:
        return None
    alert = session.get(JobAlert, read.alert_ids[0])
    if alert is None or alert.user_id != read.user_id:
        return None
    hidden = (
        select(UserJobInteraction.posting_id)
        .where(UserJobInteraction.user_id == read.user_id, col(UserJobInteraction.hidden_at).is_not(None))
        .scalar_subquery()
    )
    rows = session.exec(
        select(AlertMatch, JobPosting)
        .join(JobPosting, col(JobPosting.id) == AlertMatch.posting_id)
        .where(AlertMatch.alert_id == alert.id, col(AlertMatch.posting_id).not_in(hidden))
        .order_by(col(AlertMatch.matched_at).desc(), col(AlertMatch.id).desc())
        .limit(max(1, min(limit, 200)))
    ).all()
    base = get_settings().app_url.rstrip("/")
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _add(feed, "id", f"{base}/alerts/{alert.id}")
    _add(feed, "title", f"jobwatch: {alert.name}")
    _add(feed, "subtitle", "New jobs matching this alert")
    updated = rows[0][0].matched_at if rows else alert.created_at
    _add(feed, "updated", _iso(updated))
    _add(feed, "link", rel="self", type="application/atom+xml", href=f"{base}/feeds/{quote(token)}")
    _add(feed, "link", rel="alternate", type="text/html", href=f"{base}/inbox")
    author = _add(feed, "author")
    _add(author, "name", "jobwatch")
    _add(feed, "generator", "jobwatch")
    for match, posting in rows:
        entry = _add(feed, "entry")
        _add(entry, "id", f"{base}/jobs/{posting.id}")
        _add(entry, "title", posting.title)
        _add(entry, "updated", _iso(match.matched_at))
        _add(entry, "published", _iso(posting.posted_at or posting.first_seen_at))
        _add(
            entry, "link", rel="alternate", type="text/html", href=safe_url(posting.url) or f"{base}/jobs/{posting.id}"
        )
        location = locations_text(posting.locations)
        summary = " · ".join(part for part in (posting.company or "", location) if part)
        if posting.closed_at is not None:
            summary = f"{summary} (no longer listed)" if summary else "No longer listed"
        if summary:
            _add(entry, "summary", summary, type="text")
        if posting.company:
            entry_author = _add(entry, "author")
            _add(entry_author, "name", posting.company)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
