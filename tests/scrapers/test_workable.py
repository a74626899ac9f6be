"""The Workable widget adapter. Fixtures: tests/fixtures/workable/ (an invented company, Acme)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jobwatch.core.postings import Location, Posting
from jobwatch.scrapers import workable
from jobwatch.scrapers.base import BoardNotFound, ParseError, UnexpectedContent
from jobwatch.scrapers.boards import parse_board_token
from jobwatch.scrapers.http import make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workable"
FETCHED = datetime(2026, 7, 10, tzinfo=UTC)


def parse(body: bytes, board: str | None = None) -> list[Posting]:
    return workable.parse(body, board=board, fetched_at=FETCHED)


def test_a_widget_response() -> None:
    postings = parse((FIXTURES / "widget_acme.json").read_bytes())
    assert [p.external_id for p in postings] == ["AC1234567A", "AC7654321B", "AC0000000C"]
    first, field, office = postings
    assert first.board == "acme"  # apply.workable.com/acme/j/...
    assert first.company == "Acme"
    assert first.workplace == "remote"  # telecommuting
    assert first.employment_type == "full_time"
    assert first.department == "Support"
    assert first.posted_at == datetime(2026, 6, 30, tzinfo=UTC)
    assert first.description_text == "Help Acme customers & partners.\n\n- Portuguese"
    assert first.locations == [
        Location("São Paulo, State of São Paulo, Brazil", "São Paulo", "State of São Paulo", "BR")
    ]
    # Empty strings are null; telecommuting false says nothing about the workplace.
    assert field.department is None and field.workplace is None and field.employment_type == "contract"
    assert field.url == "https://apply.workable.com/acme/j/AC7654321B"  # utm_* dropped
    # The widget repeats a job per location: one posting, both places, the first entry's fields.
    assert field.locations == [Location("Spain", None, None, "ES"), Location("Lisbon, Portugal", "Lisbon", None, "PT")]
    assert office.posted_at is None  # published_on ""
    assert office.locations == [Location("London, England, United Kingdom", "London", "England", "GB")]


def test_links_that_hide_the_account_leave_the_board_null() -> None:
    body = b'{"name": "Acme", "jobs": [{"title": "T", "shortcode": "X1", "url": "https://apply.workable.com/j/X1"}]}'
    [posting] = parse(body)
    assert posting.board is None
    [posting] = parse(body, board="workable:acme")
    assert posting.board == "acme"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"[]", "not a Workable widget response"),
        (b'{"jobs": null}', "'jobs' is not a list"),
        (b'{"jobs": [{"title": "x", "shortcode": ""}]}', "has no 'shortcode'"),
        (b'{"jobs": [{"shortcode": "X"}]}', "has no title"),
        (b'{"error": "Not found"}', "error response"),
    ],
)
def test_malformed_input_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(body)
    assert message in str(caught.value)


def test_fetch() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/api/v1/widget/accounts/acme":
            return httpx.Response(200, content=(FIXTURES / "widget_acme.json").read_bytes())
        return httpx.Response(404)

    with make_client(transport=httpx.MockTransport(handler)) as client:
        result = workable.fetch(client, parse_board_token("workable:acme"), fetched_at=FETCHED, sleep=lambda s: None)
        assert seen == ["https://apply.workable.com/api/v1/widget/accounts/acme?details=true"]
        assert len(result.postings) == 3 and result.complete is True
        with pytest.raises(BoardNotFound):
            workable.fetch(client, parse_board_token("workable:acmee"), fetched_at=FETCHED, sleep=lambda s: None)
    bad = httpx.MockTransport(lambda r: httpx.Response(200, json={"jobs": [{"title": "no code"}]}))
    with make_client(transport=bad) as client, pytest.raises(UnexpectedContent):
        workable.fetch(client, parse_board_token("workable:acme"), fetched_at=FETCHED, sleep=lambda s: None)
