"""The source registry and `parse_file`, which backs `jobwatch parse`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jobwatch.errors import BadInput
from jobwatch.scrapers import ashby, greenhouse, lever
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
NOT_YET = ("workday", "smartrecruiters", "workable", "recruitee", "personio", "jsonld")


def test_sources_are_the_contract_names() -> None:
    assert ("greenhouse", "lever", "ashby", *NOT_YET) == SOURCES
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


@pytest.mark.parametrize("source", NOT_YET)
def test_sources_not_built_yet_refuse_clearly(source: str, tmp_path: Path) -> None:
    adapter = get_adapter(source)
    with pytest.raises(BadInput, match="not supported yet"):
        adapter.parse(b"{}", board=None, fetched_at=FETCHED)
    token = {"workday": "acme.wd5/External", "jsonld": "https://acme.example/careers/1"}.get(source, "acme")
    ref = parse_board_token(f"{source}:{token}")
    with (
        make_client(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client,
        pytest.raises(BadInput, match="supported now: greenhouse, lever, ashby"),
    ):
        adapter.fetch(client, ref, api_url=adapter.DEFAULT_API_URL, fetched_at=FETCHED)
    saved = tmp_path / "saved.json"
    saved.write_text("{}")
    with pytest.raises(BadInput) as caught:
        parse_file(source, saved, board=None, fetched_at=FETCHED)
    assert str(caught.value).startswith(f"{saved}: source {source!r} is not supported yet")


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
    ],
)
def test_parse_file(source: str, name: str, count: int, board: str) -> None:
    postings = parse_file(source, FIXTURES / name, board=None, fetched_at=FETCHED)
    assert len(postings) == count
    assert {p.board for p in postings} == {board}
    assert {p.board for p in parse_file(source, FIXTURES / name, board="other", fetched_at=FETCHED)} == {"other"}


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
