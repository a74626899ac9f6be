"""Workable widget API adapter (`GET /api/v1/widget/accounts/{account}?details=true`).

Reads `{"name": "...", "description": "...", "jobs": [...]}`; one response is the whole account (the
widget API is not paginated). Workable sends empty strings where it means "none" (`code: ""`,
`city: ""`); they are read as null. Field mapping (CONTRACT section 2):

| posting field     | Workable field                                                                 |
| ----------------- | ------------------------------------------------------------------------------ |
| external_id       | `shortcode`                                                                    |
| title             | `title`                                                                        |
| company           | the account's `name`                                                           |
| url               | `url` (else `shortlink`)                                                       |
| description_html  | `description` (only with `details=true`), then `requirements` and `benefits`   |
|                   | when present; sanitized                                                        |
| locations         | `locations[]` `{city, region, country, countryCode}`, else the top-level       |
|                   | `city`, `state`, `country`                                                     |
| workplace         | `telecommuting: true` -> remote; false says nothing (null)                     |
| department        | `department`                                                                   |
| employment_type   | `employment_type` ("Full-time", "Contract", ...)                               |
| posted_at         | `published_on` (a date: midnight UTC)                                          |
| team, salary, updated_at | not given: null                                                         |

The widget lists a job once per location, under the same `shortcode` with a different place each
time. Such repeats are one posting (the first, CONTRACT section 1), which also gets the places of its
repeats, so a search for either place finds it.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from jobwatch.core.normalize import (
    clean_text,
    clean_url,
    country_code,
    html_to_text,
    normalize_employment_type,
    parse_datetime,
    parse_location,
    sanitize_html,
)
from jobwatch.core.postings import Location, Posting
from jobwatch.scrapers.base import (
    FetchResult,
    ParseError,
    Sleep,
    as_dict,
    as_list,
    as_str,
    board_mismatch,
    parse_json_body,
    read_as_fetched,
    require_id,
    with_board,
)
from jobwatch.scrapers.boards import BoardRef, board_argument, board_from_urls, fill_template
from jobwatch.scrapers.http import get_json

SOURCE = "workable"
DEFAULT_API_URL = "https://apply.workable.com"
API_URL_SETTING = "WORKABLE_API_URL"


def widget_url(ref: BoardRef, api_url: str = DEFAULT_API_URL) -> str:
    """The account's widget URL: `{api_url}/api/v1/widget/accounts/{account}?details=true`."""
    return f"{fill_template(api_url, ref)}/api/v1/widget/accounts/{quote(ref.token, safe='')}?details=true"


def parse(body: bytes, *, board: str | None, fetched_at: datetime) -> list[Posting]:
    """Postings of a saved Workable widget response, in order, each `shortcode` once.

    `board`: the account (`acme` or `workable:acme`); None derives it from the job links when they
    name the account (`apply.workable.com/ACCOUNT/j/CODE`); the usual `apply.workable.com/j/CODE` does
    not, and `board` is then null. `{"jobs": []}` gives []. Raises `ParseError` for malformed JSON, a
    wrong shape or a job without `shortcode`/`title`.
    """
    data = parse_json_body(body, source="Workable")
    jobs, company = _items(data)
    board_value = board_argument(board, SOURCE)
    postings = _postings(jobs, company, board_value)
    if board_value is None:
        with_board(postings, board_from_urls((p.url for p in postings), SOURCE))
    return postings


def fetch(
    client: httpx.Client,
    ref: BoardRef,
    *,
    api_url: str = DEFAULT_API_URL,
    fetched_at: datetime,
    sleep: Sleep = time.sleep,
) -> FetchResult:
    """Read a whole Workable account with one request to `widget_url(ref, api_url)`.

    `api_url` is the `WORKABLE_API_URL` template. Raises the `ScrapeError`s of `get_json`,
    `UnexpectedContent` when the JSON is not a widget response, and `BadInput` for another source's board.
    """
    if ref.family != SOURCE:
        raise board_mismatch(ref, SOURCE)
    url = widget_url(ref, api_url)
    data = get_json(client, url, sleep=sleep)
    postings = read_as_fetched(url, lambda: _postings(*_items(data), ref.token))
    return FetchResult(postings=postings, complete=True, pages=1)


def _items(data: object) -> tuple[list[Any], str | None]:
    if isinstance(data, dict) and "jobs" in data:
        jobs = data["jobs"]
        if not isinstance(jobs, list):
            raise ParseError("not a Workable widget response: 'jobs' is not a list")
        return jobs, clean_text(as_str(data.get("name"))) or None
    if isinstance(data, dict) and ("error" in data or "message" in data):
        raise ParseError(f"a Workable error response: {str(data.get('error') or data.get('message'))[:200]}")
    raise ParseError("not a Workable widget response: expected an object with a 'jobs' list")


def _postings(jobs: list[Any], company: str | None, board: str | None) -> list[Posting]:
    by_id: dict[str, Posting] = {}
    for index, job in enumerate(jobs):
        if not isinstance(job, dict):
            raise ParseError(f"Workable job #{index + 1} is not an object")
        posting = _posting(job, index, company, board)
        first = by_id.get(posting.external_id)
        if first is None:
            by_id[posting.external_id] = posting
            continue
        known = {loc.raw.casefold() for loc in first.locations}
        first.locations.extend(loc for loc in posting.locations if loc.raw.casefold() not in known)
    return list(by_id.values())


def _posting(job: dict[str, Any], index: int, company: str | None, board: str | None) -> Posting:
    external_id = require_id(job, "shortcode", index=index, source="Workable")
    title = clean_text(as_str(job.get("title")))
    if not title:
        raise ParseError(f"Workable job #{index + 1} (shortcode {external_id}) has no title")
    parts = [as_str(job.get(key)) for key in ("description", "requirements", "benefits")]
    description_html = sanitize_html("".join(p for p in parts if p and p.strip()) or None)
    return Posting(
        source=SOURCE,
        board=board,
        external_id=external_id,
        title=title,
        company=company,
        url=clean_url(as_str(job.get("url")) or as_str(job.get("shortlink"))),
        description_html=description_html,
        description_text=html_to_text(description_html),
        locations=_locations(job),
        workplace="remote" if job.get("telecommuting") is True else None,
        department=clean_text(as_str(job.get("department"))) or None,
        team=None,
        employment_type=normalize_employment_type(as_str(job.get("employment_type"))),
        salary=None,
        posted_at=parse_datetime(job.get("published_on")),
        updated_at=None,
    )


def _place(city: str | None, region: str | None, country_name: str | None, code: str | None) -> Location | None:
    city, region, country_name = (clean_text(x) or None for x in (city, region, country_name))
    iso = country_code((code or "").strip().upper()) if code and code.strip() else None
    iso = iso or country_code(country_name)
    raw = ", ".join(x for x in (city, region, country_name or (code or "").strip()) if x)
    if not raw:
        return None
    if iso is None and city is None and region is None:
        return parse_location(raw)
    return Location(raw=raw, city=city, region=region, country=iso)


def _locations(job: dict[str, Any]) -> list[Location]:
    found = [
        _place(
            as_str(loc.get("city")),
            as_str(loc.get("region")),
            as_str(loc.get("country")),
            as_str(loc.get("countryCode")),
        )
        for loc in map(as_dict, as_list(job.get("locations")))
    ]
    if not any(found):
        found = [_place(as_str(job.get("city")), as_str(job.get("state")), as_str(job.get("country")), None)]
    seen: set[str] = set()
    locations = []
    for location in found:
        if location is not None and location.raw.casefold() not in seen:
            seen.add(location.raw.casefold())
            locations.append(location)
    return locations
