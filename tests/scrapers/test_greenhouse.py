"""The Greenhouse adapter: parsing saved responses and fetching through a mock transport.

Fixtures are the self-written files in tests/fixtures/greenhouse/ (an invented company, Acme).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.errors import BadInput
from jobwatch.scrapers import greenhouse
from jobwatch.scrapers.base import BoardNotFound, ParseError, UnexpectedContent
from jobwatch.scrapers.boards import parse_board_token
from jobwatch.scrapers.http import make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "greenhouse"
FETCHED = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(body: bytes, board: str | None = None) -> list[Posting]:
    return greenhouse.parse(body, board=board, fetched_at=FETCHED)


def by_id(body: bytes) -> dict[str, Posting]:
    return {p.external_id: p for p in parse(body)}


def test_a_jobs_list_in_board_order() -> None:
    postings = parse(fixture("jobs_acme.json"))
    assert [p.external_id for p in postings] == ["4010001001", "4010001002", "4010001003", "4010001004", "4010001005"]
    assert {p.source for p in postings} == {"greenhouse"}
    assert {p.board for p in postings} == {"acme"}  # from absolute_url on boards.greenhouse.io
    assert {p.company for p in postings} == {"Acme"}


def test_b05_entities_in_title_and_double_escaped_content() -> None:
    posting = by_id(fixture("jobs_acme.json"))["4010001001"]
    assert posting.title == "Senior Health & Protection Consultant"
    assert posting.description_text is not None
    assert posting.description_text.startswith("Health & Safety\n")
    assert "&amp;" not in posting.description_text and "&nbsp;" not in posting.description_text
    assert posting.description_html is not None
    assert posting.description_html.startswith("<p>Health &amp; Safety</p>")
    assert "- Run risk assessments\n- Train first-aid teams" in posting.description_text


def test_b16_markup_in_title_and_content_is_inert() -> None:
    posting = by_id(fixture("jobs_acme.json"))["4010001002"]
    assert posting.title == "Senior Engineer"
    html = posting.description_html or ""
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html
    assert 'href="https://acme.example/engineering"' in html
    assert (
        posting.description_text
        == "About the role\n\nBuild the Acme rocket-skates API.\n\nApply here or read our blog."
    )


def test_tracking_parameters_are_dropped_from_the_url() -> None:
    posting = by_id(fixture("jobs_acme.json"))["4010001001"]
    assert posting.url == "https://boards.greenhouse.io/acme/jobs/4010001001"


def test_fields_from_metadata_departments_and_offices() -> None:
    jobs = by_id(fixture("jobs_acme.json"))
    london = jobs["4010001001"]
    assert london.locations == [Location("London, UK", "London", None, "GB")]
    assert london.workplace == "hybrid"
    assert london.employment_type == "full_time"
    assert london.department == "People Operations"
    assert london.team is None
    assert london.posted_at == datetime(2026, 6, 1, 13, 0, tzinfo=UTC)
    assert london.updated_at == datetime(2026, 6, 15, 14, 30, tzinfo=UTC)

    remote = jobs["4010001003"]
    assert remote.workplace == "remote"
    assert remote.locations == [Location("Remote - US", None, None, "US")]
    assert remote.salary == Salary(180000, 220000, "USD", "year")

    assert jobs["4010001002"].locations == [
        Location("San Francisco, CA", "San Francisco", "CA", "US"),
        Location("New York City, NY", "New York City", "NY", "US"),
    ]
    assert jobs["4010001002"].workplace == "onsite"
    assert jobs["4010001004"].employment_type == "part_time"
    assert jobs["4010001004"].workplace is None  # "Location Type" is null and the text says nothing
    assert jobs["4010001004"].posted_at is None  # no first_published: never updated_at instead
    assert jobs["4010001004"].updated_at is not None
    assert jobs["4010001005"].employment_type == "internship"
    assert jobs["4010001005"].locations == [Location("Toronto, ON", "Toronto", "ON", "CA")]


def test_the_next_version_adds_two_and_drops_one() -> None:
    before = set(by_id(fixture("jobs_acme.json")))
    after = by_id(fixture("jobs_acme_v2.json"))
    assert set(after) - before == {"4010001006", "4010001007"}
    assert before - set(after) == {"4010001004"}
    assert after["4010001007"].workplace == "remote"
    assert after["4010001007"].locations[-1] == Location("Dublin, IE", "Dublin", None, "IE")


def test_a_second_board_with_free_text_locations() -> None:
    jobs = by_id(fixture("jobs_globex.json"))
    assert len(jobs) == 3
    assert {p.board for p in jobs.values()} == {"globex"}  # job-boards.greenhouse.io
    assert [loc.raw for loc in jobs["5020002002"].locations] == ["SF", "NYC", "SEA"]
    assert jobs["5020002001"].locations[1] == Location("Remote - United Kingdom", None, None, "GB")
    assert jobs["5020002003"].employment_type == "temporary"


def test_a_single_job_response() -> None:
    [posting] = parse(fixture("job_single_acme.json"))
    assert posting.external_id == "4010001003"
    assert posting.board == "acme"


def test_the_board_argument_wins_and_accepts_a_full_token() -> None:
    assert {p.board for p in parse(fixture("jobs_acme.json"), board="acme-eu")} == {"acme-eu"}
    assert {p.board for p in parse(fixture("jobs_acme.json"), board="greenhouse:acme")} == {"acme"}
    with pytest.raises(BadInput, match="belongs to lever"):
        parse(fixture("jobs_acme.json"), board="lever:acme")


def test_board_is_null_when_the_links_name_no_board() -> None:
    data = json.loads(fixture("jobs_acme.json"))
    for job in data["jobs"]:
        job["absolute_url"] = f"https://acme.example/careers?gh_jid={job['id']}"
    postings = parse(json.dumps(data).encode())
    assert {p.board for p in postings} == {None}
    assert postings[0].url == "https://acme.example/careers?gh_jid=4010001001"


def test_repeated_ids_are_kept_once_first_wins() -> None:
    data = json.loads(fixture("jobs_acme.json"))
    repeat = dict(data["jobs"][0], title="A later copy")
    data["jobs"].append(repeat)
    postings = parse(json.dumps(data).encode())
    assert len(postings) == 5
    assert postings[0].title == "Senior Health & Protection Consultant"


def test_an_empty_board_is_an_empty_list() -> None:
    assert parse(b'{"jobs": [], "meta": {"total": 0}}') == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b'{"jobs": [', "malformed JSON at line 1"),
        (b"<html><title>Just a moment...</title></html>", "HTML instead of JSON"),
        (b"[]", "not a Greenhouse jobs response"),
        (b'{"jobs": {}}', "'jobs' is not a list"),
        (b'{"departments": []}', "departments response"),
        (b'{"status": 404, "error": "Job not found"}', "error response"),
        (b'{"jobs": [42]}', "job #1 is not an object"),
        (b'{"jobs": [{"title": "No id"}]}', "has no 'id'"),
        (b'{"jobs": [{"id": 1, "title": "  "}]}', "has no title"),
    ],
)
def test_malformed_input_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(body)
    assert message in str(caught.value)


def test_content_that_is_already_html_is_not_unescaped_again() -> None:
    body = json.dumps({"jobs": [{"id": 1, "title": "T", "content": "<p>Use &lt;div&gt; tags</p>"}]}).encode()
    [posting] = parse(body)
    assert posting.description_text == "Use <div> tags"


def test_a_multi_select_salary_field_and_period_from_its_name() -> None:
    body = json.dumps(
        {
            "jobs": [
                {
                    "id": 1,
                    "title": "Barista",
                    "metadata": [
                        {
                            "name": "Hourly Rate",
                            "value_type": "currency_range",
                            "value": {"unit": "EUR", "min_value": "14.5", "max_value": "16.0"},
                        },
                        {"name": "Work Type", "value": ["Hybrid"], "value_type": "multi_select"},
                    ],
                }
            ]
        }
    ).encode()
    [posting] = parse(body)
    assert posting.salary == Salary(14.5, 16, "EUR", "hour")
    assert posting.workplace == "hybrid"


# --- fetch ----------------------------------------------------------------------------------------


def board_client(routes: dict[str, httpx.Response], seen: list[str] | None = None) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        key = f"{request.url.host}{request.url.raw_path.decode()}"
        if seen is not None:
            seen.append(key)
        return routes.get(key, httpx.Response(404))

    return make_client(transport=httpx.MockTransport(handler))


def json_response(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})


def test_fetch_reads_the_board_from_the_configured_api_url() -> None:
    seen: list[str] = []
    client = board_client(
        {"127.0.0.1/gh/v1/boards/acme/jobs?content=true": json_response(fixture("jobs_acme.json"))}, seen
    )
    result = greenhouse.fetch(
        client, parse_board_token("greenhouse:acme"), api_url="http://127.0.0.1:8080/gh/", fetched_at=FETCHED
    )
    assert seen == ["127.0.0.1/gh/v1/boards/acme/jobs?content=true"]
    assert result.complete is True
    assert result.pages == 1
    assert [p.external_id for p in result.postings][:2] == ["4010001001", "4010001002"]
    assert {p.board for p in result.postings} == {"acme"}


def test_fetch_uses_the_default_host() -> None:
    client = board_client(
        {"boards-api.greenhouse.io/v1/boards/globex/jobs?content=true": json_response(fixture("jobs_globex.json"))}
    )
    result = greenhouse.fetch(
        client, parse_board_token("greenhouse:globex"), api_url=greenhouse.DEFAULT_API_URL, fetched_at=FETCHED
    )
    assert len(result.postings) == 3


def test_fetch_marks_a_short_list_incomplete() -> None:
    data = json.loads(fixture("jobs_acme.json"))
    data["meta"]["total"] = 40
    client = board_client(
        {"boards-api.greenhouse.io/v1/boards/acme/jobs?content=true": json_response(json.dumps(data).encode())}
    )
    result = greenhouse.fetch(
        client, parse_board_token("greenhouse:acme"), api_url=greenhouse.DEFAULT_API_URL, fetched_at=FETCHED
    )
    assert result.complete is False
    assert result.note is not None and "40" in result.note


def test_fetch_of_a_mistyped_board_is_board_not_found() -> None:
    client = board_client({})
    with pytest.raises(BoardNotFound):
        greenhouse.fetch(
            client, parse_board_token("greenhouse:acmee"), api_url=greenhouse.DEFAULT_API_URL, fetched_at=FETCHED
        )


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(
            200, content=b"<html><title>Just a moment...</title></html>", headers={"Content-Type": "text/html"}
        ),
        json_response(b"[]"),
        json_response(b'{"id": 1, "title": "a single job is not a board"}'),
        json_response(b'{"jobs": [{"title": "no id"}]}'),
    ],
)
def test_fetch_of_something_else_is_unexpected_content(response: httpx.Response) -> None:
    client = board_client({"boards-api.greenhouse.io/v1/boards/acme/jobs?content=true": response})
    with pytest.raises(UnexpectedContent):
        greenhouse.fetch(
            client, parse_board_token("greenhouse:acme"), api_url=greenhouse.DEFAULT_API_URL, fetched_at=FETCHED
        )


def test_fetch_refuses_another_sources_board() -> None:
    with pytest.raises(BadInput, match="not a greenhouse board"):
        greenhouse.fetch(
            board_client({}), parse_board_token("lever:acme"), api_url=greenhouse.DEFAULT_API_URL, fetched_at=FETCHED
        )
