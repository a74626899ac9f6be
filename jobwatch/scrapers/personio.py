"""Personio XML feed adapter (`GET https://{company}.jobs.personio.de/xml`).

Reads `<workzag-jobs><position>...</position>...</workzag-jobs>`; one response is the whole careers
page. The XML is parsed with lxml set up for untrusted input: no entity expansion, no DTD loading, no
network access, no huge-tree mode. Field mapping (CONTRACT section 2):

| posting field     | Personio element                                                             |
| ----------------- | ---------------------------------------------------------------------------- |
| external_id       | `id`                                                                         |
| title             | `name`                                                                       |
| company           | `subcompany` (the feed names no other company)                               |
| url               | `{site}/job/{id}`, the site being the `PERSONIO_API_URL` host                |
|                   | (`https://{company}.jobs.personio.de`); null when the board is unknown       |
| description_html  | each `jobDescriptions/jobDescription`: its `name` as a heading, then the HTML |
|                   | of its `value` (CDATA); sanitized                                            |
| locations         | `office`, then each `additionalOffices/office`                               |
| workplace         | the office names ("Remote")                                                  |
| department        | `department`                                                                 |
| employment_type   | `employmentType` intern / freelance / temporary when it says so, else         |
|                   | `schedule` (full-time, part-time)                                            |
| salary            | `salaryInformation` `{min, max, currencyCode, type: yearly/monthly/...}`     |
| posted_at         | `createdAt`                                                                  |
| team, updated_at  | not given: null                                                              |

A position id repeated in the feed is kept once (the first).
"""

from __future__ import annotations

import html
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
from lxml import etree

from jobwatch.core.normalize import (
    clean_text,
    detect_workplace,
    html_to_text,
    normalize_employment_type,
    parse_datetime,
    parse_location,
    parse_salary,
    sanitize_html,
)
from jobwatch.core.postings import Location, Posting
from jobwatch.errors import BadInput
from jobwatch.scrapers.base import (
    FetchResult,
    ParseError,
    Sleep,
    UnexpectedContent,
    board_mismatch,
    html_title,
    read_as_fetched,
    unique_by_id,
)
from jobwatch.scrapers.boards import BoardRef, board_argument, fill_template, parse_board_token
from jobwatch.scrapers.http import request

SOURCE = "personio"
DEFAULT_API_URL = "https://{token}.jobs.personio.de"
API_URL_SETTING = "PERSONIO_API_URL"

_EMPLOYMENT = {
    "intern": "internship",
    "internship": "internship",
    "freelance": "contract",
    "freelancer": "contract",
    "temporary": "temporary",
}


def feed_url(ref: BoardRef, api_url: str = DEFAULT_API_URL, *, language: str | None = None) -> str:
    """The feed URL: `{api_url}/xml`, with `?language=xx` when a language is asked for."""
    suffix = f"?language={quote(language, safe='')}" if language else ""
    return f"{fill_template(api_url, ref)}/xml{suffix}"


def _parser() -> Any:
    # A fresh parser per document: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )


def parse(body: bytes, *, board: str | None, fetched_at: datetime) -> list[Posting]:
    """Postings of a saved Personio XML feed, in feed order, ids unique.

    `board`: the company (`acme` or `personio:acme`); it gives the postings their URL
    (`https://acme.jobs.personio.de/job/{id}`). The feed names no company host, so without it `board`
    and `url` are null. `<workzag-jobs/>` gives []. Raises `ParseError` for malformed XML, another
    document, or a position without `id`/`name`.
    """
    board_value = board_argument(board, SOURCE)
    site = None
    if board_value is not None:
        try:
            site = fill_template(DEFAULT_API_URL, parse_board_token(f"{SOURCE}:{board_value}"))
        except BadInput as exc:
            raise ParseError(str(exc)) from None
    return _postings(_positions(body), board_value, site)


def fetch(
    client: httpx.Client,
    ref: BoardRef,
    *,
    api_url: str = DEFAULT_API_URL,
    fetched_at: datetime,
    sleep: Sleep = time.sleep,
    language: str | None = None,
) -> FetchResult:
    """Read a whole Personio careers page with one request to `feed_url(ref, api_url, language=...)`.

    `api_url` is the `PERSONIO_API_URL` template; posting URLs are `{api_url}/job/{id}`. Raises the
    `ScrapeError`s of `request`, `UnexpectedContent` when the body is HTML or not a Personio feed, and
    `BadInput` for another source's board.
    """
    if ref.family != SOURCE:
        raise board_mismatch(ref, SOURCE)
    url = feed_url(ref, api_url, language=language)
    response = request(client, "GET", url, headers={"Accept": "application/xml, text/xml"}, sleep=sleep)
    body = response.content
    if b"<workzag-jobs" not in body[:4096] and html_title(body) is not None:
        title = html_title(body)
        raise UnexpectedContent(
            f"expected Personio XML from {url} but got an HTML page ({title!r}); a bot check or a login?",
            url=url,
            status=response.status_code,
        )
    postings = read_as_fetched(
        url, lambda: _postings(_positions(body), ref.token, fill_template(api_url, ref)), status=response.status_code
    )
    return FetchResult(postings=postings, complete=True, pages=1)


def _positions(body: bytes) -> list[Any]:
    if not body or not body.strip():
        raise ParseError("not a Personio feed: empty body, expected XML")
    head = body[:4096].lower()
    if b"<workzag-jobs" not in head and (b"<html" in head or b"<!doctype html" in head):
        title = html_title(body)
        raise ParseError(f"not a Personio feed: an HTML page{f' (title {title!r})' if title else ''}")
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not a Personio feed: malformed XML: {' '.join(str(exc).split())[:200]}") from None
    if root is None or not isinstance(root.tag, str):
        raise ParseError("not a Personio feed: no root element")
    tag = etree.QName(root).localname
    if tag != "workzag-jobs":
        raise ParseError(f"not a Personio feed: the root element is <{tag}>, expected <workzag-jobs>")
    return [child for child in root if isinstance(child.tag, str) and etree.QName(child).localname == "position"]


def _text(element: Any, path: str) -> str | None:
    """The stripped text of the first element at `path`, or None when it is absent or blank."""
    found = element.find(path)
    if found is None:
        return None
    text = "".join(found.itertext()).strip()
    return text or None


def _plain(value: str | None) -> str:
    """One line of text from an XML text node. The XML parser already decoded its entities once, so
    the text is escaped again before `clean_text` decodes it: a literal "&amp;" stays visible and tag-like
    text is removed as for every other source."""
    return clean_text(html.escape(value, quote=False)) if value else ""


def _postings(positions: list[Any], board: str | None, site: str | None) -> list[Posting]:
    postings = [_posting(position, index, board, site) for index, position in enumerate(positions)]
    return unique_by_id(postings)


def _posting(position: Any, index: int, board: str | None, site: str | None) -> Posting:
    external_id = _text(position, "id")
    if not external_id:
        raise ParseError(f"Personio position #{index + 1} has no <id>")
    title = _plain(_text(position, "name"))
    if not title:
        raise ParseError(f"Personio position #{index + 1} (id {external_id}) has no <name> (title)")
    description_html = sanitize_html(_description(position))
    offices = [_text(position, "office")]
    offices += ["".join(o.itertext()).strip() for o in position.findall("additionalOffices/office")]
    locations = _locations(offices)
    salary = position.find("salaryInformation")
    return Posting(
        source=SOURCE,
        board=board,
        external_id=external_id,
        title=title,
        company=_plain(_text(position, "subcompany")) or None,
        url=f"{site}/job/{quote(external_id, safe='')}" if site else None,
        description_html=description_html,
        description_text=html_to_text(description_html),
        locations=locations,
        workplace=detect_workplace(*(o for o in offices if o)),
        department=_plain(_text(position, "department")) or None,
        team=None,
        employment_type=_EMPLOYMENT.get((_text(position, "employmentType") or "").lower())
        or normalize_employment_type(_text(position, "schedule")),
        salary=None
        if salary is None
        else parse_salary(
            _text(salary, "min"), _text(salary, "max"), _text(salary, "currencyCode"), _text(salary, "type")
        ),
        posted_at=parse_datetime(_text(position, "createdAt")),
        updated_at=None,
    )


def _description(position: Any) -> str | None:
    """Each `jobDescription` as `<h3>name</h3>` + its value's HTML, in feed order."""
    parts: list[str] = []
    for block in position.findall("jobDescriptions/jobDescription"):
        value = _text(block, "value")
        if not value:
            continue
        heading = _plain(_text(block, "name"))
        if heading:
            parts.append(f"<h3>{html.escape(heading)}</h3>")
        parts.append(f"<div>{value}</div>")
    return "".join(parts) or None


def _locations(offices: list[str | None]) -> list[Location]:
    seen: set[str] = set()
    locations = []
    for office in offices:
        raw = _plain(office)
        if raw and raw.casefold() not in seen:
            seen.add(raw.casefold())
            locations.append(parse_location(raw))
    return locations
