"""The Recruitee offers adapter. Fixtures: tests/fixtures/recruitee/ (an invented company, Acme)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.scrapers import recruitee
from jobwatch.scrapers.base import ParseError, UnexpectedContent
from jobwatch.scrapers.boards import parse_board_token
from jobwatch.scrapers.http import make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "recruitee"
FETCHED = datetime(2026, 7, 10, tzinfo=UTC)
BODY = (FIXTURES / "offers_acme.json").read_bytes()


def parse(body: bytes, board: str | None = None) -> list[Posting]:
    return recruitee.parse(body, board=board, fetched_at=FETCHED)


def test_an_offers_response() -> None:
    office, support, finance = parse(BODY)
    assert office.external_id == "2000001" and office.board == "acme"
    assert office.url == "https://acme.recruitee.com/o/office-manager"  # ?source= dropped
    assert office.workplace == "onsite"
    assert office.salary == Salary(75000, 95000, "USD", "year")  # amounts given as strings
    assert office.posted_at == datetime(2026, 7, 2, 10, 0, tzinfo=UTC)  # "2026-07-02 10:00:00 UTC"
    assert office.updated_at == datetime(2026, 7, 5, 12, 30, tzinfo=UTC)
    assert office.locations == [Location("Chicago, Illinois, United States", "Chicago", "Illinois", "US")]
    assert office.description_text == "Join Acme.\n\n- Likes deserts"
    # remote and hybrid both true: remote wins; "Remote job" is not a place, the top-level city is.
    assert support.workplace == "remote"
    assert support.locations == [Location("Poznań, Poland", "Poznań", None, "PL")]
    assert support.posted_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # no published_at: created_at
    assert support.salary is None  # all-null salary object
    assert finance.salary == Salary(60000, None, "EUR", "month")
    assert finance.employment_type == "part_time"
    assert finance.locations == [Location("Berlin, Germany", "Berlin", "Berlin", "DE")]


def test_the_board_from_the_mailbox_when_the_site_is_on_its_own_domain() -> None:
    data = json.loads(BODY)
    for offer in data["offers"]:
        offer["careers_url"] = offer["careers_url"].replace("acme.recruitee.com", "jobs.acme.example")
    postings = parse(json.dumps(data).encode())
    assert {p.board for p in postings} == {"acme"}
    assert postings[0].url == "https://jobs.acme.example/o/office-manager"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"[]", "not a Recruitee offers response"),
        (b'{"offers": "x"}', "'offers' is not a list"),
        (b'{"offers": [{"title": "x"}]}', "has no 'id'"),
        (b'{"offers": [{"id": 1}]}', "has no title"),
        (b'{"error": "not found"}', "error response"),
    ],
)
def test_malformed_input_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(body)
    assert message in str(caught.value)


def test_fetch_uses_the_company_host_template() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=BODY)

    with make_client(transport=httpx.MockTransport(handler)) as client:
        result = recruitee.fetch(client, parse_board_token("recruitee:acme"), fetched_at=FETCHED, sleep=lambda s: None)
    assert seen == ["https://acme.recruitee.com/api/offers/"]
    assert len(result.postings) == 3 and {p.board for p in result.postings} == {"acme"}
    html = httpx.Response(
        200, content=b"<html><title>Just a moment...</title></html>", headers={"Content-Type": "text/html"}
    )
    with make_client(transport=httpx.MockTransport(lambda r: html)) as client, pytest.raises(UnexpectedContent):
        recruitee.fetch(client, parse_board_token("recruitee:acme"), fetched_at=FETCHED, sleep=lambda s: None)
