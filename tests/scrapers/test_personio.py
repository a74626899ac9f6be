"""The Personio XML feed adapter. Fixture: tests/fixtures/personio/feed_acme.xml (an invented company)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.scrapers import personio
from jobwatch.scrapers.base import ParseError, UnexpectedContent
from jobwatch.scrapers.boards import parse_board_token
from jobwatch.scrapers.http import make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "personio"
FETCHED = datetime(2026, 7, 10, tzinfo=UTC)
BODY = (FIXTURES / "feed_acme.xml").read_bytes()


def parse(body: bytes, board: str | None = None) -> list[Posting]:
    return personio.parse(body, board=board, fetched_at=FETCHED)


def test_a_feed() -> None:
    engineer, student = parse(BODY, board="personio:acme")  # id 900001 repeated: the first is kept
    assert engineer.external_id == "900001" and engineer.title == "Senior Backend Engineer (m/w/d)"
    assert engineer.board == "acme"
    assert engineer.url == "https://acme.jobs.personio.de/job/900001"
    assert engineer.company == "Acme GmbH & Co. KG"
    assert engineer.department == "Product & Tech"
    assert engineer.locations == [Location("Munich", "Munich", None, "DE"), Location("Berlin", "Berlin", None, "DE")]
    assert engineer.employment_type == "full_time"
    assert engineer.salary == Salary(70000, 90000, "EUR", "year")
    assert engineer.posted_at == datetime(2026, 5, 4, 7, 15, tzinfo=UTC)
    assert engineer.description_text == (
        "Your mission\n\nBuild the Acme order platform.\n• Own services end to end\n• Mentor & review\n\n"
        "Your profile\n\n- Python\n- PostgreSQL"
    )
    assert "<script" not in (engineer.description_html or "")
    assert student.workplace == "remote"
    assert student.employment_type == "internship"
    assert student.description_html is None and student.company is None


def test_without_a_board_there_is_no_url() -> None:
    postings = parse(BODY)
    assert [p.external_id for p in postings] == ["900001", "900002"]
    assert {p.board for p in postings} == {None} and {p.url for p in postings} == {None}


def test_entities_are_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE workzag-jobs [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">'
        b'<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
        b"<workzag-jobs><position><id>1</id><name>T &b; &ext;</name></position></workzag-jobs>"
    )
    [posting] = parse(bomb)
    assert "aaaaa" not in posting.title and "root:" not in posting.title


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"<workzag-jobs><position>", "malformed XML"),
        (b"<jobs/>", "root element is <jobs>"),
        (b"<!DOCTYPE html><html><head><title>Login</title></head></html>", "an HTML page"),
        (b"<workzag-jobs><position><name>x</name></position></workzag-jobs>", "has no <id>"),
        (b"<workzag-jobs><position><id>1</id></position></workzag-jobs>", "has no <name>"),
    ],
)
def test_malformed_input_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(body)
    assert message in str(caught.value)


def test_an_empty_feed_lists_nothing() -> None:
    assert parse(b'<?xml version="1.0" encoding="UTF-8"?>\n<workzag-jobs>\n</workzag-jobs>') == []


def test_fetch() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=BODY, headers={"Content-Type": "text/xml"})

    ref = parse_board_token("personio:acme")
    with make_client(transport=httpx.MockTransport(handler)) as client:
        result = personio.fetch(
            client, ref, api_url="http://127.0.0.1:9000/p/{token}", fetched_at=FETCHED, language="en"
        )
    assert seen == ["http://127.0.0.1:9000/p/acme/xml?language=en"]
    assert [p.url for p in result.postings] == [
        "http://127.0.0.1:9000/p/acme/job/900001",
        "http://127.0.0.1:9000/p/acme/job/900002",
    ]
    assert result.complete is True
    page = httpx.Response(200, content=b"<html><head><title>Just a moment...</title></head></html>")
    with make_client(transport=httpx.MockTransport(lambda r: page)) as client, pytest.raises(UnexpectedContent):
        personio.fetch(client, ref, fetched_at=FETCHED)
