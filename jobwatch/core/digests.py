"""Digest scheduling and content, pure: when an alert's digest is due, and what a digest says.

Schedules are in the user's own time zone (an IANA name), so a daily digest at 08:00 stays at 08:00 local
time across daylight-saving changes. A due alert's pending matches all go into the next digest; what a
digest covers is decided by the matches' pending state, so consecutive digests have no gap and no overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FREQUENCIES = ("instant", "daily", "weekly")


def zone(name: str | None) -> ZoneInfo:
    """The time zone called `name`, or UTC when the name is empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def last_slot(frequency: str, *, now: datetime, tz: str | None, hour: int, weekday: int = 0) -> datetime:
    """The most recent scheduled digest time at or before `now` (aware UTC).

    `instant`: `now` itself. `daily`: the latest local `hour`:00. `weekly`: the latest local `hour`:00 on
    `weekday` (0 = Monday). A local time skipped by a daylight-saving jump resolves as `zoneinfo` does (the
    wall time read with the offset before the jump). Raises `ValueError` for an unknown frequency.
    """
    if frequency == "instant":
        return now
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown digest frequency {frequency!r}")
    local_zone = zone(tz)
    local_now = now.astimezone(local_zone)
    day = local_now.date()
    for back in range(0, 8):
        candidate_day = day - timedelta(days=back)
        if frequency == "weekly" and candidate_day.weekday() != weekday:
            continue
        candidate = datetime(
            candidate_day.year, candidate_day.month, candidate_day.day, hour, tzinfo=local_zone
        ).astimezone(UTC)
        if candidate <= now:
            return candidate
    raise AssertionError("a weekly slot always lies within the last eight days")


def is_due(
    frequency: str, *, settled_until: datetime, now: datetime, tz: str | None, hour: int, weekday: int = 0
) -> bool:
    """Whether an alert whose digests are settled up to `settled_until` has a digest due at `now`."""
    if frequency == "instant":
        return True
    return last_slot(frequency, now=now, tz=tz, hour=hour, weekday=weekday) > settled_until


@dataclass(frozen=True, slots=True)
class DigestPosting:
    """One posting in a digest. `url` is http(s) or None; `also` names the user's other matching alerts."""

    title: str
    company: str | None
    location: str
    url: str | None
    posted_at: datetime | None
    also: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestSection:
    """One alert's part of a digest: the postings shown, how many more are in the inbox, and the link that
    stops this alert's email (`unsubscribe_url`, None when not offered)."""

    alert_name: str
    postings: tuple[DigestPosting, ...]
    more: int = 0
    unsubscribe_url: str | None = None


@dataclass(frozen=True, slots=True)
class DigestContent:
    """Everything a digest email says; rendering to HTML and text happens in `jobwatch.mail`."""

    subject: str
    total: int
    sections: tuple[DigestSection, ...]
    greeting_name: str | None = None
    links: dict[str, str] = field(default_factory=dict)


def safe_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL, else None (field case B16: no `javascript:` links)."""
    if not url:
        return None
    lowered = url.strip().lower()
    return url.strip() if lowered.startswith(("http://", "https://")) else None


def build_digest(
    groups: list[tuple[str, list[DigestPosting]]],
    *,
    max_per_alert: int,
    greeting_name: str | None = None,
    links: dict[str, str] | None = None,
    unsubscribe_urls: Sequence[str | None] | None = None,
) -> DigestContent:
    """Build a digest from `(alert name, postings)` groups, in the given order, skipping empty groups.

    Each section shows at most `max_per_alert` postings and counts the rest in `more`. The subject says how
    many new postings and for which alert ("3 new jobs for “Python”"), or for how many alerts.
    `unsubscribe_urls`, when given, holds one link per group (same order) that stops that alert's email.
    """
    urls = list(unsubscribe_urls) if unsubscribe_urls is not None else [None] * len(groups)
    if len(urls) != len(groups):
        raise ValueError("unsubscribe_urls needs one entry per group")
    sections = tuple(
        DigestSection(
            alert_name=name,
            postings=tuple(items[:max_per_alert]),
            more=max(0, len(items) - max_per_alert),
            unsubscribe_url=url,
        )
        for (name, items), url in zip(groups, urls, strict=True)
        if items
    )
    total = sum(len(s.postings) + s.more for s in sections)
    noun = "job" if total == 1 else "jobs"
    if len(sections) == 1:
        subject = f"{total} new {noun} for “{sections[0].alert_name}”"
    else:
        subject = f"{total} new {noun} for {len(sections)} of your alerts"
    return DigestContent(
        subject=subject, total=total, sections=sections, greeting_name=greeting_name, links=links or {}
    )
