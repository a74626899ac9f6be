"""Greenhouse Job Board API adapter (`GET /v1/boards/{token}/jobs?content=true`).

Reads the public list response `{"jobs": [...], "meta": {"total": N}}` and the single-job response
(`/v1/boards/{token}/jobs/{id}`, one job object). Field mapping (CONTRACT section 2):

| posting field     | Greenhouse field                                                          |
| ----------------- | ------------------------------------------------------------------------- |
| external_id       | `id`                                                                      |
| title             | `title` (entities decoded once, markup removed)                           |
| company           | `company_name`                                                            |
| url               | `absolute_url` (tracking parameters dropped; `gh_jid` kept)               |
| description_html  | `content`, which is entity-escaped HTML: unescaped once, then sanitized   |
| locations         | `location.name` split into places; `offices[].location` fills countries   |
| workplace         | `metadata` "Location Type"-like values and the location/office names      |
| department        | `departments[0].name`                                                     |
| employment_type   | `metadata` "Employment Type"-like value                                   |
| salary            | `metadata` of value_type `currency_range` (`min_value`, `max_value`, `unit`)|
| posted_at         | `first_published`, else null                                              |
| updated_at        | `updated_at`                                                              |

The list endpoint is not paginated: one response is the whole board. `meta.total` larger than the
jobs listed marks the result incomplete.
"""

from __future__ import annotations

import html
import re
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from jobwatch.core.normalize import (
    clean_text,
    clean_url,
    detect_workplace,
    html_to_text,
    normalize_employment_type,
    normalize_salary_period,
    parse_datetime,
    parse_location,
    parse_salary,
    sanitize_html,
    split_locations,
)
from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.scrapers.base import (
    FetchResult,
    ParseError,
    Sleep,
    as_dict,
    as_list,
    as_str,
    board_mismatch,
    parse_json_body,
    postings_from_items,
    read_as_fetched,
    require_id,
    with_board,
)
from jobwatch.scrapers.boards import BoardRef, board_argument, board_from_urls, fill_template
from jobwatch.scrapers.http import get_json

SOURCE = "greenhouse"
DEFAULT_API_URL = "https://boards-api.greenhouse.io"
API_URL_SETTING = "GREENHOUSE_API_URL"

_WORKPLACE_FIELD = re.compile(r"location type|workplace|remote|work type|work arrangement|work model", re.I)
_EMPLOYMENT_FIELD = re.compile(r"employment|job type|commitment|time type|contract type", re.I)
_LITERAL_TAG = re.compile(r"<[A-Za-z!/]")
_SALARY_WORDS = re.compile(r"salary|annual|base pay|compensation", re.I)


def jobs_url(ref: BoardRef, api_url: str = DEFAULT_API_URL) -> str:
    """The list URL of a board: `{api_url}/v1/boards/{token}/jobs?content=true`."""
    return f"{fill_template(api_url, ref)}/v1/boards/{quote(ref.token, safe='')}/jobs?content=true"


def parse(body: bytes, *, board: str | None, fetched_at: datetime) -> list[Posting]:
    """Postings of a saved Greenhouse jobs list or single-job response, in board order, ids unique.

    `board`: the board token (`stripe` or `greenhouse:stripe`); None derives it from the jobs'
    `absolute_url` when that is a greenhouse.io board URL, else leaves it null. A list with no jobs
    gives []. Raises `ParseError` for malformed JSON, another endpoint's response (departments,
    offices), a wrong shape or a job without `id`/`title`.
    """
    data = parse_json_body(body, source="Greenhouse")
    items, _ = _items(data)
    board_value = board_argument(board, SOURCE)
    postings = _postings(items, board_value)
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
    """Read a whole Greenhouse board with one request to `jobs_url(ref, api_url)`.

    `api_url` is the `GREENHOUSE_API_URL` template. Complete unless `meta.total` exceeds the jobs
    listed. Raises the `ScrapeError`s of `jobwatch.scrapers.http.get_json`, `UnexpectedContent` when
    the JSON is not a jobs list, and `BadInput` for a board of another source.
    """
    if ref.family != SOURCE:
        raise board_mismatch(ref, SOURCE)
    url = jobs_url(ref, api_url)
    data = get_json(client, url, sleep=sleep)

    def read() -> tuple[list[Any], int | None, list[Posting]]:
        if not isinstance(data, dict) or "jobs" not in data:
            raise ParseError("expected an object with a 'jobs' list")
        items, total = _items(data)
        return items, total, _postings(items, ref.token)

    items, total, postings = read_as_fetched(url, read)
    complete = total is None or total <= len(items)
    note = None if complete else f"meta.total is {total} but the response lists {len(items)} jobs"
    return FetchResult(postings=postings, complete=complete, pages=1, note=note)


def _items(data: object) -> tuple[list[Any], int | None]:
    """The job objects of a response and `meta.total` (None for a single job or no meta)."""
    if isinstance(data, dict):
        if "jobs" in data:
            jobs = data["jobs"]
            if not isinstance(jobs, list):
                raise ParseError("not a Greenhouse jobs response: 'jobs' is not a list")
            total = as_dict(data.get("meta")).get("total")
            return jobs, total if isinstance(total, int) and not isinstance(total, bool) else None
        if "id" in data and "title" in data:
            return [data], None
        if "departments" in data or "offices" in data:
            endpoint = "departments" if "departments" in data else "offices"
            raise ParseError(
                f"a Greenhouse {endpoint} response, which lists jobs only by id and title; "
                "save GET /v1/boards/TOKEN/jobs?content=true instead"
            )
        if "error" in data or "status" in data:
            raise ParseError(f"a Greenhouse error response: {str(data.get('error') or data.get('status'))[:200]}")
    raise ParseError(
        "not a Greenhouse jobs response: expected an object with a 'jobs' list or a single job with 'id' and 'title'"
    )


def _postings(items: list[Any], board: str | None) -> list[Posting]:
    return postings_from_items(items, lambda item, index: _posting(item, index, board), noun="Greenhouse job")


def _posting(job: dict[str, Any], index: int, board: str | None) -> Posting:
    external_id = require_id(job, "id", index=index, source="Greenhouse")
    title = clean_text(as_str(job.get("title")))
    if not title:
        raise ParseError(f"Greenhouse job #{index + 1} (id {external_id}) has no title")
    metadata = [as_dict(m) for m in as_list(job.get("metadata"))]
    location_name = as_str(as_dict(job.get("location")).get("name"))
    offices = [as_dict(o) for o in as_list(job.get("offices"))]
    description_html = sanitize_html(_content_html(as_str(job.get("content"))))
    departments = [as_dict(d) for d in as_list(job.get("departments"))]
    return Posting(
        source=SOURCE,
        board=board,
        external_id=external_id,
        title=title,
        company=clean_text(as_str(job.get("company_name"))) or None,
        url=clean_url(as_str(job.get("absolute_url"))),
        description_html=description_html,
        description_text=html_to_text(description_html),
        locations=_locations(location_name, offices),
        workplace=detect_workplace(
            *_metadata_values(metadata, _WORKPLACE_FIELD),
            location_name,
            *(as_str(o.get("name")) for o in offices),
        ),
        department=(clean_text(as_str(departments[0].get("name"))) or None) if departments else None,
        team=None,
        employment_type=next(
            filter(None, map(normalize_employment_type, _metadata_values(metadata, _EMPLOYMENT_FIELD))), None
        ),
        salary=_salary(metadata),
        posted_at=parse_datetime(job.get("first_published")),
        updated_at=parse_datetime(job.get("updated_at")),
    )


def _content_html(content: str | None) -> str | None:
    """Greenhouse sends `content` entity-escaped (`&lt;p&gt;`); unescape it once to get the HTML.

    Escaped content holds no literal tag, so content that does is already markup and is left alone:
    an author's literal "&lt;div&gt;" in it must stay text, not turn into a tag.
    """
    if not content:
        return None
    if _LITERAL_TAG.search(content):
        return content
    return html.unescape(content)


def _locations(location_name: str | None, offices: list[dict[str, Any]]) -> list[Location]:
    """Places from `location.name`; an office of the same name fills a country the text lacks.

    Offices are Greenhouse's internal grouping (often broader or stale), so they are not added as
    places of their own unless `location.name` is empty.
    """
    office_places: dict[str, str] = {}
    office_names: list[str] = []
    for office in offices:
        name = clean_text(as_str(office.get("name")))
        if name:
            office_names.append(name)
            where = as_str(office.get("location"))
            if where:
                office_places.setdefault(name.casefold(), where)
    raws = split_locations(location_name) or office_names
    locations: list[Location] = []
    for raw in raws:
        location = parse_location(raw)
        office_where = office_places.get(location.raw.casefold())
        if location.country is None and office_where:
            extra = parse_location(office_where)
            if extra.country is not None:
                location = Location(
                    raw=location.raw,
                    city=location.city or extra.city,
                    region=location.region or extra.region,
                    country=extra.country,
                )
        locations.append(location)
    return locations


def _metadata_values(metadata: list[dict[str, Any]], name_pattern: re.Pattern[str]) -> list[str]:
    """String values of the custom fields whose name matches (a multi-select gives each of its values)."""
    values: list[str] = []
    for field in metadata:
        name = as_str(field.get("name"))
        if not name or not name_pattern.search(name):
            continue
        value = field.get("value")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip():
                values.append(item)
    return values


def _salary(metadata: list[dict[str, Any]]) -> Salary | None:
    """Pay from a `currency_range` custom field (`{"min_value", "max_value", "unit"}`), if the board has one.

    Greenhouse states no period; it is read from the field's name ("Hourly Rate" -> hour) and taken as
    yearly only when the name says salary, annual, base pay or compensation.
    """
    for field in metadata:
        if field.get("value_type") != "currency_range":
            continue
        value = as_dict(field.get("value"))
        name = as_str(field.get("name")) or ""
        period = normalize_salary_period(name) or ("year" if _SALARY_WORDS.search(name) else None)
        salary = parse_salary(value.get("min_value"), value.get("max_value"), value.get("unit"), period)
        if salary is not None:
            return salary
    return None
