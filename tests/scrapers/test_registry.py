"""The source registry and `parse_file`, which backs `jobwatch parse`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jobwatch.errors import BadInput
from jobwatch.scrapers import (
    ashby,
    greenhouse,
    jsonld,
    lever,
    personio,
    recruitee,
    smartrecruiters,
    workable,
    workday,
)
from jobwatch.scrapers.base import ParseError
from jobwatch.scrapers.boards import parse_board_token
from jobwatch.scrapers.http import make_client
from jobwatch.scrapers.registry import (
    ADAPTERS,
    SOURCES,
    api_url_setting,
    default_api_url,
    get_adapter,
    parse_file,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FETCHED = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
NEW = ("workday", "smartrecruiters", "workable", "recruitee", "personio", "jsonld")
MODULES = {
    "workday": workday,
    "smartrecruiters": smartrecruiters,
    "workable": workable,
    "recruitee": recruitee,
    "personio": personio,
    "jsonld": jsonld,
}


def test_sources_are_the_contract_names() -> None:
    assert ("greenhouse", "lever", "ashby", *NEW) == SOURCES
    assert set(SOURCES) <= set(ADAPTERS)


def test_get_adapter() -> None:
    assert get_adapter("greenhouse") is greenhouse
    assert get_adapter(" Lever ") is lever
    assert get_adapter("lever-eu") is lever
    assert get_adapter("ashby") is ashby
    for name in SOURCES:
        assert name == get_adapter(name).SOURCE


def test_an_unknown_source_is_bad_input_listing_the_known_ones() -> None:
    with pytest.raises(BadInput) as caught:
        get_adapter("taleo")
    assert str(caught.value) == (
        "unknown source 'taleo'; expected one of greenhouse, lever, ashby, workday, smartrecruiters, "
        "workable, recruitee, personio, jsonld"
    )


@pytest.mark.parametrize("source", NEW)
def test_every_source_has_its_adapter(source: str) -> None:
    adapter = get_adapter(source)
    assert adapter is MODULES[source]
    assert source == adapter.SOURCE
    assert api_url_setting(source) == MODULES[source].API_URL_SETTING
    assert default_api_url(source) == adapter.DEFAULT_API_URL


@pytest.mark.parametrize("source", NEW)
def test_fetch_refuses_another_sources_board(source: str) -> None:
    adapter = get_adapter(source)
    with (
        make_client(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client,
        pytest.raises(BadInput, match=f"not a {source} board"),
    ):
        adapter.fetch(client, parse_board_token("greenhouse:acme"), api_url="http://127.0.0.1:9", fetched_at=FETCHED)


def test_api_url_settings_and_defaults() -> None:
    assert api_url_setting("greenhouse") == "GREENHOUSE_API_URL"
    assert api_url_setting("lever-eu") == "LEVER_EU_API_URL"
    assert api_url_setting("workday") == "WORKDAY_API_URL"
    assert default_api_url("greenhouse") == "https://boards-api.greenhouse.io"
    assert default_api_url("lever") == "https://api.lever.co"
    assert default_api_url("lever-eu") == "https://api.eu.lever.co"
    assert default_api_url("ashby") == "https://api.ashbyhq.com"
    assert default_api_url("workday") == "https://{tenant}.{dc}.myworkdayjobs.com"
    assert default_api_url("recruitee") == "https://{token}.recruitee.com"
    assert default_api_url("smartrecruiters") == "https://api.smartrecruiters.com"
    assert default_api_url("workable") == "https://apply.workable.com"
    assert default_api_url("personio") == "https://{token}.jobs.personio.de"
    assert default_api_url("jsonld") == ""
    with pytest.raises(BadInput):
        api_url_setting("taleo")


@pytest.mark.parametrize(
    ("source", "name", "count", "board"),
    [
        ("greenhouse", "greenhouse/jobs_acme.json", 5, "acme"),
        ("greenhouse", "greenhouse/job_single_acme.json", 1, "acme"),
        ("lever", "lever/postings_initech.json", 3, "initech"),
        ("lever", "lever/posting_single_acme.json", 1, "acme"),
        ("ashby", "ashby/job_board_umbrella.json", 3, "umbrella"),
        ("workday", "workday/job_detail_acme.json", 1, "acme.wd5/External"),
        ("smartrecruiters", "smartrecruiters/postings_acme.json", 3, "Acme"),
        ("workable", "workable/widget_acme.json", 3, "acme"),
        ("recruitee", "recruitee/offers_acme.json", 3, "acme"),
    ],
)
def test_parse_file(source: str, name: str, count: int, board: str) -> None:
    postings = parse_file(source, FIXTURES / name, board=None, fetched_at=FETCHED)
    assert len(postings) == count
    assert {p.board for p in postings} == {board}
    other = "other.wd1/Site" if source == "workday" else "other"
    assert {p.board for p in parse_file(source, FIXTURES / name, board=other, fetched_at=FETCHED)} == {other}


def test_parse_file_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(BadInput) as caught:
        parse_file("greenhouse", missing, board=None, fetched_at=FETCHED)
    assert str(caught.value).startswith(f"{missing}: cannot read the file")

    with pytest.raises(BadInput) as caught:
        parse_file("greenhouse", tmp_path, board=None, fetched_at=FETCHED)
    assert str(caught.value).startswith(f"{tmp_path}: cannot read the file")

    broken = tmp_path / "broken.json"
    broken.write_text('{"jobs": [')
    with pytest.raises(ParseError) as caught:
        parse_file("greenhouse", broken, board=None, fetched_at=FETCHED)
    message = str(caught.value)
    assert message.startswith(f"{broken}: not a Greenhouse response: malformed JSON at line 1")
    assert "\n" not in message
    assert caught.value.path == str(broken)

    with pytest.raises(BadInput) as caught:
        parse_file("taleo", broken, board=None, fetched_at=FETCHED)
    assert str(caught.value).startswith(f"{broken}: unknown source 'taleo'")

    with pytest.raises(BadInput, match="belongs to lever"):
        parse_file("greenhouse", FIXTURES / "greenhouse/jobs_acme.json", board="lever:acme", fetched_at=FETCHED)


def test_the_wrong_sources_file_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_file("ashby", FIXTURES / "lever/postings_acme.json", board=None, fetched_at=FETCHED)
    with pytest.raises(ParseError):
        parse_file("lever", FIXTURES / "greenhouse/jobs_acme.json", board=None, fetched_at=FETCHED)


@pytest.mark.parametrize(
    ("source", "name", "count"),
    [
        ("workday", "workday/jobs_acme.json", 5),
        ("personio", "personio/feed_acme.xml", 2),
        ("jsonld", "jsonld/listing_acme.html", 3),
        ("jsonld", "jsonld/page_without_jsonld.html", 0),
    ],
)
def test_parse_file_of_responses_that_do_not_name_their_board(source: str, name: str, count: int) -> None:
    postings = parse_file(source, FIXTURES / name, board=None, fetched_at=FETCHED)
    assert len(postings) == count
    assert {p.board for p in postings} <= {None}


def test_parse_file_of_malformed_xml_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "feed.xml"
    broken.write_text("<workzag-jobs><position><id>1</id>")
    with pytest.raises(ParseError) as caught:
        parse_file("personio", broken, board=None, fetched_at=FETCHED)
    assert str(caught.value).startswith(f"{broken}: not a Personio feed: malformed XML")
    assert "\n" not in str(caught.value)
