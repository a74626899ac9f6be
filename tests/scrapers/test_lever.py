"""The Lever adapter: parsing saved responses and fetching through a mock transport.

Fixtures are the self-written files in tests/fixtures/lever/ (invented companies Acme and Initech).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.errors import BadInput
from jobwatch.scrapers import lever
from jobwatch.scrapers.base import BoardNotFound, ParseError, UnexpectedContent
from jobwatch.scrapers.boards import parse_board_token
from jobwatch.scrapers.http import make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lever"
FETCHED = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
BACKEND = "4b1f7c2e-3a55-4d7e-9b0a-1c2d3e4f5a61"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(body: bytes, board: str | None = None) -> list[Posting]:
    return lever.parse(body, board=board, fetched_at=FETCHED)


def by_title(body: bytes) -> dict[str, Posting]:
    return {p.title: p for p in parse(body)}


def test_a_postings_array_in_board_order() -> None:
    postings = parse(fixture("postings_acme.json"))
    assert [p.title for p in postings] == [
        "Backend Engineer",
        "Support Specialist (Contract)",
        "Marketing Manager, Brand & Content",
        "Warehouse Lead",
    ]
    assert {p.source for p in postings} == {"lever"}
    assert {p.board for p in postings} == {"acme"}  # from hostedUrl jobs.lever.co/acme/...
    assert {p.company for p in postings} == {None}  # Lever names no company


def test_fields_of_a_full_posting() -> None:
    posting = by_title(fixture("postings_acme.json"))["Backend Engineer"]
    assert posting.external_id == BACKEND
    assert posting.url == f"https://jobs.lever.co/acme/{BACKEND}"  # ?lever-source=LinkedIn dropped (B07)
    assert posting.locations == [
        Location("San Francisco, CA", "San Francisco", "CA", "US"),
        Location("New York, NY", "New York", "NY", "US"),
    ]
    assert posting.workplace == "hybrid"
    assert posting.department == "Engineering"
    assert posting.team == "Platform"
    assert posting.employment_type == "full_time"
    assert posting.salary == Salary(150000, 190000, "USD", "year")
    assert posting.posted_at == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # createdAt epoch milliseconds
    assert posting.updated_at is None
    assert posting.description_text == (
        "Acme builds tools for coyotes & roadrunners alike.\n\nYou will own the order pipeline.\n\n"
        "What you'll do\n\n- Design APIs\n- Run what you build\n\n"
        "What you bring\n\n- Python or Go\n- Postgres\n\n"
        "Acme is an equal opportunity employer."
    )
    assert posting.description_html is not None
    assert "<h3>What you bring</h3><ul><li>Python or Go</li>" in posting.description_html


def test_other_postings() -> None:
    jobs = by_title(fixture("postings_acme.json"))
    contract = jobs["Support Specialist (Contract)"]
    assert contract.employment_type == "contract"
    assert contract.workplace == "remote"
    assert contract.salary == Salary(35, 42, "CAD", "hour")
    assert contract.locations == [Location("Remote - Canada", None, None, "CA")]

    marketing = jobs["Marketing Manager, Brand & Content"]  # B05: "&amp;" in the title decoded once
    assert marketing.locations == [Location("London", "London", None, "GB")]  # country from Lever `country`
    assert marketing.workplace == "onsite"

    warehouse = jobs["Warehouse Lead"]
    assert warehouse.workplace is None  # workplaceType "unspecified"
    assert warehouse.employment_type == "temporary"
    assert warehouse.locations == [Location("Portugal, Lisbon", "Lisbon", None, "PT")]
    # Only plain-text parts: escaped into HTML, read back as text.
    assert warehouse.description_text == (
        "Lead the night shift at our Lisbon warehouse.\nForklift licence required.\n\nSix-month assignment."
    )


def test_b16_markup_in_title_and_description() -> None:
    posting = by_title(fixture("postings_initech.json"))["Senior Software Engineer"]
    assert "javascript:" not in (posting.description_html or "")
    assert posting.description_text == "Fix the rounding bug.\n\nApply"


def test_the_country_field_settles_ambiguous_codes() -> None:
    posting = by_title(fixture("postings_initech.json"))["Office Manager"]
    assert posting.locations == [Location("Bangalore, IN", "Bangalore", None, "IN")]


def test_b07_the_next_version_keeps_one_posting_behind_another_tracking_link() -> None:
    before = {p.external_id: p for p in parse(fixture("postings_acme.json"))}
    after = {p.external_id: p for p in parse(fixture("postings_acme_v2.json"))}
    assert len(set(after) - set(before)) == 2
    assert len(set(before) - set(after)) == 1
    assert before[BACKEND].url == f"https://jobs.lever.co/acme/{BACKEND}"
    assert after[BACKEND].url == f"https://jobs.lever.co/acme/{BACKEND}/"


def test_a_single_posting_object() -> None:
    [posting] = parse(fixture("posting_single_acme.json"))
    assert posting.external_id == BACKEND
    assert posting.board == "acme"


def test_all_locations_with_one_country() -> None:
    item = json.loads(fixture("posting_single_acme.json"))
    item["categories"]["location"] = "London"
    item["categories"]["allLocations"] = ["London", "Stockholm"]
    item["country"] = "GB"
    [posting] = parse(json.dumps(item).encode())
    # Lever's single `country` belongs to the main location only; Stockholm's comes from the city table.
    assert posting.locations == [
        Location("London", "London", None, "GB"),
        Location("Stockholm", "Stockholm", None, "SE"),
    ]


def test_location_without_all_locations_and_no_categories() -> None:
    item = json.loads(fixture("posting_single_acme.json"))
    del item["categories"]["allLocations"]
    [posting] = parse(json.dumps(item).encode())
    assert [loc.raw for loc in posting.locations] == ["San Francisco, CA"]
    item["categories"] = None
    [posting] = parse(json.dumps(item).encode())
    assert posting.locations == []
    assert posting.team is None


def test_lever_eu_board_argument_and_derived_board() -> None:
    assert {p.board for p in parse(fixture("postings_acme.json"), board="lever-eu:acme")} == {"acme"}
    data = json.loads(fixture("postings_acme.json"))
    for item in data:
        item["hostedUrl"] = item["hostedUrl"].replace("jobs.lever.co", "jobs.eu.lever.co")
    assert {p.board for p in parse(json.dumps(data).encode())} == {"acme"}


def test_repeated_ids_are_kept_once() -> None:
    data = json.loads(fixture("postings_acme.json"))
    data.insert(2, dict(data[0], text="Duplicate"))
    postings = parse(json.dumps(data).encode())
    assert [p.title for p in postings].count("Backend Engineer") == 1
    assert "Duplicate" not in [p.title for p in postings]


def test_an_empty_array_is_an_empty_list() -> None:
    assert parse(b"[]") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "malformed JSON"),
        (b'{"ok": false, "error": "Document not found"}', "Document not found"),
        (b'{"jobs": []}', "not a Lever postings response"),
        (b'["a"]', "posting #1 is not an object"),
        (b'[{"text": "No id"}]', "has no 'id'"),
        (b'[{"id": "x"}]', "has no 'text'"),
    ],
)
def test_malformed_input_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(body)
    assert message in str(caught.value)


# --- fetch ----------------------------------------------------------------------------------------


def board_client(routes: dict[str, httpx.Response], seen: list[str] | None = None) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        key = f"{request.url.host}{request.url.raw_path.decode()}"
        if seen is not None:
            seen.append(key)
        return routes.get(key, httpx.Response(404, json={"ok": False, "error": "Document not found"}))

    return make_client(transport=httpx.MockTransport(handler))


def json_response(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "application/json; charset=utf-8"})


def test_fetch_reads_the_site() -> None:
    seen: list[str] = []
    client = board_client(
        {"api.lever.co/v0/postings/acme?mode=json": json_response(fixture("postings_acme.json"))}, seen
    )
    result = lever.fetch(client, parse_board_token("lever:acme"), api_url=lever.DEFAULT_API_URL, fetched_at=FETCHED)
    assert seen == ["api.lever.co/v0/postings/acme?mode=json"]
    assert (result.complete, result.pages, len(result.postings)) == (True, 1, 4)
    assert {p.board for p in result.postings} == {"acme"}


def test_fetch_of_an_eu_site_uses_its_template() -> None:
    client = board_client(
        {"api.eu.lever.co/v0/postings/initech?mode=json": json_response(fixture("postings_initech.json"))}
    )
    result = lever.fetch(
        client, parse_board_token("lever-eu:initech"), api_url=lever.DEFAULT_EU_API_URL, fetched_at=FETCHED
    )
    assert len(result.postings) == 3
    assert {p.source for p in result.postings} == {"lever"}


def test_fetch_against_a_loopback_template() -> None:
    client = board_client({"127.0.0.1/lever/v0/postings/acme?mode=json": json_response(b"[]")})
    result = lever.fetch(
        client, parse_board_token("lever:acme"), api_url="http://127.0.0.1:9/lever", fetched_at=FETCHED
    )
    assert result.postings == [] and result.complete


def test_fetch_errors() -> None:
    with pytest.raises(BoardNotFound):
        lever.fetch(
            board_client({}), parse_board_token("lever:nope"), api_url=lever.DEFAULT_API_URL, fetched_at=FETCHED
        )
    client = board_client(
        {"api.lever.co/v0/postings/acme?mode=json": json_response(fixture("posting_single_acme.json"))}
    )
    with pytest.raises(UnexpectedContent, match="JSON array"):
        lever.fetch(client, parse_board_token("lever:acme"), api_url=lever.DEFAULT_API_URL, fetched_at=FETCHED)
    with pytest.raises(BadInput):
        lever.fetch(client, parse_board_token("ashby:acme"), api_url=lever.DEFAULT_API_URL, fetched_at=FETCHED)
