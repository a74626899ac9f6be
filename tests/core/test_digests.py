"""Digest schedules in the user's time zone (across daylight-saving changes) and digest content."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobwatch.core.digests import DigestPosting, build_digest, is_due, last_slot, safe_url


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_daily_slot_is_the_latest_local_hour() -> None:
    # Berlin is UTC+1 in winter: 08:00 local is 07:00 UTC.
    assert last_slot("daily", now=utc(2026, 1, 10, 7, 30), tz="Europe/Berlin", hour=8) == utc(2026, 1, 10, 7)
    assert last_slot("daily", now=utc(2026, 1, 10, 6, 59), tz="Europe/Berlin", hour=8) == utc(2026, 1, 9, 7)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Spring forward in New York on 2026-03-08: 08:00 local is 13:00 UTC before, 12:00 UTC after.
        (utc(2026, 3, 7, 13, 5), utc(2026, 3, 7, 13)),
        (utc(2026, 3, 8, 12, 5), utc(2026, 3, 8, 12)),
        # Fall back on 2026-11-01: 12:00 UTC before, 13:00 UTC after.
        (utc(2026, 10, 31, 12, 5), utc(2026, 10, 31, 12)),
        (utc(2026, 11, 1, 13, 5), utc(2026, 11, 1, 13)),
    ],
)
def test_daily_slot_stays_at_local_hour_across_dst(now: datetime, expected: datetime) -> None:
    assert last_slot("daily", now=now, tz="America/New_York", hour=8) == expected


def test_weekly_slot_is_the_chosen_weekday() -> None:
    # 2026-11-30 is a Monday; weekday 2 is Wednesday: the latest is 2026-11-25 09:00 UTC.
    assert last_slot("weekly", now=utc(2026, 11, 30, 12), tz="UTC", hour=9, weekday=2) == utc(2026, 11, 25, 9)
    assert last_slot("weekly", now=utc(2026, 11, 30, 12), tz="UTC", hour=9, weekday=0) == utc(2026, 11, 30, 9)


def test_due_once_per_slot() -> None:
    now = utc(2026, 1, 10, 9)
    assert is_due("daily", settled_until=utc(2026, 1, 9, 9), now=now, tz="UTC", hour=8)
    assert not is_due("daily", settled_until=utc(2026, 1, 10, 8, 5), now=now, tz="UTC", hour=8)
    assert is_due("instant", settled_until=now, now=now, tz="UTC", hour=8)


def test_unknown_zone_falls_back_to_utc_and_unknown_frequency_raises() -> None:
    assert last_slot("daily", now=utc(2026, 1, 10, 9), tz="Mars/Olympus", hour=8) == utc(2026, 1, 10, 8)
    with pytest.raises(ValueError, match="frequency"):
        last_slot("hourly", now=utc(2026, 1, 10, 9), tz="UTC", hour=8)


def test_build_digest_caps_each_alert_and_counts_the_rest() -> None:
    jobs = [
        DigestPosting(title=f"Job {i}", company="Acme", location="Berlin", url=None, posted_at=None) for i in range(5)
    ]
    content = build_digest([("Python", jobs), ("Empty", []), ("Go", jobs[:1])], max_per_alert=3)
    assert [s.alert_name for s in content.sections] == ["Python", "Go"]
    assert len(content.sections[0].postings) == 3 and content.sections[0].more == 2
    assert content.total == 6
    assert content.subject == "6 new jobs for 2 of your alerts"
    single = build_digest([("Python", jobs[:1])], max_per_alert=3)
    assert single.subject == "1 new job for “Python”"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme.example/jobs/1", "https://acme.example/jobs/1"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,hi", None),
        ("//evil.example", None),
        (None, None),
    ],
)
def test_only_http_links(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected
