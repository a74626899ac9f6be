"""The JSON-LD career page adapter. Fixtures: tests/fixtures/jsonld/ (an invented company, Acme)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.scrapers import jsonld
from jobwatch.scrapers.base import ParseError, UnexpectedContent
from jobwatch.scrapers.boards import parse_board_token
from jobwatch.scrapers.http import make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jsonld"
FETCHED = datetime(2026, 7, 10, tzinfo=UTC)
PAGE = "https://careers.acme.example/jobs/gadget-tester"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(body: bytes, board: str | None = None) -> list[Posting]:
    return jsonld.parse(body, board=board, fetched_at=FETCHED)


def test_a_job_page_with_empty_and_malformed_blocks() -> None:
    [posting] = parse(fixture("job_acme.html"), board=f"jsonld:{PAGE}")
    assert posting.board == PAGE
    assert posting.external_id == "GT-2026-17"  # identifier.value
    assert posting.title == "Senior Gadget Tester & Reviewer"
    assert posting.company == "Acme Corporation"
    assert posting.url == "https://careers.acme.example/careers/jobs/gadget-tester"  # relative, utm dropped
    assert posting.description_text == "What you will do\n\nTest every Acme gadget & write it up."
    assert "<script" not in (posting.description_html or "") and "\\n" not in (posting.description_html or "")
    assert posting.locations == [Location("Tucson, AZ, US", "Tucson", "AZ", "US"), Location("MX", None, None, "MX")]
    assert posting.employment_type == "full_time"  # OTHER says nothing; FULL_TIME does
    assert posting.salary == Salary(90000, 120000, "USD", "year")
    assert posting.posted_at == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


def test_graph_lists_and_type_lists() -> None:
    remote, warehouse, guard = parse(fixture("listing_acme.html"), board="https://careers.acme.example/jobs/")
    assert remote.external_id == "RR-1" and remote.workplace == "remote"  # TELECOMMUTE
    assert remote.locations == [Location("Canada", None, None, "CA")]  # applicantLocationRequirements
    assert remote.salary == Salary(45, 45, "CAD", "hour")
    assert remote.employment_type == "contract"
    assert remote.description_text == "Track roadrunners & report.\n\nWeekly."
    assert remote.url is None  # several postings: the page is not each one's page
    assert warehouse.external_id == "https://careers.acme.example/jobs/warehouse-associate"  # the url
    assert warehouse.locations == [Location("Phoenix, AZ", "Phoenix", "AZ", "US")]
    # No identifier and no url: a stable hash of title, organization and first location.
    again = parse(fixture("listing_acme.html"))[2]
    assert guard.external_id == again.external_id and len(guard.external_id) == 32
    assert guard.locations == [Location("Reno, NV, US", "Reno", "NV", "US")]


def test_a_page_without_job_postings_lists_nothing() -> None:
    assert parse(fixture("page_without_jsonld.html")) == []


def test_the_page_url_is_a_lone_postings_url_but_never_its_id() -> None:
    body = b'<script type="application/ld+json">{"@type": "JobPosting", "title": "Solo"}</script>'
    [without] = parse(body)
    [with_page] = parse(body, board=PAGE)
    assert without.url is None and with_page.url == PAGE
    assert without.external_id == with_page.external_id


def test_a_bare_json_ld_document() -> None:
    [posting] = parse(json.dumps([{"@type": "JobPosting", "title": "Doc", "identifier": 42}]).encode())
    assert posting.external_id == "42"


BLOCK = '<script type="application/ld+json">{"@type": "JobPosting", "title": "Café Barista"}</script>'


@pytest.mark.parametrize(
    ("body", "content_type", "title"),
    [
        (BLOCK.encode(), None, "Café Barista"),  # no declaration: UTF-8
        (b"<meta charset='windows-1252'>" + BLOCK.encode("cp1252"), None, "Café Barista"),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">' + BLOCK.encode("cp1252"),
            None,
            "Café Barista",
        ),
        (BLOCK.encode("cp1252"), None, "Caf\ufffd Barista"),  # never guessed as Latin-1
        (BLOCK.encode("cp1252"), "text/html; charset=ISO-8859-1", "Café Barista"),  # the header
        (b"\xef\xbb\xbf" + BLOCK.encode(), "text/html; charset=latin-1", "Café Barista"),  # a BOM wins
        (b"<meta charset='x-unknown'>" + BLOCK.encode(), None, "Café Barista"),
    ],
)
def test_charset(body: bytes, content_type: str | None, title: str) -> None:
    [posting] = jsonld.extract_postings(jsonld.decode_page(body, content_type), board=None, page_url=None)
    assert posting.title == title


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"", "empty"), (b"   ", "empty"), (b"just words", "neither HTML nor JSON-LD"), (b"{oops", "malformed")],
)
def test_unreadable_bodies_are_parse_errors(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(body)


def test_a_board_that_is_not_a_url_is_refused() -> None:
    with pytest.raises(ParseError, match="http"):
        parse(fixture("job_acme.html"), board="ftp://acme.example/x")


def test_fetch() -> None:
    ref = parse_board_token(f"jsonld:{PAGE}")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(
            200, content=fixture("job_acme.html"), headers={"Content-Type": "text/html; charset=utf-8"}
        )

    with make_client(transport=httpx.MockTransport(handler)) as client:
        result = jsonld.fetch(client, ref, api_url=PAGE, fetched_at=FETCHED, sleep=lambda s: None)
    assert seen == [PAGE]
    assert [p.external_id for p in result.postings] == ["GT-2026-17"] and result.complete is True
    assert result.postings[0].board == PAGE


def test_fetch_of_an_empty_page_closes_nothing_and_of_a_bot_check_fails() -> None:
    ref = parse_board_token(f"jsonld:{PAGE}")
    empty = httpx.MockTransport(lambda r: httpx.Response(200, content=fixture("page_without_jsonld.html")))
    with make_client(transport=empty) as client:
        result = jsonld.fetch(client, ref, fetched_at=FETCHED, sleep=lambda s: None)
    assert result.postings == [] and result.complete is False and "JobPosting" in (result.note or "")
    check = httpx.Response(200, content=b"<html><head><title>Just a moment...</title></head></html>")
    with make_client(transport=httpx.MockTransport(lambda r: check)) as client, pytest.raises(UnexpectedContent):
        jsonld.fetch(client, ref, fetched_at=FETCHED, sleep=lambda s: None)
