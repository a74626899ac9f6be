"""The normalized posting's JSON form (CONTRACT section 2): round trip, extra keys, type errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobwatch.core.postings import Location, Posting, Salary, format_utc, parse_utc


def test_round_trip_keeps_every_field() -> None:
    posting = Posting(
        source="lever",
        board="acme",
        external_id="5f3c",
        title="Backend Engineer",
        company="Acme",
        url="https://jobs.lever.co/acme/5f3c",
        locations=[Location(raw="Zürich, Switzerland", city="Zürich", country="CH")],
        workplace="hybrid",
        employment_type="full_time",
        salary=Salary(min=100_000, max=120_000, currency="CHF", period="year"),
        posted_at=datetime(2026, 6, 1, 12, 30, tzinfo=UTC),
    )
    data = posting.to_json()
    assert data["posted_at"] == "2026-06-01T12:30:00Z" and data["updated_at"] is None
    assert Posting.from_json(data).to_json() == data
    assert set(data) == {
        "source", "board", "external_id", "title", "company", "url", "description_html", "description_text",
        "locations", "workplace", "department", "team", "employment_type", "salary", "posted_at", "updated_at",
    }  # fmt: skip


def test_extra_keys_are_allowed_anywhere() -> None:
    data = {
        "source": "ashby",
        "external_id": "x",
        "title": "Engineer",
        "extra": 1,
        "locations": [{"raw": "Berlin", "city": "Berlin", "region": None, "country": "DE", "lat": 52.5}],
        "salary": {"min": 1, "max": None, "currency": "EUR", "period": "month", "note": "gross"},
    }
    posting = Posting.from_json(data)
    assert posting.locations[0].country == "DE" and posting.salary == Salary(1, None, "EUR", "month")


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"title": ""}, "title"),
        ({"external_id": None}, "external_id"),
        ({"locations": "Berlin"}, "locations"),
        ({"salary": {"min": "lots", "currency": "EUR"}}, "salary"),
        ({"posted_at": "yesterday"}, "ISO"),
        ({"company": ["Acme"]}, "company"),
    ],
)
def test_wrong_types_are_value_errors(patch: dict[str, object], needle: str) -> None:
    data = {"source": "lever", "external_id": "1", "title": "Engineer", **patch}
    with pytest.raises(ValueError, match=needle):
        Posting.from_json(data)


def test_times_are_utc_with_z() -> None:
    assert parse_utc("2026-06-01") == datetime(2026, 6, 1, tzinfo=UTC)
    assert parse_utc("2026-06-01T14:00:00+02:00") == datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert format_utc(datetime(2026, 6, 1, 12, 0, 0, 500000, tzinfo=UTC)) == "2026-06-01T12:00:00.500000Z"
    assert format_utc(None) is None
