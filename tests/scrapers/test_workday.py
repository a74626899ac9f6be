"""The Workday adapter: relative dates (field case B01), paging, facet splitting past the 2,000 cap, details.

Saved-response fixtures are the self-written files in tests/fixtures/workday/ (an invented company,
Acme). Fetching runs against `FakeWorkday`, an `httpx.MockTransport` handler that behaves like a CXS
board: it filters by `appliedFacets`, counts facets over the filtered postings, says `total` only on
the first page, and refuses offsets past 2,000.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobwatch.core.filters import parse_filters
from jobwatch.core.matching import compile_alert, matches, prepare
from jobwatch.core.postings import Location, Posting
from jobwatch.errors import BadInput
from jobwatch.scrapers import workday
from jobwatch.scrapers.base import ParseError, RateLimited, UnexpectedContent
from jobwatch.scrapers.boards import parse_board_token
from jobwatch.scrapers.http import make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workday"
FETCHED = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
REF = parse_board_token("workday:acme.wd5/External")
API = "http://127.0.0.1:8321/wd"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected wait of {seconds} s")


# --- postedOn -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Posted Today", FETCHED),
        ("posted  today", FETCHED),
        ("Posted Yesterday", FETCHED - timedelta(days=1)),
        ("Posted 1 Day Ago", FETCHED - timedelta(days=1)),
        ("Posted 7 Days Ago", FETCHED - timedelta(days=7)),
        ("Posted 30+ Days Ago", None),
        ("Publié aujourd'hui", None),
        ("", None),
        (None, None),
    ],
)
def test_resolve_posted_on(text: str | None, expected: datetime | None) -> None:
    assert workday.resolve_posted_on(text, FETCHED) == expected


def test_thirty_plus_days_uses_a_start_date_only_when_it_fits() -> None:
    assert workday.resolve_posted_on("Posted 30+ Days Ago", FETCHED, "2025-03-02") == datetime(2025, 3, 2, tzinfo=UTC)
    # A start date inside the last 30 days contradicts "30+": unknown rather than wrong.
    assert workday.resolve_posted_on("Posted 30+ Days Ago", FETCHED, "2025-06-01") is None
    assert workday.resolve_posted_on("Posted 30+ Days Ago", FETCHED, "not a date") is None


# --- parse ----------------------------------------------------------------------------------------


def test_a_list_response_with_a_board() -> None:
    postings = workday.parse(fixture("jobs_acme.json"), board="acme.wd5/External", fetched_at=FETCHED)
    assert [p.external_id for p in postings] == ["R1001", "R1002", "R1003", "R1004", "Gadget-Demonstrator_JR77"]
    first = postings[0]
    assert first.board == "acme.wd5/External"
    assert (
        first.url == "https://acme.wd5.myworkdayjobs.com/External/job/US-CA-San-Francisco/Rocket-Skate-Engineer_R1001"
    )
    assert first.locations == [Location("US, CA, San Francisco", "San Francisco", "CA", "US")]
    assert first.description_html is None  # only the detail has it
    assert postings[1].title == "Anvil Logistics Lead & Planner"
    assert postings[1].locations == []  # "2 Locations" counts places, names none
    assert postings[2].workplace == "remote"  # remoteType
    assert [p.posted_at for p in postings] == [
        FETCHED,
        FETCHED - timedelta(days=1),
        FETCHED - timedelta(days=7),
        None,  # 30+ without a detail
        None,  # not English
    ]


def test_a_list_response_without_a_board_has_no_urls() -> None:
    postings = workday.parse(fixture("jobs_acme.json"), board=None, fetched_at=FETCHED)
    assert {p.board for p in postings} == {None}
    assert {p.url for p in postings} == {None}


def test_a_detail_response() -> None:
    [posting] = workday.parse(fixture("job_detail_acme.json"), board=None, fetched_at=FETCHED)
    assert posting.external_id == "R1004"
    assert posting.board == "acme.wd5/External"  # from externalUrl
    assert posting.company == "Acme Corporation"
    assert posting.employment_type == "part_time"
    assert posting.posted_at == datetime(2025, 3, 2, tzinfo=UTC)  # 30+ days: the start date
    assert posting.locations == [
        Location("Toronto, ON", "Toronto", "ON", "CA"),
        Location("Montreal, QC", "Montreal", "QC", "CA"),
    ]
    assert posting.description_text == (
        "Keep the Acme catalogue complete & current.\n\n- Index every gadget\n- Answer the coyote's questions"
    )
    assert "<script" not in (posting.description_html or "")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"{", "malformed JSON"),
        (b"<html><title>Just a moment...</title></html>", "HTML instead of JSON"),
        (b"[]", "not a Workday response"),
        (b'{"jobPostings": {}}', "'jobPostings' is not a list"),
        (b'{"jobPostings": [1]}', "#1 is not an object"),
        (b'{"jobPostings": [{"title": "No id"}]}', "has no requisition id or path"),
        (b'{"jobPostings": [{"bulletFields": ["R1"]}]}', "has no title"),
        (b'{"errorCode": "HTTP_400", "httpStatus": 400}', "error response"),
        (b'{"jobPostingInfo": "x"}', "not an object"),
    ],
)
def test_malformed_input_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        workday.parse(body, board=None, fetched_at=FETCHED)
    assert message in str(caught.value)


def test_a_board_that_is_not_a_workday_token_is_refused() -> None:
    with pytest.raises(ParseError, match=r"TENANT\.wdN/SITE"):
        workday.parse(fixture("jobs_acme.json"), board="acme", fetched_at=FETCHED)
    with pytest.raises(BadInput, match="belongs to lever"):
        workday.parse(fixture("jobs_acme.json"), board="lever:acme", fetched_at=FETCHED)


# --- a fake CXS board ----------------------------------------------------------------------------


class FakeWorkday:
    """A CXS board of invented postings, each `{"id", "title", "locations": [...], "timeType", ...}`."""

    def __init__(self, postings: list[dict[str, Any]], *, facets: tuple[str, ...] = ("locations", "timeType")) -> None:
        self.postings = postings
        self.facets = facets
        self.list_requests: list[dict[str, Any]] = []
        self.detail_reads: Counter[str] = Counter()
        self.detail_status: dict[str, int] = {}
        self.lock = threading.Lock()
        self._by_id: dict[str, dict[str, Any]] = {}
        self._cache: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}

    def _matching(self, applied: dict[str, list[str]]) -> list[dict[str, Any]]:
        def passes(posting: dict[str, Any]) -> bool:
            for parameter, wanted in applied.items():
                values = posting.get(parameter, [])
                values = values if isinstance(values, list) else [values]
                if not set(values) & set(wanted):
                    return False
            return True

        return [p for p in self.postings if passes(p)]

    def _facets(self, postings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for parameter in self.facets:
            counts: Counter[str] = Counter()
            for posting in postings:
                values = posting.get(parameter, [])
                counts.update(values if isinstance(values, list) else [values])
            values = [{"descriptor": v, "id": v, "count": n} for v, n in sorted(counts.items())]
            if parameter == "locations":  # nested like the real thing
                out.append(
                    {
                        "facetParameter": "locationMainGroup",
                        "values": [{"facetParameter": "locations", "values": values}],
                    }
                )
            else:
                out.append({"facetParameter": parameter, "values": values})
        return out

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        root = "/wd/wday/cxs/acme/External"
        assert path.startswith(root), path
        if request.method == "POST" and path == f"{root}/jobs":
            body = json.loads(request.content)
            with self.lock:
                self.list_requests.append(body)
            assert body["limit"] == workday.PAGE_SIZE and body["searchText"] == ""
            if body["offset"] >= workday.LISTING_CAP:
                return httpx.Response(400, json={"errorCode": "HTTP_400", "httpStatus": 400})
            key = json.dumps(body["appliedFacets"], sort_keys=True)
            if key not in self._cache:
                found = self._matching(body["appliedFacets"])
                self._cache[key] = (found, self._facets(found))
            matching, facets = self._cache[key]
            page = matching[body["offset"] : body["offset"] + body["limit"]]
            return httpx.Response(
                200,
                json={
                    # Workday's quirk: only the first page says how many there are.
                    "total": len(matching) if body["offset"] == 0 else 0,
                    "jobPostings": [
                        {
                            "title": p["title"],
                            "externalPath": f"/job/{p['place']}/{p['title'].replace(' ', '-')}_{p['id']}",
                            "locationsText": p["place"],
                            "postedOn": p.get("postedOn", "Posted Today"),
                            "bulletFields": [p["id"]],
                        }
                        for p in page
                    ],
                    "facets": facets if body["offset"] == 0 else [],
                },
            )
        if request.method == "GET" and path.startswith(f"{root}/job/"):
            ident = path.rsplit("_", 1)[-1]
            with self.lock:
                self.detail_reads[ident] += 1
            if ident in self.detail_status:
                return httpx.Response(self.detail_status[ident])
            if not self._by_id:
                self._by_id = {p["id"]: p for p in self.postings}
            posting = self._by_id[ident]
            info = {
                "title": posting["title"],
                "jobReqId": ident,
                "jobDescription": f"<p>All about {posting['title']}.</p>",
                "location": posting["place"],
                "postedOn": posting.get("postedOn", "Posted Today"),
                "timeType": "Full time",
                "externalUrl": f"https://acme.wd5.myworkdayjobs.com/External/job/{posting['place']}/x_{ident}",
            }
            info.update(posting.get("detail", {}))
            return httpx.Response(200, json={"jobPostingInfo": info, "hiringOrganization": {"name": "Acme"}})
        return httpx.Response(404)


def run(fake: FakeWorkday, **kwargs: Any) -> workday.FetchResult:
    with make_client(transport=httpx.MockTransport(fake)) as client:
        return workday.fetch(client, REF, api_url=API, fetched_at=FETCHED, sleep=no_sleep, **kwargs)


def board_of(size: int) -> list[dict[str, Any]]:
    """`size` postings: 2,600 in "loc-remote" (100 of them also in "loc-a"), 1,300 in "loc-a", the rest
    in "loc-b"; every third part-time."""
    postings = []
    for i in range(size):
        if i < 2600:
            locations = ["loc-remote", "loc-a"] if i >= 2500 else ["loc-remote"]
        elif i < 3800:
            locations = ["loc-a"]
        else:
            locations = ["loc-b"]
        postings.append(
            {
                "id": f"R{i:05d}",
                "title": f"Gadget Role {i}",
                "place": "US-AZ-Phoenix",
                "locations": locations,
                "timeType": "pt" if i % 3 == 0 else "ft",
                "jobFamily": f"fam-{i % 3}",
            }
        )
    return postings


# --- fetch ----------------------------------------------------------------------------------------


def test_b01_relative_dates_resolved_against_the_run_start() -> None:
    """Field case B01, verbatim: four list items, the fourth's detail has startDate 2025-03-02."""
    fake = FakeWorkday(
        [
            {"id": "R1", "title": "Job One", "place": "Phoenix", "postedOn": "Posted Today"},
            {"id": "R2", "title": "Job Two", "place": "Phoenix", "postedOn": "Posted Yesterday"},
            {"id": "R3", "title": "Job Three", "place": "Phoenix", "postedOn": "Posted 7 Days Ago"},
            {
                "id": "R4",
                "title": "Job Four",
                "place": "Phoenix",
                "postedOn": "Posted 30+ Days Ago",
                "detail": {"startDate": "2025-03-02"},
            },
        ]
    )
    result = run(fake)
    assert result.complete is True
    by_id = {p.external_id: p for p in result.postings}
    assert by_id["R1"].posted_at == datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
    assert by_id["R2"].posted_at == datetime(2025, 6, 9, 12, 0, tzinfo=UTC)
    assert by_id["R3"].posted_at == datetime(2025, 6, 3, 12, 0, tzinfo=UTC)
    assert by_id["R4"].posted_at == datetime(2025, 3, 2, tzinfo=UTC)  # "30+" is not 30

    within_7 = compile_alert("a7", parse_filters({"companies": ["Acme"], "min_posted_days_ago": 7}))
    within_30 = compile_alert("a30", parse_filters({"companies": ["Acme"], "min_posted_days_ago": 30}))
    for ident in ("R1", "R2", "R3"):
        prepared = prepare(by_id[ident])
        assert matches(prepared, within_7, now=FETCHED) and matches(prepared, within_30, now=FETCHED)
    prepared = prepare(by_id["R4"])
    assert not matches(prepared, within_7, now=FETCHED) and not matches(prepared, within_30, now=FETCHED)


def test_b01_thirty_plus_without_a_start_date_is_unknown() -> None:
    fake = FakeWorkday([{"id": "R4", "title": "Job Four", "place": "Phoenix", "postedOn": "Posted 30+ Days Ago"}])
    [posting] = run(fake).postings
    assert posting.posted_at is None


def test_paging_keeps_the_first_pages_total_and_stops_on_a_short_page() -> None:
    fake = FakeWorkday(board_of(45), facets=())
    result = run(fake)
    assert [r["offset"] for r in fake.list_requests] == [0, 20, 40]
    assert result.pages == 3
    assert result.complete is True
    assert len(result.postings) == 45
    assert set(fake.detail_reads.values()) == {1}
    posting = result.postings[0]
    assert posting.url == "https://acme.wd5.myworkdayjobs.com/External/job/US-AZ-Phoenix/x_R00000"  # externalUrl
    assert posting.description_text == "All about Gadget Role 0."
    assert posting.company == "Acme"
    assert posting.employment_type == "full_time"


def test_a_board_of_exactly_one_page_needs_no_second_request() -> None:
    fake = FakeWorkday(board_of(20), facets=())
    result = run(fake)
    assert [r["offset"] for r in fake.list_requests] == [0]
    assert len(result.postings) == 20


def test_4500_postings_with_a_facet_value_above_the_cap_are_each_read_exactly_once() -> None:
    """No facet fits under 2,000 on its own ("loc-remote" holds 2,600, "ft" 3,000): the board is split
    by location, and "loc-remote" again by time type. 100 postings sit in two locations."""
    fake = FakeWorkday(board_of(4500))
    result = run(fake)
    ids = [p.external_id for p in result.postings]
    assert len(ids) == 4500 and len(set(ids)) == 4500
    assert set(ids) == {p["id"] for p in fake.postings}
    assert len(fake.detail_reads) == 4500 and set(fake.detail_reads.values()) == {1}
    assert result.complete is True, result.note
    assert all(r["offset"] < workday.LISTING_CAP for r in fake.list_requests)
    applied = [r["appliedFacets"] for r in fake.list_requests if r["offset"] == 0]
    assert applied[0] == {}
    assert {"locations": ["loc-remote"], "timeType": ["ft"]} in applied
    assert {"locations": ["loc-a"]} in applied and {"locations": ["loc-b"]} in applied
    assert result.pages == len(fake.list_requests)


def test_a_facet_whose_values_all_fit_is_preferred() -> None:
    fake = FakeWorkday(board_of(4500), facets=("locations", "timeType", "jobFamily"))
    result = run(fake, max_workers=8)
    assert len(result.postings) == 4500 and result.complete is True
    split = {tuple(r["appliedFacets"]) for r in fake.list_requests if r["appliedFacets"]}
    assert split == {("jobFamily",)}


def test_a_board_no_facet_splits_is_read_up_to_the_cap_and_incomplete() -> None:
    fake = FakeWorkday(board_of(2500), facets=("timeType",))
    for posting in fake.postings:
        posting["timeType"] = "ft"  # one value holding everything narrows nothing
    result = run(fake)
    assert result.complete is False
    assert result.note is not None and "2500" in result.note and "2000" in result.note
    assert len(result.postings) == 2000
    assert max(r["offset"] for r in fake.list_requests) == 1980


def test_a_detail_gone_in_between_keeps_the_list_fields() -> None:
    fake = FakeWorkday(board_of(3), facets=())
    fake.detail_status["R00001"] = 404
    result = run(fake)
    assert result.complete is True
    gone = result.postings[1]
    assert gone.external_id == "R00001"
    assert gone.description_html is None
    assert gone.url == "http://127.0.0.1:8321/wd/External/job/US-AZ-Phoenix/Gadget-Role-1_R00001"
    assert result.postings[0].description_text is not None


def test_a_rate_limited_detail_fails_the_read() -> None:
    fake = FakeWorkday(board_of(3), facets=())
    fake.detail_status["R00002"] = 429
    waits: list[float] = []
    with make_client(transport=httpx.MockTransport(fake)) as client, pytest.raises(RateLimited):
        workday.fetch(client, REF, api_url=API, fetched_at=FETCHED, sleep=waits.append)
    assert waits  # retried first


def test_fewer_postings_than_the_first_total_is_incomplete() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            item = {"title": "Only One", "externalPath": "/job/x/Only-One_R1", "postedOn": "Posted Today"}
            return httpx.Response(200, json={"total": 2, "jobPostings": [item]})
        return httpx.Response(404)

    with make_client(transport=httpx.MockTransport(handler)) as client:
        result = workday.fetch(client, REF, api_url=API, fetched_at=FETCHED, sleep=no_sleep)
    assert [p.external_id for p in result.postings] == ["Only-One_R1"]
    assert result.complete is False and "total is 2" in (result.note or "")


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(
            200, content=b"<html><title>Just a moment...</title></html>", headers={"Content-Type": "text/html"}
        ),
        httpx.Response(200, json={"jobs": []}),
        httpx.Response(200, json={"total": 1, "jobPostings": [{"title": "no id"}]}),
    ],
)
def test_a_list_that_is_something_else_is_unexpected_content(response: httpx.Response) -> None:
    with (
        make_client(transport=httpx.MockTransport(lambda r: response)) as client,
        pytest.raises(UnexpectedContent),
    ):
        workday.fetch(client, REF, api_url=API, fetched_at=FETCHED, sleep=no_sleep)


def test_fetch_uses_the_default_host_and_posts_json() -> None:
    seen: list[tuple[str, str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url), request.headers.get("Content-Type", "")))
        return httpx.Response(200, json={"total": 0, "jobPostings": [], "facets": []})

    with make_client(transport=httpx.MockTransport(handler)) as client:
        result = workday.fetch(client, REF, fetched_at=FETCHED, sleep=no_sleep)
    assert seen == [("POST", "https://acme.wd5.myworkdayjobs.com/wday/cxs/acme/External/jobs", "application/json")]
    assert result.postings == [] and result.complete is True


def test_fetch_refuses_another_sources_board() -> None:
    with (
        make_client(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client,
        pytest.raises(BadInput, match="not a workday board"),
    ):
        workday.fetch(client, parse_board_token("lever:acme"), api_url=API, fetched_at=FETCHED)


def test_postings_are_plain_posting_objects() -> None:
    result = run(FakeWorkday(board_of(1), facets=()))
    assert all(isinstance(p, Posting) for p in result.postings)
