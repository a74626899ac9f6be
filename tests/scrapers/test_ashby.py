"""The Ashby adapter: parsing saved responses and fetching through a mock transport.

Fixtures are the self-written files in tests/fixtures/ashby/ (invented companies Acme and Umbrella).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.errors import BadInput
from jobwatch.scrapers import ashby
from jobwatch.scrapers.base import ParseError, RateLimited, UnexpectedContent
from jobwatch.scrapers.boards import parse_board_token
from jobwatch.scrapers.http import make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ashby"
FETCHED = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(body: bytes, board: str | None = None) -> list[Posting]:
    return ashby.parse(body, board=board, fetched_at=FETCHED)


def by_title(body: bytes) -> dict[str, Posting]:
    return {p.title: p for p in parse(body)}


def test_a_job_board_in_order() -> None:
    postings = parse(fixture("job_board_acme.json"))
    assert [p.title for p in postings] == [
        "Senior Frontend Engineer",
        "Health & Safety Officer",  # B05, and the leading blank Ashby sometimes sends is gone
        "Customer Success Manager",
        "Contract Recruiter",
    ]
    assert {p.source for p in postings} == {"ashby"}
    assert {p.board for p in postings} == {"acme"}  # from jobUrl jobs.ashbyhq.com/acme/...
    assert {p.company for p in postings} == {None}


def test_fields_of_a_full_job() -> None:
    posting = by_title(fixture("job_board_acme.json"))["Senior Frontend Engineer"]
    assert posting.external_id == "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101"
    assert posting.url == "https://jobs.ashbyhq.com/acme/0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101"
    assert posting.locations == [
        Location("San Francisco, CA", "San Francisco", "CA", "US"),
        Location("Remote (US)", None, None, "US"),
    ]
    assert posting.workplace == "hybrid"  # workplaceType wins over isRemote
    assert posting.employment_type == "full_time"
    assert (posting.department, posting.team) == ("Engineering", "Web")
    assert posting.salary == Salary(170000, 210000, "USD", "year")  # the equity component is ignored
    assert posting.posted_at == datetime(2026, 6, 2, 15, 4, 5, 123000, tzinfo=UTC)
    assert (
        posting.description_text == "About Acme\n\nWe make the catalogue every coyote reads.\n\n- React\n- TypeScript"
    )


def test_other_jobs() -> None:
    jobs = by_title(fixture("job_board_acme.json"))
    officer = jobs["Health & Safety Officer"]
    assert officer.workplace == "onsite"
    assert officer.employment_type == "part_time"
    assert officer.locations == [Location("Manchester, UK", "Manchester", None, "GB")]

    csm = jobs["Customer Success Manager"]
    assert csm.workplace == "remote"  # workplaceType null, isRemote true
    assert csm.locations == [Location("Remote - Europe", None, None, None)]

    recruiter = jobs["Contract Recruiter"]
    assert recruiter.employment_type == "contract"
    assert recruiter.salary == Salary(60, 75, "CAD", "hour")
    assert recruiter.locations == [Location("Toronto, Ontario", "Toronto", "Ontario", "CA")]


def test_b16_markup_and_unknown_places() -> None:
    jobs = {p.external_id: p for p in parse(fixture("job_board_umbrella.json"))}
    analyst = jobs["7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c02"]
    assert analyst.title == "Security Analyst apply"
    html = analyst.description_html or ""
    for bad in ("onmouseover", "style=", "<iframe", "evil.example"):
        assert bad not in html
    assert analyst.locations == [Location("SF / NY / Remote", None, None, "US")]  # several US cities: US, no city
    technician = jobs["8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d03"]
    assert technician.workplace is None
    assert technician.description_html is None
    assert technician.description_text == "Keep the elevators running."  # from descriptionPlain


def test_the_postal_address_fills_what_the_name_leaves_open() -> None:
    data = json.loads(fixture("job_board_acme.json"))
    job = data["jobs"][0]
    job["location"] = "EMEA"
    job["address"]["postalAddress"] = {
        "addressLocality": "London",
        "addressRegion": "",
        "addressCountry": "United Kingdom",
    }
    job["secondaryLocations"] = [{"location": "Remote (US)", "address": {"postalAddress": {"addressCountry": "USA"}}}]
    posting = parse(json.dumps({"jobs": [job]}).encode())[0]
    assert posting.locations == [Location("EMEA", "London", None, "GB"), Location("Remote (US)", None, None, "US")]


def test_the_next_version_adds_two_and_drops_one() -> None:
    before = {p.external_id for p in parse(fixture("job_board_acme.json"))}
    after = {p.external_id: p for p in parse(fixture("job_board_acme_v2.json"))}
    assert len(set(after) - before) == 2
    assert before - set(after) == {"2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d03"}
    types = {p.title: p.employment_type for p in after.values()}
    assert types["Engineering Intern"] == "internship"
    assert types["Temporary Event Staff"] == "temporary"


def test_salary_from_the_tiers_when_the_summary_has_none() -> None:
    data = json.loads(fixture("job_board_acme.json"))
    job = data["jobs"][0]
    job["compensation"]["summaryComponents"] = []
    posting = parse(json.dumps({"jobs": [job]}).encode())[0]
    assert posting.salary == Salary(170000, 210000, "USD", "year")


def test_empty_board_and_board_argument() -> None:
    assert parse(b'{"apiVersion": "1", "jobs": []}') == []
    assert {p.board for p in parse(fixture("job_board_acme.json"), board="ashby:acme")} == {"acme"}
    with pytest.raises(BadInput):
        parse(fixture("job_board_acme.json"), board="greenhouse:acme")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "not an Ashby job board response"),
        (b'{"jobs": null}', "'jobs' is not a list"),
        (b'{"success": false, "errors": ["not found"]}', "error response"),
        (b'{"jobs": [{"title": "x"}]}', "has no 'id'"),
        (b'{"jobs": [{"id": "x", "title": null}]}', "has no title"),
        (b"\xff", "not UTF-8"),
    ],
)
def test_malformed_input_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(body)
    assert message in str(caught.value)


# --- fetch ----------------------------------------------------------------------------------------


def test_fetch_reads_the_board_with_compensation() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}{request.url.raw_path.decode()}")
        return httpx.Response(
            200, content=fixture("job_board_umbrella.json"), headers={"Content-Type": "application/json"}
        )

    client = make_client(transport=httpx.MockTransport(handler))
    result = ashby.fetch(client, parse_board_token("ashby:umbrella"), api_url=ashby.DEFAULT_API_URL, fetched_at=FETCHED)
    assert seen == ["api.ashbyhq.com/posting-api/job-board/umbrella?includeCompensation=true"]
    assert (result.complete, result.pages, len(result.postings)) == (True, 1, 3)


def test_fetch_errors() -> None:
    waits: list[float] = []

    def limited(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "1"})

    client = make_client(transport=httpx.MockTransport(limited))
    with pytest.raises(RateLimited):
        ashby.fetch(
            client,
            parse_board_token("ashby:acme"),
            api_url=ashby.DEFAULT_API_URL,
            fetched_at=FETCHED,
            sleep=waits.append,
        )
    assert waits == [1.0, 1.0]

    def wrong(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"jobPostings": []})

    client = make_client(transport=httpx.MockTransport(wrong))
    with pytest.raises(UnexpectedContent, match="not an Ashby job board"):
        ashby.fetch(client, parse_board_token("ashby:acme"), api_url=ashby.DEFAULT_API_URL, fetched_at=FETCHED)
