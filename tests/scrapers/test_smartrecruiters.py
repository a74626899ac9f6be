"""The SmartRecruiters adapter: list pages, details, and paging (field case B04) through a mock transport.

Fixtures are the self-written files in tests/fixtures/smartrecruiters/ (an invented company, Acme).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from jobwatch.core.postings import Location, Salary
from jobwatch.scrapers import smartrecruiters
from jobwatch.scrapers.base import ParseError, UnexpectedContent
from jobwatch.scrapers.boards import parse_board_token
from jobwatch.scrapers.http import make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "smartrecruiters"
FETCHED = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
REF = parse_board_token("smartrecruiters:acme")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected wait of {seconds} s")


def test_a_list_page() -> None:
    postings = smartrecruiters.parse(fixture("postings_acme.json"), board=None, fetched_at=FETCHED)
    assert [p.external_id for p in postings] == ["744000000000001", "744000000000002", "744000000000003"]
    first, remote, intern = postings
    assert first.board == "Acme"  # from the public URL built from company.identifier
    assert first.url == "https://jobs.smartrecruiters.com/Acme/744000000000001"
    assert first.company == "Acme Corporation"
    assert first.department == "Design"
    assert first.locations == [Location("San Francisco, CA, United States", "San Francisco", "CA", "US")]
    assert first.workplace is None  # remote and hybrid both false: not stated
    assert first.employment_type == "full_time"
    assert first.posted_at == datetime(2026, 6, 11, 9, 30, tzinfo=UTC)
    assert first.description_html is None
    assert remote.workplace == "remote" and remote.employment_type == "part_time"
    assert intern.workplace == "hybrid" and intern.employment_type == "internship"  # from the id "intern"
    assert intern.locations == [Location("Berlin, Germany", "Berlin", None, "DE")]


def test_a_detail() -> None:
    [posting] = smartrecruiters.parse(
        fixture("posting_detail_acme.json"), board="smartrecruiters:acme", fetched_at=FETCHED
    )
    assert posting.board == "acme"
    assert posting.url == "https://jobs.smartrecruiters.com/Acme/744000000000001-senior-anvil-designer?trid=abc"
    assert posting.salary == Salary(150000, 190000, "USD", "year")
    assert posting.description_text == (
        "Company Description\n\nAcme makes everything a coyote needs.\n\nJob Description\n\n"
        "Design anvils & drop tests.\n\nAdditional Information\n\nRelocation to the desert offered."
    )
    assert "onerror" not in (posting.description_html or "")


def test_a_detail_trimmed_to_its_job_ad_lists_nothing() -> None:
    body = json.dumps({"jobAd": {"sections": {"jobDescription": {"title": "Job", "text": "<p>x</p>"}}}}).encode()
    assert smartrecruiters.parse(body, board=None, fetched_at=FETCHED) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"[]", "not a SmartRecruiters response"),
        (b'{"content": {}}', "'content' is not a list"),
        (b'{"content": [{"name": "x"}]}', "has no 'id'"),
        (b'{"content": [{"id": "1", "name": ""}]}', "has no 'name'"),
        (b'{"message": "Company not found", "code": 404}', "error response"),
    ],
)
def test_malformed_input_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        smartrecruiters.parse(body, board=None, fetched_at=FETCHED)
    assert message in str(caught.value)


class FakeCompany:
    """Serves `/v1/companies/acme/postings?limit&offset` pages and `/postings/{id}` details."""

    def __init__(self, total: int, *, ignore_offset_after: int | None = None) -> None:
        self.ids = [str(744000100000000 + i) for i in range(total)]
        self.ignore_offset_after = ignore_offset_after
        self.pages: list[tuple[int, int]] = []
        self.details: Counter[str] = Counter()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == "127.0.0.1"  # the configured API URL, never the item's `ref` link
        path = request.url.path.removeprefix("/sr")
        if path == "/v1/companies/acme/postings":
            query = parse_qs(request.url.query.decode())
            limit, offset = int(query["limit"][0]), int(query["offset"][0])
            self.pages.append((offset, limit))
            if self.ignore_offset_after is not None and offset >= self.ignore_offset_after:
                offset = 0  # a broken API repeating its first page
            content = [
                {"id": i, "name": f"Role {i}", "company": {"identifier": "Acme", "name": "Acme"}}
                for i in self.ids[offset : offset + limit]
            ]
            return httpx.Response(
                200, json={"offset": offset, "limit": limit, "totalFound": len(self.ids), "content": content}
            )
        if path.startswith("/v1/companies/acme/postings/"):
            ident = path.rsplit("/", 1)[-1]
            self.details[ident] += 1
            return httpx.Response(
                200,
                json={
                    "id": ident,
                    "name": f"Role {ident}",
                    "postingUrl": f"https://jobs.smartrecruiters.com/Acme/{ident}-role",
                    "jobAd": {"sections": {"jobDescription": {"title": "Job Description", "text": f"<p>{ident}</p>"}}},
                },
            )
        return httpx.Response(404)


def run(fake: FakeCompany) -> smartrecruiters.FetchResult:
    with make_client(transport=httpx.MockTransport(fake)) as client:
        return smartrecruiters.fetch(
            client, REF, api_url="http://127.0.0.1:8123/sr/", fetched_at=FETCHED, sleep=no_sleep
        )


def test_b04_233_postings_over_three_pages() -> None:
    """Field case B04, verbatim: totalFound 233; offset 0 -> 100 items, 100 -> 100, 200 -> 33."""
    fake = FakeCompany(233)
    result = run(fake)
    assert fake.pages == [(0, 100), (100, 100), (200, 100)]
    assert result.pages == 3
    assert len(result.postings) == 233 and len({p.external_id for p in result.postings}) == 233
    assert result.complete is True and result.note is None
    assert set(fake.details.values()) == {1} and len(fake.details) == 233
    first = result.postings[0]
    assert first.description_text == f"Job Description\n\n{first.external_id}"
    assert first.url == f"https://jobs.smartrecruiters.com/Acme/{first.external_id}-role"
    assert first.board == "acme"


def test_b04_paging_stops_when_the_offset_reaches_total_found() -> None:
    fake = FakeCompany(200)
    result = run(fake)
    assert fake.pages == [(0, 100), (100, 100)]  # no third request for an empty page
    assert len(result.postings) == 200 and result.complete is True


def test_b04_a_repeated_page_stops_paging_and_flags_the_run() -> None:
    fake = FakeCompany(233, ignore_offset_after=100)
    result = run(fake)
    assert fake.pages == [(0, 100), (100, 100)]  # no loop
    assert len(result.postings) == 100 and len({p.external_id for p in result.postings}) == 100
    assert result.complete is False
    assert result.note is not None and "repeated" in result.note


def test_fewer_unique_postings_than_total_found_is_incomplete() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/postings"):
            return httpx.Response(200, json={"totalFound": 5, "content": [{"id": "1", "name": "One"}]})
        return httpx.Response(404)

    with make_client(transport=httpx.MockTransport(handler)) as client:
        result = smartrecruiters.fetch(client, REF, fetched_at=FETCHED, sleep=no_sleep)
    assert [p.external_id for p in result.postings] == ["1"]  # its detail 404'd: list fields kept
    assert result.complete is False and "totalFound is 5" in (result.note or "")


def test_fetch_of_something_else_is_unexpected_content() -> None:
    with (
        make_client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"jobs": []}))) as client,
        pytest.raises(UnexpectedContent),
    ):
        smartrecruiters.fetch(client, REF, fetched_at=FETCHED, sleep=no_sleep)
